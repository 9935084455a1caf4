package dockertest

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Images names the images a Shop runs: Prefix/NAME:Tag, as
// deploy/docker/build-images.sh tags them.
type Images struct {
	Prefix, Tag string
}

// Of returns the image of a service, or of the CLI for "bazaar".
func (i Images) Of(name string) string { return i.Prefix + "/" + name + ":" + i.Tag }

// upstreams are the services each service calls (BLUEPRINT §2), each
// dialled as dns:///SERVICE:9000.
var upstreams = map[string][]string{
	"cart":            {"catalog"},
	"recommendations": {"catalog"},
	"orders":          {"catalog", "pricing", "shipping", "inventory", "payment"},
	"storefront":      {"catalog", "pricing", "accounts", "cart", "orders", "inventory", "recommendations", "notifications"},
}

// stateful are the services that own a database; they run one container
// each, on a volume. The rest (storefront, catalog) run as replicas.
var stateful = []string{"pricing", "accounts", "cart", "inventory", "orders", "payment", "shipping", "notifications", "recommendations"}

// natsNodes are the JetStream cluster's nodes.
var natsNodes = []string{"nats-1", "nats-2", "nats-3"}

// Shop is the whole of Bazaar deployed in a Sandbox, each instance its own
// container: a 3-node NATS cluster (stream replicas 3), two storefronts and
// two catalogs answering to their service's DNS name, and one container per
// stateful service on its own volume.
type Shop struct {
	*Sandbox
	Images Images
	// MaxConnectionAge is given to every service (how soon clients see
	// new replicas).
	MaxConnectionAge time.Duration
}

// StartShop deploys the shop and waits until every container is healthy.
func StartShop(ctx context.Context, sb *Sandbox, images Images) (*Shop, error) {
	s := &Shop{Sandbox: sb, Images: images, MaxConnectionAge: 10 * time.Second}
	var nats []Container
	var names []string
	for _, n := range natsNodes {
		nats = append(nats, Container{
			Name: n, Image: images.Of("bazaar"), Volume: n,
			Args: []string{"nats", "-instance", n, "-cluster-addr", "0.0.0.0:6222",
				"-routes", "nats://nats-1:6222,nats://nats-2:6222,nats://nats-3:6222"},
		})
		names = append(names, n)
	}
	if err := sb.StartAll(ctx, nats); err != nil {
		return nil, err
	}
	var services []Container
	for _, svc := range stateful {
		services = append(services, s.instance(svc, svc, images.Of(svc)))
		names = append(names, svc)
	}
	for _, inst := range []string{"catalog-1", "catalog-2", "storefront-1", "storefront-2"} {
		svc, _, _ := strings.Cut(inst, "-")
		services = append(services, s.instance(svc, inst, images.Of(svc)))
		names = append(names, inst)
	}
	if err := sb.StartAll(ctx, services); err != nil {
		return nil, err
	}
	if err := sb.WaitHealthy(ctx, 2*time.Minute, names...); err != nil {
		return nil, err
	}
	return s, nil
}

// StartInstance starts one container of service svc named instance, from
// image (see instance).
func (s *Shop) StartInstance(ctx context.Context, svc, instance, image string) error {
	_, err := s.Start(ctx, s.instance(svc, instance, image))
	return err
}

// instance describes one container of service svc named instance, from
// image. A stateful service's container mounts the service's volume (an
// instance replacing another keeps its data); replicas answer to the
// service's name as a DNS alias.
func (s *Shop) instance(svc, instance, image string) Container {
	c := Container{Name: instance, Image: image, Publish: []string{"9090"}, Env: []string{
		"BAZAAR_INSTANCE=" + instance,
		"BAZAAR_LOG_LEVEL=warn",
		"BAZAAR_DRAIN_DELAY=2s",
		"BAZAAR_MAX_CONNECTION_AGE=" + s.MaxConnectionAge.String(),
		"BAZAAR_NATS_URL=nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222",
		"BAZAAR_STREAM_REPLICAS=3",
	}}
	for _, up := range upstreams[svc] {
		c.Env = append(c.Env, fmt.Sprintf("BAZAAR_%s=dns:///%s:9000", strings.ToUpper(up), up))
	}
	switch svc {
	case "storefront":
		c.Alias, c.Volume = svc, "storefront" // replicas share the session key
		c.Publish = append(c.Publish, "8080")
	case "catalog":
		c.Alias = svc
	default:
		c.Volume = svc
	}
	return c
}

// StorefrontURLs are the published loopback URLs of the named storefront
// containers.
func (s *Shop) StorefrontURLs(ctx context.Context, names ...string) ([]string, error) {
	var urls []string
	for _, n := range names {
		hp, err := s.HostPort(ctx, n, "8080")
		if err != nil {
			return nil, err
		}
		urls = append(urls, "http://"+hp)
	}
	return urls, nil
}

// Verify runs `bazaar verify` in a container on the shop's network,
// waiting up to wait for orders in flight to settle, and returns its
// report; the error is non-nil unless every invariant holds.
func (s *Shop) Verify(ctx context.Context, wait time.Duration) (string, error) {
	return s.Run(ctx, "run", "--rm", "--network", s.Name, "--label", "bazaar-test=1", s.Images.Of("bazaar"),
		"verify", "-grpc-port", "9000", "-wait", wait.String())
}

// Handled returns how many gRPC calls the instance has answered, health
// checks aside, from the grpc_server_handled_total counters of its
// /metrics.
func (s *Shop) Handled(ctx context.Context, instance string) (float64, error) {
	hp, err := s.HostPort(ctx, instance, "9090")
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+hp+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("metrics of %s: %w", instance, err)
	}
	defer resp.Body.Close()
	var total float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "grpc_server_handled_total{") || strings.Contains(line, "grpc.health.v1") {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return 0, fmt.Errorf("metrics of %s: %q: %w", instance, line, err)
		}
		total += v
	}
	return total, sc.Err()
}
