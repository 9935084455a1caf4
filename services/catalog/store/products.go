package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// productColumns are the products columns scanProduct reads, in order.
const productColumns = `p.id, p.name, p.description, p.category_id,
	p.price_currency, p.price_units, p.price_nanos, p.weight_grams`

// ListParams selects a page of products.
type ListParams struct {
	// CategoryID, when set, keeps only that category's products.
	CategoryID string
	// Offset is the number of products to skip.
	Offset int
	// Limit is the most products to return.
	Limit int
}

// Page is a page of products.
type Page struct {
	// Products are ordered by category display order, then name, then id.
	Products []Product
	// Total is the number of products matching over all pages.
	Total int
}

// ListProducts returns one page of products, optionally of one category.
// An unknown category is ErrNotFound.
func (s *Store) ListProducts(ctx context.Context, p ListParams) (Page, error) {
	if p.Offset < 0 || p.Limit < 0 {
		return Page{}, fmt.Errorf("list products: negative offset %d or limit %d", p.Offset, p.Limit)
	}
	filter, args := "", []any{}
	if p.CategoryID != "" {
		if err := s.categoryExists(ctx, p.CategoryID); err != nil {
			return Page{}, fmt.Errorf("list products: %w", err)
		}
		filter, args = `WHERE p.category_id = ?`, append(args, p.CategoryID)
	}
	var page Page
	err := s.db.QueryRowContext(ctx, s.db.Dialect.Rebind(`SELECT COUNT(*) FROM products p `+filter), args...).Scan(&page.Total)
	if err != nil {
		return Page{}, fmt.Errorf("list products: count: %w", err)
	}
	products, err := s.queryProducts(ctx, `
		SELECT `+productColumns+`
		FROM products p JOIN categories c ON c.id = p.category_id
		`+filter+`
		ORDER BY c.position, p.name, p.id
		LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return Page{}, fmt.Errorf("list products: %w", err)
	}
	page.Products = products
	return page, nil
}

// GetProduct returns the product with the given id, or ErrNotFound.
func (s *Store) GetProduct(ctx context.Context, id string) (Product, error) {
	products, err := s.queryProducts(ctx, `SELECT `+productColumns+` FROM products p WHERE p.id = ?`, id)
	if err != nil {
		return Product{}, fmt.Errorf("get product %s: %w", id, err)
	}
	if len(products) == 0 {
		return Product{}, fmt.Errorf("get product %s: %w", id, ErrNotFound)
	}
	return products[0], nil
}

// BatchGetProducts returns the products named by ids in the order of ids,
// and the ids that name no product. Repeated ids count once.
func (s *Store) BatchGetProducts(ctx context.Context, ids []string) (found []Product, missing []string, err error) {
	ids = unique(ids)
	if len(ids) == 0 {
		return nil, nil, nil
	}
	products, err := s.queryProducts(ctx, `SELECT `+productColumns+` FROM products p WHERE p.id IN (`+placeholders(len(ids))+`)`, anySlice(ids)...)
	if err != nil {
		return nil, nil, fmt.Errorf("batch get %d products: %w", len(ids), err)
	}
	byID := make(map[string]Product, len(products))
	for _, p := range products {
		byID[p.ID] = p
	}
	for _, id := range ids {
		if p, ok := byID[id]; ok {
			found = append(found, p)
		} else {
			missing = append(missing, id)
		}
	}
	return found, missing, nil
}

// queryProducts runs a query selecting productColumns and fills in each
// product's tags.
func (s *Store) queryProducts(ctx context.Context, query string, args ...any) ([]Product, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Dialect.Rebind(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var products []Product
	for rows.Next() {
		var p Product
		err := rows.Scan(&p.ID, &p.Name, &p.Description, &p.CategoryID,
			&p.Price.Currency, &p.Price.Units, &p.Price.Nanos, &p.WeightGrams)
		if err != nil {
			return nil, fmt.Errorf("scan product: %w", err)
		}
		products = append(products, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.attachTags(ctx, products); err != nil {
		return nil, err
	}
	return products, nil
}

// attachTags loads the tags of every product in one query.
func (s *Store) attachTags(ctx context.Context, products []Product) error {
	if len(products) == 0 {
		return nil
	}
	ids := make([]any, len(products))
	for i, p := range products {
		ids[i] = p.ID
	}
	rows, err := s.db.QueryContext(ctx, s.db.Dialect.Rebind(`
		SELECT product_id, tag FROM product_tags
		WHERE product_id IN (`+placeholders(len(ids))+`)
		ORDER BY product_id, position`), ids...)
	if err != nil {
		return fmt.Errorf("load tags: %w", err)
	}
	defer rows.Close()
	tags := map[string][]string{}
	for rows.Next() {
		var id, tag string
		if err := rows.Scan(&id, &tag); err != nil {
			return fmt.Errorf("scan tag: %w", err)
		}
		tags[id] = append(tags[id], tag)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load tags: %w", err)
	}
	for i := range products {
		products[i].Tags = tags[products[i].ID]
	}
	return nil
}

// categoryExists returns ErrNotFound unless the category exists.
func (s *Store) categoryExists(ctx context.Context, id string) error {
	var one int
	err := s.db.QueryRowContext(ctx, s.db.Dialect.Rebind(`SELECT 1 FROM categories WHERE id = ?`), id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("category %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("category %s: %w", id, err)
	}
	return nil
}

// placeholders returns n comma-separated '?'.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// anySlice converts strings to query arguments.
func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// unique returns ss without repeats, keeping first occurrences in order.
func unique(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
