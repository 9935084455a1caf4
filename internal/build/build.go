// Package build compiles Bazaar's service binaries from the module source,
// the way `bazaar up` needs them: static, stamped with a version, into one
// directory.
package build

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ModulePath is the Go module Bazaar's sources belong to.
const ModulePath = "github.com/bazaar-shop/bazaar"

// ErrNoSource is returned by FindModuleRoot when no Bazaar source tree
// encloses the directory.
var ErrNoSource = errors.New("not inside a Bazaar source tree")

// FindModuleRoot walks up from dir to the directory whose go.mod declares
// ModulePath.
func FindModuleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if isBazaarModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNoSource
		}
		dir = parent
	}
}

func isBazaarModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 && fields[0] == "module" {
			return fields[1] == ModulePath
		}
	}
	return false
}

// Version describes the source tree: `git describe` when it is a git
// checkout, "dev" otherwise.
func Version(ctx context.Context, root string) string {
	cmd := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "dev"
	}
	return strings.TrimSpace(string(out))
}

// Binaries builds the commands cmd/<name> for every name into outDir,
// statically linked and with main.version set to version.
func Binaries(ctx context.Context, root, outDir, version string, names []string) error {
	if err := os.MkdirAll(outDir, 0o750); err != nil {
		return fmt.Errorf("build: create %s: %w", outDir, err)
	}
	args := []string{"build", "-trimpath", "-o", outDir + string(filepath.Separator),
		"-ldflags", "-s -w -X main.version=" + version}
	for _, n := range names {
		args = append(args, "./cmd/"+n)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s: %w\n%s", strings.Join(names, ", "), err, stderr.String())
	}
	return nil
}
