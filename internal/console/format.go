package console

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"
)

// funcs are the formatting functions of the templates; console.js has the
// same ones for what it renders.
func funcs() template.FuncMap {
	return template.FuncMap{
		"rate":   fmtRate,
		"pct":    fmtPct,
		"ms":     fmtMS,
		"bytes":  fmtBytes,
		"cpu":    fmtCPU,
		"uptime": fmtUptime,
		"clock":  func(t time.Time) string { return t.Local().Format("15:04:05.000") },
		"stamp":  func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") },
		"dur":    func(d time.Duration) string { return fmtMS(ms(d)) },
		"short":  func(id string) string { return id[:min(len(id), 12)] },
		"color":  colorClass,
		"lower":  strings.ToLower,
	}
}

// fmtRate formats a per-second rate.
func fmtRate(r float64) string {
	switch {
	case r == 0:
		return "0"
	case r < 10:
		return fmt.Sprintf("%.2f", r)
	case r < 1000:
		return fmt.Sprintf("%.1f", r)
	}
	return fmt.Sprintf("%.0f", r)
}

// fmtPct formats a ratio (0..1) as a percentage.
func fmtPct(r float64) string {
	switch {
	case r == 0:
		return "0%"
	case r < 0.001:
		return "<0.1%"
	}
	return fmt.Sprintf("%.1f%%", 100*r)
}

// fmtMS formats milliseconds as µs, ms or s.
func fmtMS(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 1:
		return fmt.Sprintf("%.0fµs", v*1000)
	case v < 10:
		return fmt.Sprintf("%.2fms", v)
	case v < 1000:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.2fs", v/1000)
}

// fmtBytes formats a size in binary units.
func fmtBytes(b float64) string {
	if b < 1024 {
		return fmt.Sprintf("%.0fB", b)
	}
	exp := min(int(math.Log(b)/math.Log(1024)), 4)
	return fmt.Sprintf("%.1f%ciB", b/math.Pow(1024, float64(exp)), "KMGT"[exp-1])
}

// fmtCPU formats cores used as a percentage of one core.
func fmtCPU(cores float64) string { return fmt.Sprintf("%.0f%%", 100*cores) }

// fmtUptime formats seconds as the two largest units.
func fmtUptime(sec float64) string {
	d := time.Duration(sec) * time.Second
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}
