package catalog

import "testing"

func TestPageSize(t *testing.T) {
	tests := []struct {
		in      int32
		want    int
		wantErr bool
	}{
		{in: -1, wantErr: true},
		{in: 0, want: DefaultPageSize},
		{in: 1, want: 1},
		{in: 100, want: 100},
		{in: 101, want: MaxPageSize},
		{in: 1 << 30, want: MaxPageSize},
	}
	for _, tt := range tests {
		got, err := pageSize(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("pageSize(%d) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestPageTokenRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		offset   int
		category string
	}{{0, ""}, {24, ""}, {5, "books"}, {maxOffset, "garden"}} {
		got, err := decodePageToken(encodePageToken(tt.offset, tt.category), tt.category)
		if err != nil || got != tt.offset {
			t.Errorf("round trip of %d/%q = %d, %v", tt.offset, tt.category, got, err)
		}
	}
	if got, err := decodePageToken("", "books"); err != nil || got != 0 {
		t.Errorf("empty token = %d, %v; want 0, nil", got, err)
	}
	for _, bad := range []string{"%%%", encodePageToken(3, "books"), "djE6MDE6", "djE6KzE6"} { // "v1:01:", "v1:+1:"
		if _, err := decodePageToken(bad, ""); err == nil {
			t.Errorf("decodePageToken(%q) succeeded, want error", bad)
		}
	}
}

func TestCheckID(t *testing.T) {
	for id, ok := range map[string]bool{
		"espresso-cup": true, "a5-dot-grid-notebook": true, "": false, "Espresso": false,
		"espresso cup": false, "cup/../x": false, "é": false,
	} {
		if err := checkID("id", id); (err == nil) != ok {
			t.Errorf("checkID(%q) = %v, want ok %v", id, err, ok)
		}
	}
}
