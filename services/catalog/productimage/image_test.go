package productimage

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// parseSVG decodes data as XML and returns the root element's name, the
// <title> text and every <text> element's content.
func parseSVG(t *testing.T, data []byte) (root, title string, texts []string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("image is not valid XML: %v\n%s", err, data)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Space + " " + tok.Name.Local
			}
			stack = append(stack, tok.Name.Local)
			if tok.Name.Local == "text" {
				texts = append(texts, "")
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			switch {
			case len(stack) > 0 && stack[len(stack)-1] == "title":
				title += string(tok)
			case len(stack) > 0 && stack[len(stack)-1] == "text":
				texts[len(texts)-1] += string(tok)
			}
		}
	}
	return root, title, texts
}

func TestRenderIsValidSVGWithEscapedText(t *testing.T) {
	tests := []Spec{
		{ProductID: "cedar-sage-soy-candle", Name: "Cedar & Sage Soy Candle", CategoryID: "home", CategoryName: "Home"},
		{ProductID: "x", Name: `<script>alert("hi")</script> & 'quotes'`, CategoryID: "books", CategoryName: "Books & <More>"},
		{ProductID: "y", Name: "Chef's Knife", CategoryID: "kitchen", CategoryName: "Kitchen"},
		{ProductID: "z", Name: "", CategoryID: "unknown", CategoryName: ""},
		{ProductID: "long", Name: "An Extraordinarily Long Product Name That Cannot Possibly Fit On Two Lines Of The Picture", CategoryID: "garden", CategoryName: "Garden"},
		{ProductID: "w", Name: "Überlänge—ÄÖÜ ünïcödé ✓", CategoryID: "apparel", CategoryName: "Apparel"},
	}
	for _, s := range tests {
		t.Run(s.ProductID, func(t *testing.T) {
			data := Render(s)
			root, title, texts := parseSVG(t, data)
			if root != "http://www.w3.org/2000/svg svg" {
				t.Errorf("root element = %q, want svg in the SVG namespace", root)
			}
			if title != s.Name {
				t.Errorf("title = %q, want %q", title, s.Name)
			}
			if len(texts) < 1 || texts[len(texts)-1] != strings.ToUpper(s.CategoryName) {
				t.Errorf("texts = %q, want the category name last", texts)
			}
			if bytes.Contains(data, []byte("<script")) {
				t.Error("markup in the name reached the SVG unescaped")
			}
		})
	}
}

func TestRenderIsDeterministicAndETagStable(t *testing.T) {
	s := Spec{ProductID: "espresso-cup", Name: "Stoneware Espresso Cup", CategoryID: "kitchen", CategoryName: "Kitchen"}
	a, b := Render(s), Render(s)
	if !bytes.Equal(a, b) {
		t.Fatal("two renders of the same spec differ")
	}
	if ETag(a) != ETag(b) {
		t.Error("etags of equal images differ")
	}
	if e := ETag(a); len(e) != 34 || e[0] != '"' || e[len(e)-1] != '"' {
		t.Errorf("ETag = %s, want a quoted 32-hex-digit string", e)
	}
	other := Render(Spec{ProductID: "espresso-cup", Name: "Stoneware Espresso Cups", CategoryID: "kitchen", CategoryName: "Kitchen"})
	if ETag(other) == ETag(a) {
		t.Error("different images share an etag")
	}
}

func TestGlyphsDifferByCategory(t *testing.T) {
	c := swatchFor("p")
	seen := map[string]string{}
	for _, id := range []string{"kitchen", "home", "garden", "outdoors", "apparel", "books", "stationery", "other"} {
		g := glyph(id, c)
		if prev, ok := seen[g]; ok {
			t.Errorf("categories %s and %s share a glyph", prev, id)
		}
		seen[g] = id
		if strings.Contains(g, "INK") || strings.Contains(g, "MID") || strings.Contains(g, "BG") {
			t.Errorf("glyph of %s has an unreplaced colour: %s", id, g)
		}
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"Short", []string{"Short"}},
		{"Stoneware Espresso Cup", []string{"Stoneware Espresso Cup"}},
		{"A Gentle Primer on Distributed Systems", []string{"A Gentle Primer on", "Distributed Systems"}},
		{"one two three four five six seven eight nine ten eleven", []string{"one two three four five", "six seven eight nine te…"}},
		{"Supercalifragilisticexpialidocious", []string{"Supercalifragilisticexp…"}},
	}
	for _, tt := range tests {
		got := wrap(tt.in, 24, 2)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("wrap(%q) = %q, want %q", tt.in, got, tt.want)
		}
		for _, l := range got {
			if n := utf8.RuneCountInString(l); n > 24 {
				t.Errorf("wrap(%q) line %q has %d runes", tt.in, l, n)
			}
		}
	}
}
