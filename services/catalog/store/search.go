package store

import (
	"context"
	"fmt"
	"strings"
)

// SearchParams is a text search.
type SearchParams struct {
	// Query is split into words; a product matches when every word occurs
	// (case-insensitively, as a substring) in its name, tags, description
	// or category name. A query with no words matches every product.
	Query string
	// CategoryID, when set, keeps only that category's products.
	CategoryID string
	// Limit is the most products to return.
	Limit int
}

// Search returns the products matching p, best first: a word found in the
// name scores 4, in a tag 2, elsewhere 1; ties go by category display
// order, then name. An unknown category is ErrNotFound.
//
// Matching is a LIKE over a lower-cased copy of the text kept in
// product_search: for a catalog of this size a scan costs microseconds, and
// unlike SQLite's FTS5 it runs unchanged on PostgreSQL.
func (s *Store) Search(ctx context.Context, p SearchParams) ([]Product, error) {
	if p.Limit < 0 {
		return nil, fmt.Errorf("search products: negative limit %d", p.Limit)
	}
	var scores, conds []string
	var scoreArgs, condArgs []any
	for _, w := range searchWords(p.Query) {
		pattern := "%" + escapeLike(w) + "%"
		scores = append(scores, `CASE WHEN s.name_text LIKE ? ESCAPE '\' THEN 4 WHEN s.tags_text LIKE ? ESCAPE '\' THEN 2 ELSE 1 END`)
		scoreArgs = append(scoreArgs, pattern, pattern)
		conds = append(conds, `(s.name_text LIKE ? ESCAPE '\' OR s.tags_text LIKE ? ESCAPE '\' OR s.body_text LIKE ? ESCAPE '\')`)
		condArgs = append(condArgs, pattern, pattern, pattern)
	}
	if p.CategoryID != "" {
		if err := s.categoryExists(ctx, p.CategoryID); err != nil {
			return nil, fmt.Errorf("search products: %w", err)
		}
		conds = append(conds, `p.category_id = ?`)
		condArgs = append(condArgs, p.CategoryID)
	}
	order, where := "", ""
	if len(scores) > 0 {
		order = strings.Join(scores, " + ") + " DESC, "
	}
	if len(conds) > 0 {
		where = "WHERE " + strings.Join(conds, " AND ")
	}
	// Placeholders bind in textual order: WHERE comes before ORDER BY.
	args := append(append(condArgs, scoreArgs...), p.Limit)
	products, err := s.queryProducts(ctx, `
		SELECT `+productColumns+`
		FROM products p
		JOIN categories c ON c.id = p.category_id
		JOIN product_search s ON s.product_id = p.id
		`+where+`
		ORDER BY `+order+`c.position, p.name, p.id
		LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("search products %q: %w", p.Query, err)
	}
	return products, nil
}

// wordPunctuation is trimmed from both ends of a query word, so that
// "kettle," and "\"kettle\"" search for kettle.
const wordPunctuation = `.,;:!?"'()[]{}`

// searchWords splits a query into distinct lower-case words.
func searchWords(query string) []string {
	var words []string
	seen := map[string]bool{}
	for _, w := range strings.Fields(strings.ToLower(query)) {
		w = strings.Trim(w, wordPunctuation)
		if w != "" && !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return words
}

// escapeLike escapes LIKE's wildcards so that w matches only itself.
func escapeLike(w string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(w)
}
