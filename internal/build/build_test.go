package build

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFindModuleRoot(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := FindModuleRoot(deep); !errors.Is(err, ErrNoSource) {
		t.Fatalf("outside a source tree: %v, want ErrNoSource", err)
	}
	other := filepath.Join(root, "a", "go.mod")
	if err := os.WriteFile(other, []byte("module example.com/other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := FindModuleRoot(deep); !errors.Is(err, ErrNoSource) {
		t.Fatalf("under another module: %v, want ErrNoSource", err)
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module "+ModulePath+"\n\ngo 1.26.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(other); err != nil {
		t.Fatal(err)
	}
	got, err := FindModuleRoot(deep)
	if err != nil || got != root {
		t.Fatalf("FindModuleRoot = %q, %v; want %q", got, err, root)
	}
}

// The real tree builds a service binary that reports the stamped version.
func TestBinariesStampsTheVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a service; runs in the full suite")
	}
	root, err := FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := Binaries(context.Background(), root, out, "v-test", []string{"pricing"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, "pricing"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("v-test")) {
		t.Error("built binary does not carry the version string")
	}
	if err := Binaries(context.Background(), root, out, "v", []string{"no-such-service"}); err == nil {
		t.Error("building a missing command succeeded")
	}
	if v := Version(context.Background(), t.TempDir()); v != "dev" {
		t.Errorf("Version outside git = %q, want dev", v)
	}
}
