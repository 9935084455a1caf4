package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ProductImage returns the image of the product with the given id, or
// ErrNotFound.
func (s *Store) ProductImage(ctx context.Context, productID string) (Image, error) {
	img := Image{ProductID: productID}
	err := s.db.QueryRowContext(ctx, s.db.Dialect.Rebind(`
		SELECT content_type, data, etag FROM product_images WHERE product_id = ?`), productID).
		Scan(&img.ContentType, &img.Data, &img.ETag)
	if errors.Is(err, sql.ErrNoRows) {
		return Image{}, fmt.Errorf("get image of product %s: %w", productID, ErrNotFound)
	}
	if err != nil {
		return Image{}, fmt.Errorf("get image of product %s: %w", productID, err)
	}
	return img, nil
}
