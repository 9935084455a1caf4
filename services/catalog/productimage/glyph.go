package productimage

import "strings"

// glyph returns the SVG shapes of a category's symbol, centred on the
// origin and about 180 pixels across, in the swatch's colours.
func glyph(categoryID string, c swatch) string {
	var shapes string
	switch categoryID {
	case "kitchen":
		shapes = mug
	case "home":
		shapes = house
	case "garden":
		shapes = flower
	case "outdoors":
		shapes = mountains
	case "apparel":
		shapes = shirt
	case "books":
		shapes = books
	case "stationery":
		shapes = pencil
	default:
		shapes = parcel
	}
	return strings.NewReplacer("INK", c.ink, "BG", c.background, "MID", c.mid).Replace(shapes)
}

// The glyphs, with INK, BG and MID standing for the swatch's colours.
const (
	mug = `<rect x="-55" y="-40" width="85" height="100" rx="12" fill="INK"/>` +
		`<path d="M30 -18 h14 a24 24 0 0 1 0 48 h-14" fill="none" stroke="INK" stroke-width="13"/>` +
		`<rect x="-55" y="0" width="85" height="14" fill="BG" fill-opacity="0.55"/>` +
		`<path d="M-35 -55 q12 -15 0 -30 M-12 -55 q12 -15 0 -30 M11 -55 q12 -15 0 -30" fill="none" stroke="INK" stroke-width="7" stroke-linecap="round"/>`
	house = `<rect x="38" y="-78" width="18" height="40" fill="INK"/>` +
		`<polygon points="0,-88 -90,-8 90,-8" fill="INK"/>` +
		`<rect x="-68" y="-10" width="136" height="85" fill="INK"/>` +
		`<rect x="-18" y="25" width="36" height="50" rx="3" fill="BG"/>` +
		`<rect x="-54" y="6" width="24" height="24" fill="BG"/>` +
		`<rect x="30" y="6" width="24" height="24" fill="BG"/>`
	flower = `<rect x="-4" y="-20" width="8" height="100" fill="INK"/>` +
		`<ellipse cx="-26" cy="48" rx="28" ry="11" transform="rotate(-30 -26 48)" fill="INK"/>` +
		`<ellipse cx="26" cy="30" rx="28" ry="11" transform="rotate(30 26 30)" fill="INK"/>` +
		`<circle cx="30" cy="-45" r="20" fill="INK"/><circle cx="15" cy="-19" r="20" fill="INK"/>` +
		`<circle cx="-15" cy="-19" r="20" fill="INK"/><circle cx="-30" cy="-45" r="20" fill="INK"/>` +
		`<circle cx="-15" cy="-71" r="20" fill="INK"/><circle cx="15" cy="-71" r="20" fill="INK"/>` +
		`<circle cx="0" cy="-45" r="15" fill="BG"/>`
	mountains = `<circle cx="48" cy="-52" r="24" fill="BG"/>` +
		`<polygon points="-95,72 -25,-48 45,72" fill="INK"/>` +
		`<polygon points="-5,72 52,-12 105,72" fill="INK" fill-opacity="0.75"/>` +
		`<polygon points="-25,-48 -43,-17 -25,-25 -8,-17" fill="BG"/>`
	shirt = `<path d="M-35 -72 L-90 -40 L-68 0 L-46 -12 L-46 78 L46 78 L46 -12 L68 0 L90 -40 L35 -72 Q0 -45 -35 -72 Z" fill="INK"/>` +
		`<rect x="16" y="-20" width="18" height="4" rx="2" fill="BG"/>`
	books = `<rect x="-78" y="38" width="156" height="32" rx="4" fill="INK"/>` +
		`<rect x="-66" y="2" width="138" height="32" rx="4" fill="INK" fill-opacity="0.8"/>` +
		`<rect x="-72" y="-34" width="132" height="32" rx="4" fill="INK"/>` +
		`<rect x="-62" y="46" width="8" height="16" fill="BG"/><rect x="-54" y="10" width="8" height="16" fill="BG"/>` +
		`<rect x="-60" y="-26" width="8" height="16" fill="BG"/>` +
		`<rect x="-40" y="-86" width="26" height="50" rx="3" fill="INK" fill-opacity="0.85" transform="rotate(-12 -27 -36)"/>`
	pencil = `<g transform="rotate(-40)">` +
		`<rect x="-72" y="-16" width="112" height="32" fill="INK"/>` +
		`<rect x="-92" y="-16" width="18" height="32" rx="5" fill="BG"/>` +
		`<polygon points="40,-16 80,0 40,16" fill="BG"/>` +
		`<polygon points="66,-6 80,0 66,6" fill="INK"/>` +
		`</g>` +
		`<rect x="-80" y="62" width="160" height="6" rx="3" fill="INK" fill-opacity="0.5"/>`
	parcel = `<rect x="-62" y="-28" width="124" height="96" fill="INK"/>` +
		`<rect x="-72" y="-56" width="144" height="30" fill="INK"/>` +
		`<rect x="-9" y="-56" width="18" height="124" fill="BG"/>`
)
