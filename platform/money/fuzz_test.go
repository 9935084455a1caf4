package money

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseDecimal checks that ParseDecimal never panics, accepts exactly
// the documented grammar, and that FormatDecimal writes back a string
// with the same value.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"0", "-0", "0.9215", "151.2", "-1.75", "", ".5", "1e3", "+1", "1.2.3", "٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseDecimal(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidDecimal) {
				t.Fatalf("ParseDecimal(%q) error %v does not wrap ErrInvalidDecimal", s, err)
			}
			if grammatical(s) && len(s) <= MaxDecimalLen {
				t.Fatalf("ParseDecimal(%q) rejected a valid decimal: %v", s, err)
			}
			return
		}
		if !grammatical(s) {
			t.Fatalf("ParseDecimal(%q) = %s, want an error", s, r.RatString())
		}
		_, frac, _ := strings.Cut(s, ".")
		out := FormatDecimal(r, len(frac))
		back, err := ParseDecimal(out)
		if err != nil || back.Cmp(r) != 0 {
			t.Fatalf("ParseDecimal(FormatDecimal(ParseDecimal(%q))) = %q -> %v, %v", s, out, back, err)
		}
		if again := FormatDecimal(back, len(frac)); again != out {
			t.Fatalf("FormatDecimal is not canonical: %q then %q", out, again)
		}
	})
}

// grammatical reports whether s matches -?[0-9]+(\.[0-9]+)? , written
// differently from ParseDecimal on purpose.
func grammatical(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	if i == start {
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i] != '.' {
		return false
	}
	i++
	start = i
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i > start && i == len(s)
}
