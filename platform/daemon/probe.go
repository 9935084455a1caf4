package daemon

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// ProbeCommand is the first argument that turns a service binary into its
// own health probe: `catalog probe` asks the admin listener named by the
// usual settings (-admin-addr or BAZAAR_ADMIN_ADDR) for /readyz and exits
// 0 when the instance is ready, 1 otherwise. Images built FROM scratch
// have no curl; their HEALTHCHECK runs the binary itself this way.
const ProbeCommand = "probe"

// probeTimeout bounds one probe, connection and answer.
const probeTimeout = 3 * time.Second

// probeMain runs the probe mode of a service binary and returns its exit
// status.
func probeMain(ctx context.Context, prog Program, args []string) int {
	s, err := parseSettings(prog, args, os.LookupEnv, nil)
	if err == nil {
		err = Probe(ctx, s.AdminAddr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// Probe asks the admin listener at adminAddr for /readyz and returns nil
// when it answers 200. An unspecified host (":9090", "0.0.0.0:9090") is
// asked on the loopback address, as a probe inside the container does.
func Probe(ctx context.Context, adminAddr string) error {
	host, port, err := net.SplitHostPort(adminAddr)
	if err != nil {
		return fmt.Errorf("probe %s: %w", adminAddr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	url := "http://" + net.JoinHostPort(host, port) + "/readyz"
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe %s: %s: %s", url, resp.Status, body)
	}
	return nil
}
