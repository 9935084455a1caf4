// Package productimage draws the catalog's product pictures: a flat,
// deterministic SVG per product with a background colour picked from the
// product id, a glyph for its category built from basic shapes, and its
// name. The same input always gives the same bytes, so the ETag of an
// image is stable.
package productimage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"strings"
	"unicode/utf8"
)

// ContentType is the MIME type of every image Render draws.
const ContentType = "image/svg+xml"

// Size is the width and height of an image, in pixels.
const Size = 400

// Spec says what a product's picture shows.
type Spec struct {
	// ProductID picks the colours.
	ProductID string
	// Name is written under the glyph, on up to two lines.
	Name string
	// CategoryID picks the glyph; an unknown category gets a parcel.
	CategoryID string
	// CategoryName is written small at the bottom.
	CategoryName string
}

// Render returns the SVG image described by s.
func Render(s Spec) []byte {
	c := swatchFor(s.ProductID)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img">`, Size, Size, Size, Size)
	b.WriteString(`<title>`)
	escape(&b, s.Name)
	b.WriteString(`</title>`)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="%s"/>`, Size, Size, c.background)
	fmt.Fprintf(&b, `<circle cx="200" cy="160" r="115" fill="%s" fill-opacity="0.6"/>`, c.mid)
	fmt.Fprintf(&b, `<g transform="translate(200 160)">%s</g>`, glyph(s.CategoryID, c))
	b.WriteString(`<g font-family="Helvetica, Arial, sans-serif" text-anchor="middle" fill="` + c.ink + `">`)
	lines := wrap(s.Name, 24, 2)
	y := 322
	if len(lines) == 1 {
		y = 336
	}
	for i, line := range lines {
		fmt.Fprintf(&b, `<text x="200" y="%d" font-size="24" font-weight="600">`, y+i*30)
		escape(&b, line)
		b.WriteString(`</text>`)
	}
	b.WriteString(`<text x="200" y="382" font-size="13" letter-spacing="3" fill-opacity="0.7">`)
	escape(&b, strings.ToUpper(s.CategoryName))
	b.WriteString(`</text></g></svg>`)
	return b.Bytes()
}

// ETag returns a strong HTTP validator for data, quoted as the ETag
// header wants it: "\"" + 32 hex digits of its SHA-256 + "\"".
func ETag(data []byte) string {
	sum := sha256.Sum256(data)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// escape writes s as XML character data.
func escape(b *bytes.Buffer, s string) {
	// EscapeText only fails when the writer does; a Buffer never does.
	_ = xml.EscapeText(b, []byte(s))
}

// wrap breaks s into at most maxLines lines of at most width runes,
// between words where it can, ending with "…" when s does not fit.
func wrap(s string, width, maxLines int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = w
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	for i, l := range lines {
		if utf8.RuneCountInString(l) > width {
			lines[i] = truncate(l, width)
		}
	}
	if len(lines) > maxLines {
		lines = lines[:maxLines]
		last := lines[maxLines-1]
		if utf8.RuneCountInString(last) >= width {
			last = string([]rune(last)[:width-1])
		}
		lines[maxLines-1] = strings.TrimRight(last, " …") + "…"
	}
	return lines
}

// truncate shortens s to width runes, the last being "…".
func truncate(s string, width int) string {
	return string([]rune(s)[:width-1]) + "…"
}

// swatch is a set of colours that go together.
type swatch struct {
	background, mid, ink string
}

// swatchFor picks a swatch from a hash of the product id.
func swatchFor(productID string) swatch {
	swatches := [...]swatch{
		{"#DDE5D3", "#A9BF9A", "#3E5641"}, // sage
		{"#F2D8C9", "#D98E6E", "#7A3B26"}, // terracotta
		{"#D6E4EE", "#93B5CF", "#2F4F6B"}, // sky
		{"#F3E6C0", "#D9B45A", "#6B5219"}, // mustard
		{"#E6D7E3", "#B48BAA", "#5A3553"}, // plum
		{"#D2E8E4", "#7FB8AE", "#24544D"}, // teal
		{"#EFE6DA", "#C9AE8C", "#5E4A33"}, // sand
		{"#F4DADA", "#D9989A", "#7A3436"}, // rose
		{"#DCDFE6", "#9AA3B5", "#39404F"}, // slate
		{"#E4E6CC", "#B3B878", "#4F5325"}, // olive
		{"#F7DDD3", "#E9967A", "#8A3B22"}, // coral
		{"#E3E0F3", "#A59CD3", "#43397A"}, // lavender
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(productID)) // hash writes never fail
	return swatches[h.Sum32()%uint32(len(swatches))]
}
