package load

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Mark is a window of the run, in seconds from its start, shaded on the
// chart (a fault injected, an instance killed).
type Mark struct {
	Start, End float64
}

// ParseMark reads "START:END" in seconds, START < END, both >= 0.
func ParseMark(s string) (Mark, error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return Mark{}, fmt.Errorf("mark %q: want START:END in seconds", s)
	}
	start, err1 := strconv.ParseFloat(a, 64)
	end, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil || math.IsNaN(start) || math.IsNaN(end) {
		return Mark{}, fmt.Errorf("mark %q: want START:END in seconds", s)
	}
	if start < 0 || end <= start || math.IsInf(end, 0) {
		return Mark{}, fmt.Errorf("mark %q: want 0 <= START < END", s)
	}
	return Mark{Start: start, End: end}, nil
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH                       = 800.0, 400.0
	padLeft, padRight, padTop, padBottom = 60.0, 20.0, 30.0, 40.0
)

// WriteSVG writes a chart of r's p50 and p99 latency per second, with the
// marks shaded.
func WriteSVG(w io.Writer, r *Result, marks []Mark) error {
	secs := math.Max(float64(len(r.Series)), r.DurationSeconds)
	secs = math.Max(secs, 1)
	top := 1.0
	for _, s := range r.Series {
		top = math.Max(top, s.P99Ms)
	}
	top = niceCeil(top)
	plotW, plotH := chartW-padLeft-padRight, chartH-padTop-padBottom
	x := func(t float64) float64 { return padLeft + plotW*t/secs }
	y := func(v float64) float64 { return padTop + plotH*(1-v/top) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n",
		chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<rect width="%.0f" height="%.0f" fill="white"/>`+"\n", chartW, chartH)
	fmt.Fprintf(&b, `<text x="%.0f" y="18">latency from intended start, rate %.0f/s (ms)</text>`+"\n", padLeft, r.Rate)
	for _, m := range marks {
		x0, x1 := x(math.Min(m.Start, secs)), x(math.Min(m.End, secs))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#f4a4a4" fill-opacity="0.4"/>`+"\n",
			x0, padTop, x1-x0, plotH)
	}
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", padLeft, y(v), padLeft+plotW, y(v))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", padLeft-6, y(v)+4, strconv.FormatFloat(v, 'g', 4, 64))
	}
	step := math.Max(1, niceCeil(secs/10))
	for t := 0.0; t <= secs; t += step {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%gs</text>`+"\n", x(t), chartH-padBottom+16, t)
	}
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#333"/>`+"\n", padLeft, padTop, plotW, plotH)
	line := func(color string, v func(Second) float64) {
		if len(r.Series) == 0 {
			return
		}
		pts := make([]string, len(r.Series))
		for i, s := range r.Series {
			pts[i] = fmt.Sprintf("%.1f,%.1f", x(float64(s.T)+0.5), y(v(s)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", color, strings.Join(pts, " "))
	}
	line("#1f77b4", func(s Second) float64 { return s.P50Ms })
	line("#d62728", func(s Second) float64 { return s.P99Ms })
	fmt.Fprintf(&b, `<text x="%.1f" y="18" fill="#1f77b4">p50</text><text x="%.1f" y="18" fill="#d62728">p99</text>`+"\n",
		chartW-padRight-70, chartW-padRight-35)
	b.WriteString("</svg>\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write svg: %w", err)
	}
	return nil
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}
