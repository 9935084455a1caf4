package store_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/bazaar-shop/bazaar/platform/storage"
	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
	"github.com/bazaar-shop/bazaar/services/catalog/productimage"
	"github.com/bazaar-shop/bazaar/services/catalog/seed"
	"github.com/bazaar-shop/bazaar/services/catalog/store"
)

// seedData is the embedded product set with rendered images.
func seedData(t *testing.T) store.SeedData {
	t.Helper()
	data, err := seed.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range data.Products {
		svg := productimage.Render(productimage.Spec{ProductID: p.ID, Name: p.Name, CategoryID: p.CategoryID, CategoryName: p.CategoryID})
		data.Images = append(data.Images, store.Image{ProductID: p.ID, ContentType: productimage.ContentType, Data: svg, ETag: productimage.ETag(svg)})
	}
	return data
}

// openStore opens a store on a fresh database of engine.
func openStore(t *testing.T, engine string) (*store.Store, string) {
	t.Helper()
	path := storagetest.DSN(t, engine, "catalog")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

// seededStore opens a fresh store and seeds it.
func seededStore(t *testing.T, engine string) (*store.Store, store.SeedData) {
	t.Helper()
	st, _ := openStore(t, engine)
	data := seedData(t)
	if seeded, err := st.Seed(context.Background(), data); err != nil || !seeded {
		t.Fatalf("Seed = %v, %v; want true, nil", seeded, err)
	}
	return st, data
}

func ids(ps []store.Product) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func TestSeedOnceAndKeepWhatTheDatabaseHolds(t *testing.T) {
	storagetest.Run(t, testSeedOnceAndKeepWhatTheDatabaseHolds)
}

func testSeedOnceAndKeepWhatTheDatabaseHolds(t *testing.T, engine string) {
	ctx := context.Background()
	st, path := openStore(t, engine)
	data := seedData(t)
	if seeded, err := st.Seed(ctx, data); err != nil || !seeded {
		t.Fatalf("first Seed = %v, %v; want true, nil", seeded, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// Someone changes a product between starts.
	db, err := storage.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE products SET name = 'Renamed Cup' WHERE id = 'espresso-cup'`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	st2, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if seeded, err := st2.Seed(ctx, data); err != nil || seeded {
		t.Fatalf("second Seed = %v, %v; want false, nil", seeded, err)
	}
	page, err := st2.ListProducts(ctx, store.ListParams{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != len(data.Products) || len(page.Products) != len(data.Products) {
		t.Errorf("after reseed: total %d, %d listed; want %d", page.Total, len(page.Products), len(data.Products))
	}
	cats, err := st2.ListCategories(ctx)
	if err != nil || len(cats) != len(data.Categories) {
		t.Errorf("after reseed: %d categories, %v; want %d", len(cats), err, len(data.Categories))
	}
	if p, err := st2.GetProduct(ctx, "espresso-cup"); err != nil || p.Name != "Renamed Cup" {
		t.Errorf("espresso-cup = %q, %v; want the edited name kept", p.Name, err)
	}
}

func TestSeedIsAllOrNothing(t *testing.T) {
	storagetest.Run(t, testSeedIsAllOrNothing)
}

func testSeedIsAllOrNothing(t *testing.T, engine string) {
	ctx := context.Background()
	st, _ := openStore(t, engine)
	bad := seedData(t)
	bad.Products = append(bad.Products, store.Product{ID: "orphan", Name: "Orphan", Description: "x", CategoryID: "nowhere",
		Price: store.Money{Currency: "USD", Units: 1}, WeightGrams: 1, Tags: []string{"x"}})
	if _, err := st.Seed(ctx, bad); err == nil {
		t.Fatal("Seed with a product of an unknown category succeeded")
	}
	if cats, _ := st.ListCategories(ctx); len(cats) != 0 {
		t.Errorf("failed seed left %d categories behind", len(cats))
	}
	if page, _ := st.ListProducts(ctx, store.ListParams{Limit: 10}); page.Total != 0 {
		t.Errorf("failed seed left %d products behind", page.Total)
	}
	if seeded, err := st.Seed(ctx, seedData(t)); err != nil || !seeded {
		t.Errorf("Seed after a failed one = %v, %v; want true, nil", seeded, err)
	}
}

func TestListPagingWalksEveryProductOnceInOrder(t *testing.T) {
	storagetest.Run(t, testListPagingWalksEveryProductOnceInOrder)
}

func testListPagingWalksEveryProductOnceInOrder(t *testing.T, engine string) {
	ctx := context.Background()
	st, data := seededStore(t, engine)
	position := map[string]int{}
	for i, c := range data.Categories {
		position[c.ID] = i
	}
	for _, size := range []int{1, 5, 24, 100} {
		var all []store.Product
		for offset := 0; ; offset += size {
			page, err := st.ListProducts(ctx, store.ListParams{Offset: offset, Limit: size})
			if err != nil {
				t.Fatalf("size %d offset %d: %v", size, offset, err)
			}
			if page.Total != len(data.Products) {
				t.Fatalf("size %d: total %d, want %d", size, page.Total, len(data.Products))
			}
			if len(page.Products) > size {
				t.Fatalf("size %d: page of %d", size, len(page.Products))
			}
			all = append(all, page.Products...)
			if offset+size >= page.Total {
				break
			}
		}
		got := ids(all)
		if len(got) != len(data.Products) {
			t.Errorf("size %d: walked %d products, want %d", size, len(got), len(data.Products))
		}
		seen := map[string]bool{}
		for _, id := range got {
			if seen[id] {
				t.Errorf("size %d: %s listed twice", size, id)
			}
			seen[id] = true
		}
		ordered := slices.IsSortedFunc(all, func(a, b store.Product) int {
			if d := position[a.CategoryID] - position[b.CategoryID]; d != 0 {
				return d
			}
			if a.Name < b.Name {
				return -1
			}
			return 1
		})
		if !ordered {
			t.Errorf("size %d: not ordered by category then name: %v", size, got)
		}
	}
	if page, err := st.ListProducts(ctx, store.ListParams{Offset: 1000, Limit: 10}); err != nil || len(page.Products) != 0 {
		t.Errorf("past the end: %d products, %v; want none", len(page.Products), err)
	}
}

func TestListCategoryFilter(t *testing.T) {
	storagetest.Run(t, testListCategoryFilter)
}

func testListCategoryFilter(t *testing.T, engine string) {
	ctx := context.Background()
	st, data := seededStore(t, engine)
	want := map[string]int{}
	for _, p := range data.Products {
		want[p.CategoryID]++
	}
	for _, c := range data.Categories {
		page, err := st.ListProducts(ctx, store.ListParams{CategoryID: c.ID, Limit: 100})
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		if page.Total != want[c.ID] || len(page.Products) != want[c.ID] {
			t.Errorf("%s: total %d, listed %d; want %d", c.ID, page.Total, len(page.Products), want[c.ID])
		}
		for _, p := range page.Products {
			if p.CategoryID != c.ID {
				t.Errorf("%s listing holds %s of %s", c.ID, p.ID, p.CategoryID)
			}
		}
	}
	if _, err := st.ListProducts(ctx, store.ListParams{CategoryID: "nowhere", Limit: 10}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown category: %v, want ErrNotFound", err)
	}
}

func TestGetProduct(t *testing.T) {
	storagetest.Run(t, testGetProduct)
}

func testGetProduct(t *testing.T, engine string) {
	ctx := context.Background()
	st, _ := seededStore(t, engine)
	p, err := st.GetProduct(ctx, "linen-tea-towels")
	if err != nil {
		t.Fatal(err)
	}
	want := store.Product{
		ID: "linen-tea-towels", Name: "Linen Tea Towels, Set of 3", CategoryID: "kitchen",
		Price: store.Money{Currency: "USD", Units: 24, Nanos: 990000000}, WeightGrams: 240,
		Tags: []string{"linen", "towel", "textiles", "kitchen-linen"},
	}
	p.Description = ""
	if !productsEqual(p, want) {
		t.Errorf("GetProduct = %+v, want %+v", p, want)
	}
	if _, err := st.GetProduct(ctx, "no-such-thing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing product: %v, want ErrNotFound", err)
	}
}

func productsEqual(a, b store.Product) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Description == b.Description && a.CategoryID == b.CategoryID &&
		a.Price == b.Price && a.WeightGrams == b.WeightGrams && slices.Equal(a.Tags, b.Tags)
}

func TestBatchGetKeepsOrderAndReportsMissing(t *testing.T) {
	storagetest.Run(t, testBatchGetKeepsOrderAndReportsMissing)
}

func testBatchGetKeepsOrderAndReportsMissing(t *testing.T, engine string) {
	ctx := context.Background()
	st, _ := seededStore(t, engine)
	tests := []struct {
		name        string
		ids         []string
		wantFound   []string
		wantMissing []string
	}{
		{"none", nil, nil, nil},
		{"order kept", []string{"washi-tape-set", "espresso-cup", "packable-hammock"}, []string{"washi-tape-set", "espresso-cup", "packable-hammock"}, nil},
		{"missing", []string{"ghost", "espresso-cup", "phantom"}, []string{"espresso-cup"}, []string{"ghost", "phantom"}},
		{"repeats once", []string{"espresso-cup", "ghost", "espresso-cup", "ghost"}, []string{"espresso-cup"}, []string{"ghost"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found, missing, err := st.BatchGetProducts(ctx, tt.ids)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(found), tt.wantFound) || !slices.Equal(missing, tt.wantMissing) {
				t.Errorf("found %v missing %v; want %v, %v", ids(found), missing, tt.wantFound, tt.wantMissing)
			}
			for _, p := range found {
				if len(p.Tags) == 0 || p.Price.Currency != "USD" {
					t.Errorf("%s came back without tags or price: %+v", p.ID, p)
				}
			}
		})
	}
}

func TestImagesAreValidSVGWithStableETags(t *testing.T) {
	storagetest.Run(t, testImagesAreValidSVGWithStableETags)
}

func testImagesAreValidSVGWithStableETags(t *testing.T, engine string) {
	ctx := context.Background()
	st, path := openStore(t, engine)
	data := seedData(t)
	if _, err := st.Seed(ctx, data); err != nil {
		t.Fatal(err)
	}
	etags := map[string]string{}
	for _, p := range data.Products {
		img, err := st.ProductImage(ctx, p.ID)
		if err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		if img.ContentType != "image/svg+xml" {
			t.Errorf("%s: content type %q", p.ID, img.ContentType)
		}
		if img.ETag != productimage.ETag(img.Data) {
			t.Errorf("%s: etag %s does not match the data", p.ID, img.ETag)
		}
		dec := xml.NewDecoder(bytes.NewReader(img.Data))
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: image is not valid XML: %v", p.ID, err)
			}
		}
		etags[p.ID] = img.ETag
	}
	st.Close()
	st2, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if _, err := st2.Seed(ctx, seedData(t)); err != nil {
		t.Fatal(err)
	}
	for id, etag := range etags {
		if img, err := st2.ProductImage(ctx, id); err != nil || img.ETag != etag {
			t.Errorf("%s after restart: etag %s, %v; want %s", id, img.ETag, err, etag)
		}
	}
	if _, err := st2.ProductImage(ctx, "no-such-thing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing image: %v, want ErrNotFound", err)
	}
}

// Two replicas starting together on one file: exactly one seeds.
func TestConcurrentSeedsSeedOnce(t *testing.T) {
	storagetest.Run(t, testConcurrentSeedsSeedOnce)
}

func testConcurrentSeedsSeedOnce(t *testing.T, engine string) {
	ctx := context.Background()
	a, path := openStore(t, engine)
	b, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	data := seedData(t)
	results := make(chan bool, 2)
	errs := make(chan error, 2)
	for _, st := range []*store.Store{a, b} {
		go func() {
			seeded, err := st.Seed(ctx, data)
			results <- seeded
			errs <- err
		}()
	}
	seededCount := 0
	for range 2 {
		if <-results {
			seededCount++
		}
		if err := <-errs; err != nil {
			t.Errorf("Seed: %v", err)
		}
	}
	if seededCount != 1 {
		t.Errorf("%d stores seeded, want exactly 1", seededCount)
	}
	if page, err := b.ListProducts(ctx, store.ListParams{Limit: 100}); err != nil || page.Total != len(data.Products) {
		t.Errorf("total %d, %v; want %d", page.Total, err, len(data.Products))
	}
}
