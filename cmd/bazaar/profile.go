package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/bazaar-shop/bazaar/internal/profile"
	"github.com/bazaar-shop/bazaar/internal/supervisor"
)

const profileUsage = "bazaar profile [-data DIR] [-seconds 10] [-out DIR]"

// maxProfileSeconds bounds one profiling run.
const maxProfileSeconds = 300

// runProfile is `bazaar profile`: a CPU profile of every running
// instance over the same seconds (run it while `bazaar load` drives the
// shop), written to files for `go tool pprof` and summarised by kind of
// work.
func runProfile(ctx context.Context, args []string, stdout, _ io.Writer) error {
	var data, out string
	var seconds int
	fs := opFlags("profile", &data)
	fs.IntVar(&seconds, "seconds", 10, "how long to profile")
	fs.StringVar(&out, "out", "", "directory for the profiles (default: DATA/profiles/TIME)")
	pos, err := parseArgs(fs, args, stdout, profileUsage)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(profileUsage, "unexpected argument %q", pos[0])
	}
	if seconds < 1 || seconds > maxProfileSeconds {
		return usageError(profileUsage, "-seconds %d: must be from 1 to %d", seconds, maxProfileSeconds)
	}
	ctl, err := openShop(data)
	if err != nil {
		return err
	}
	st, err := ctl.Status(ctx)
	if err != nil {
		return fmt.Errorf("list the instances: %w", err)
	}
	var targets []profile.Target
	for _, in := range st.Instances {
		if in.AdminAddr != "" && in.State != supervisor.StateExited {
			targets = append(targets, profile.Target{Name: in.ID, AdminAddr: in.AdminAddr})
		}
	}
	if len(targets) == 0 {
		return fmt.Errorf("no running instance to profile on %s", data)
	}
	if out == "" {
		out = filepath.Join(data, "profiles", time.Now().UTC().Format("20060102T150405Z"))
	}
	if err := os.MkdirAll(out, 0o750); err != nil {
		return fmt.Errorf("profiles directory: %w", err)
	}
	fmt.Fprintf(stdout, "profiling %d instances for %ds…\n", len(targets), seconds)
	client := &http.Client{Timeout: time.Duration(seconds)*time.Second + 30*time.Second}
	results := profile.Collect(ctx, client, targets, time.Duration(seconds)*time.Second)
	for _, r := range results {
		if r.Err == nil {
			if err := os.WriteFile(filepath.Join(out, r.Target.Name+".pb.gz"), r.Raw, 0o640); err != nil {
				return fmt.Errorf("write profile of %s: %w", r.Target.Name, err)
			}
		}
	}
	if err := profile.WriteReport(stdout, results); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "\nprofiles in %s (go tool pprof -top %s)\n", out, filepath.Join(out, "INSTANCE.pb.gz"))
	return err
}
