package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// SeedData is the catalog's initial content.
type SeedData struct {
	// Categories in display order.
	Categories []Category
	Products   []Product
	// Images holds one image per product.
	Images []Image
}

// Seed writes data in one transaction when the catalog has no products
// yet, and reports whether it did. A catalog that already has products is
// left as it is, so a restart keeps whatever the database holds. Two
// processes seeding the same database at once are serialised by the
// transaction's write lock: one seeds, the other sees the products.
func (s *Store) Seed(ctx context.Context, data SeedData) (bool, error) {
	seeded := false
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		seeded = false // InTx may run this again
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM products`).Scan(&n); err != nil {
			return fmt.Errorf("count products: %w", err)
		}
		if n > 0 {
			return nil
		}
		if err := s.insertAll(ctx, tx, data); err != nil {
			return err
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("seed catalog: %w", err)
	}
	return seeded, nil
}

// insertAll writes every category, product, tag, search row and image of data.
func (s *Store) insertAll(ctx context.Context, tx *sql.Tx, data SeedData) error {
	categoryNames := make(map[string]string, len(data.Categories))
	for i, c := range data.Categories {
		categoryNames[c.ID] = c.Name
		_, err := tx.ExecContext(ctx, s.db.Dialect.Rebind(`
			INSERT INTO categories (id, name, description, position) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`), c.ID, c.Name, c.Description, i)
		if err != nil {
			return fmt.Errorf("insert category %s: %w", c.ID, err)
		}
	}
	for _, p := range data.Products {
		categoryName, ok := categoryNames[p.CategoryID]
		if !ok {
			return fmt.Errorf("insert product %s: category %s is not in the seed data", p.ID, p.CategoryID)
		}
		if err := s.insertProduct(ctx, tx, p, categoryName); err != nil {
			return fmt.Errorf("insert product %s: %w", p.ID, err)
		}
	}
	for _, img := range data.Images {
		_, err := tx.ExecContext(ctx, s.db.Dialect.Rebind(`
			INSERT INTO product_images (product_id, content_type, data, etag) VALUES (?, ?, ?, ?)`),
			img.ProductID, img.ContentType, img.Data, img.ETag)
		if err != nil {
			return fmt.Errorf("insert image of %s: %w", img.ProductID, err)
		}
	}
	return nil
}

// insertProduct writes one product with its tags and search row.
func (s *Store) insertProduct(ctx context.Context, tx *sql.Tx, p Product, categoryName string) error {
	_, err := tx.ExecContext(ctx, s.db.Dialect.Rebind(`
		INSERT INTO products (id, name, description, category_id, price_currency, price_units, price_nanos, weight_grams)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		p.ID, p.Name, p.Description, p.CategoryID, p.Price.Currency, p.Price.Units, p.Price.Nanos, p.WeightGrams)
	if err != nil {
		return err
	}
	for i, tag := range p.Tags {
		_, err := tx.ExecContext(ctx, s.db.Dialect.Rebind(`
			INSERT INTO product_tags (product_id, position, tag) VALUES (?, ?, ?)`), p.ID, i, tag)
		if err != nil {
			return fmt.Errorf("insert tag %q: %w", tag, err)
		}
	}
	name, tags, body := searchText(p, categoryName)
	_, err = tx.ExecContext(ctx, s.db.Dialect.Rebind(`
		INSERT INTO product_search (product_id, name_text, tags_text, body_text) VALUES (?, ?, ?, ?)`),
		p.ID, name, tags, body)
	if err != nil {
		return fmt.Errorf("insert search text: %w", err)
	}
	return nil
}

// searchText returns the lower-cased text a search matches against: the
// name, the tags, and the rest (description and category name).
func searchText(p Product, categoryName string) (name, tags, body string) {
	name = strings.ToLower(p.Name)
	tags = strings.ToLower(" " + strings.Join(p.Tags, " ") + " ")
	body = strings.ToLower(p.Description + "\n" + categoryName)
	return name, tags, body
}
