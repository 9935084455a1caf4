package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/bazaar-shop/bazaar/internal/build"
	"github.com/bazaar-shop/bazaar/internal/supervisor"
)

// upgradeBuilder builds a new binary of one service from the source tree
// root for `bazaar upgrade`, into a directory of its own under
// binDir/versions, so the running instances keep their files. The version
// is the tree's (git describe) plus the build time, so every build is
// told apart even from an unchanged tree.
func upgradeBuilder(root, binDir string) supervisor.Builder {
	return func(ctx context.Context, service string) (string, string, error) {
		if !slices.ContainsFunc(services(), func(s serviceSpec) bool { return s.name == service }) {
			return "", "", fmt.Errorf("%w: %s is not built from cmd/%s: only the shop's services can be upgraded (restart it instead)",
				supervisor.ErrInvalid, service, service)
		}
		now := time.Now().UTC()
		version := build.Version(ctx, root) + "+" + now.Format("20060102T150405Z")
		parent := filepath.Join(binDir, "versions")
		if err := os.MkdirAll(parent, 0o750); err != nil {
			return "", "", fmt.Errorf("build %s: %w", service, err)
		}
		dir, err := os.MkdirTemp(parent, service+"-"+now.Format("20060102T150405Z")+"-")
		if err != nil {
			return "", "", fmt.Errorf("build %s: %w", service, err)
		}
		if err := build.Binaries(ctx, root, dir, version, []string{service}); err != nil {
			_ = os.RemoveAll(dir)
			return "", "", err
		}
		return filepath.Join(dir, service), version, nil
	}
}
