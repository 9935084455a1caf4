package registry

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func inst(id, service, addr string) Instance {
	return Instance{ID: id, Service: service, GRPCAddr: addr, AdminAddr: "127.0.0.1:1"}
}

func TestWriteReadRoundTrip(t *testing.T) {
	started := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	tests := []struct {
		name string
		snap Snapshot
		want Snapshot
	}{
		{"empty", Snapshot{}, Snapshot{Instances: []Instance{}}},
		{"all fields", Snapshot{Instances: []Instance{{
			ID: "catalog-1", Service: "catalog", GRPCAddr: "127.0.0.1:41234",
			AdminAddr: "127.0.0.1:41235", HTTPAddr: "127.0.0.1:8080",
			Version: "v1.2.3", PID: 4242, Started: started,
		}}}, Snapshot{Instances: []Instance{{
			ID: "catalog-1", Service: "catalog", GRPCAddr: "127.0.0.1:41234",
			AdminAddr: "127.0.0.1:41235", HTTPAddr: "127.0.0.1:8080",
			Version: "v1.2.3", PID: 4242, Started: started,
		}}}},
		{"several services", Snapshot{Instances: []Instance{
			inst("catalog-1", "catalog", "127.0.0.1:1001"),
			inst("cart-1", "cart", "127.0.0.1:1002"),
			inst("catalog-2", "catalog", "[::1]:1003"),
		}}, Snapshot{Instances: []Instance{
			inst("catalog-1", "catalog", "127.0.0.1:1001"),
			inst("cart-1", "cart", "127.0.0.1:1002"),
			inst("catalog-2", "catalog", "[::1]:1003"),
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "registry.json")
			if err := Write(path, tt.snap); err != nil {
				t.Fatalf("Write: %v", err)
			}
			got, err := Read(path)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Read = %+v, want %+v", got, tt.want)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				t.Errorf("dir holds %d entries after Write, want only the registry file", len(entries))
			}
		})
	}
}

func TestWriteReplacesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.json")
	first := Snapshot{Instances: []Instance{inst("a-1", "a", "127.0.0.1:1"), inst("a-2", "a", "127.0.0.1:2")}}
	second := Snapshot{Instances: []Instance{inst("a-3", "a", "127.0.0.1:3")}}
	for _, s := range []Snapshot{first, second} {
		if err := Write(path, s); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	got, err := Read(path)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if !reflect.DeepEqual(got, second) {
		t.Errorf("Read = %+v, want %+v", got, second)
	}
}

func TestReadMissingFileIsEmpty(t *testing.T) {
	got, err := Read(filepath.Join(t.TempDir(), "nope.json"))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(got.Instances) != 0 {
		t.Errorf("Read = %+v, want empty", got)
	}
}

func TestReadRejectsBadFile(t *testing.T) {
	tests := []struct {
		name, content, wantErr string
	}{
		{"empty file", "", "unexpected end of JSON input"},
		{"garbage", "not json", "invalid character"},
		{"truncated", `{"instances":[{"id":"a-1"`, "unexpected end of JSON input"},
		{"trailing data", `{"instances":[]} {}`, "invalid character"},
		{"wrong type", `{"instances":{}}`, "cannot unmarshal"},
		{"missing id", `{"instances":[{"service":"a","grpc_addr":"127.0.0.1:1"}]}`, "empty id"},
		{"missing service", `{"instances":[{"id":"a-1","grpc_addr":"127.0.0.1:1"}]}`, "empty service"},
		{"bad address", `{"instances":[{"id":"a-1","service":"a","grpc_addr":"localhost"}]}`, "grpc_addr"},
		{"duplicate id", `{"instances":[{"id":"a-1","service":"a","grpc_addr":"127.0.0.1:1"},{"id":"a-1","service":"a","grpc_addr":"127.0.0.1:2"}]}`, "duplicate id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "registry.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
				t.Errorf("Read error = %v, want one naming %s and containing %q", err, path, tt.wantErr)
			}
		})
	}
}

func TestReadUnreadable(t *testing.T) {
	dir := t.TempDir() // a directory cannot be read as a file
	if _, err := Read(dir); err == nil {
		t.Errorf("Read(directory) succeeded, want an error")
	}
}

func TestWriteRejectsInvalidSnapshot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.json")
	good := Snapshot{Instances: []Instance{inst("a-1", "a", "127.0.0.1:1")}}
	if err := Write(path, good); err != nil {
		t.Fatal(err)
	}
	bad := Snapshot{Instances: []Instance{inst("a-2", "a", "no-port")}}
	if err := Write(path, bad); err == nil {
		t.Fatal("Write(invalid) succeeded, want an error")
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, good) {
		t.Errorf("file changed by a rejected Write: %+v", got)
	}
}

func TestWriteFailsInMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "registry.json")
	if err := Write(path, Snapshot{}); err == nil {
		t.Error("Write into a missing directory succeeded, want an error")
	}
}

func TestOf(t *testing.T) {
	s := Snapshot{Instances: []Instance{
		inst("catalog-1", "catalog", "127.0.0.1:1"),
		inst("cart-1", "cart", "127.0.0.1:2"),
		inst("catalog-2", "catalog", "127.0.0.1:3"),
	}}
	tests := []struct {
		service string
		wantIDs []string
	}{
		{"catalog", []string{"catalog-1", "catalog-2"}},
		{"cart", []string{"cart-1"}},
		{"orders", nil},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			var ids []string
			for _, in := range s.Of(tt.service) {
				ids = append(ids, in.ID)
			}
			if !reflect.DeepEqual(ids, tt.wantIDs) {
				t.Errorf("Of(%q) ids = %v, want %v", tt.service, ids, tt.wantIDs)
			}
		})
	}
}
