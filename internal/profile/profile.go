// Package profile takes a CPU profile of every process of a running shop
// at the same time and tells where their time went by kind of work
// (password hashing, SQLite, gRPC, TLS, system calls, garbage collection,
// …): the first question when the shop costs more CPU per request than
// it should. The raw profiles stay available for `go tool pprof`.
package profile

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/pprof/profile"
)

// maxProfileBytes bounds one downloaded profile.
const maxProfileBytes = 64 << 20

// Target is one process to profile: its name in the report and the
// address of its admin HTTP server (which serves /debug/pprof/).
type Target struct {
	Name      string
	AdminAddr string
}

// Result is one process's profile, or the error that kept it from being
// taken.
type Result struct {
	Target Target
	// Raw is the profile as the process sent it (gzipped protobuf), for
	// `go tool pprof`.
	Raw []byte
	// Profile is Raw parsed.
	Profile *profile.Profile
	Err     error
}

// Collect profiles every target for d, all at once, and returns one
// Result per target in the order given.
func Collect(ctx context.Context, client *http.Client, targets []Target, d time.Duration) []Result {
	results := make([]Result, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			raw, p, err := fetch(ctx, client, t, d)
			results[i] = Result{Target: t, Raw: raw, Profile: p, Err: err}
		})
	}
	wg.Wait()
	return results
}

// fetch downloads and parses one CPU profile of d.
func fetch(ctx context.Context, client *http.Client, t Target, d time.Duration) ([]byte, *profile.Profile, error) {
	secs := max(int(d.Round(time.Second)/time.Second), 1)
	url := "http://" + t.AdminAddr + "/debug/pprof/profile?seconds=" + strconv.Itoa(secs)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("profile %s: %w", t.Name, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("profile %s: %w", t.Name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxProfileBytes+1))
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("profile %s: read: %w", t.Name, err)
	case resp.StatusCode != http.StatusOK:
		return nil, nil, fmt.Errorf("profile %s: %s: %s", t.Name, resp.Status, bytes.TrimSpace(raw[:min(len(raw), 200)]))
	case len(raw) > maxProfileBytes:
		return nil, nil, fmt.Errorf("profile %s: larger than %d bytes", t.Name, maxProfileBytes)
	}
	p, err := profile.ParseData(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("profile %s: parse: %w", t.Name, err)
	}
	return raw, p, nil
}
