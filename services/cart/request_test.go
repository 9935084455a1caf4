package cart

import (
	"strings"
	"testing"
)

func TestCheckProductID(t *testing.T) {
	for id, ok := range map[string]bool{
		"espresso-cup": true, "a5-notebook": true, strings.Repeat("a", MaxProductIDBytes): true,
		"": false, strings.Repeat("a", MaxProductIDBytes+1): false, "Espresso": false, "cup/../x": false, "espresso cup": false, "é": false,
	} {
		if err := checkProductID(id); (err == nil) != ok {
			t.Errorf("checkProductID(%q) = %v, want ok %v", id, err, ok)
		}
	}
}

func TestCheckShopperID(t *testing.T) {
	for id, ok := range map[string]bool{
		"guest-3f2a": true, "0b7c9e1e-uuid": true, strings.Repeat("s", MaxShopperIDBytes): true,
		"": false, strings.Repeat("s", MaxShopperIDBytes+1): false, "bad\nid": false, "nul\x00": false,
	} {
		if err := checkShopperID("shopper_id", id); (err == nil) != ok {
			t.Errorf("checkShopperID(%q) = %v, want ok %v", id, err, ok)
		}
	}
}

func TestCheckQuantity(t *testing.T) {
	tests := []struct {
		q, least int32
		ok       bool
	}{
		{0, 1, false}, {1, 1, true}, {99, 1, true}, {100, 1, false}, {-1, 1, false},
		{0, 0, true}, {-1, 0, false}, {99, 0, true}, {100, 0, false},
	}
	for _, tt := range tests {
		if err := checkQuantity(tt.q, tt.least); (err == nil) != tt.ok {
			t.Errorf("checkQuantity(%d, least %d) = %v, want ok %v", tt.q, tt.least, err, tt.ok)
		}
	}
}
