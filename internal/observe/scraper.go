package observe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// maxMetricsBytes limits one /metrics answer.
const maxMetricsBytes = 16 << 20

// errNoMetrics is the scrape error of an instance without /metrics.
var errNoMetrics = errors.New("no /metrics endpoint (404)")

// Target is one instance to scrape.
type Target struct {
	// Instance is the instance id ("catalog-1").
	Instance string
	// Service is the service it belongs to ("catalog").
	Service string
	// Addr is its admin "host:port", which serves /metrics.
	Addr string
	// Public reports that it serves the public HTTP port (an edge service).
	Public bool
}

// ScraperConfig configures a Scraper. Zero fields take the defaults.
type ScraperConfig struct {
	// Targets lists the instances to scrape now; it is called on every
	// scrape. Required.
	Targets func() []Target
	// Every is the scrape period (default 2s).
	Every time.Duration
	// Window is how much history is kept (default 10m).
	Window time.Duration
	// Smooth is how many scrape intervals the current values average over
	// (default 5).
	Smooth int
	// Timeout bounds one instance's scrape (default 3/4 of Every).
	Timeout time.Duration
	// Client does the scrapes (default: a client with Timeout).
	Client *http.Client
	// Bus is the service name of the event bus (default "nats").
	Bus string
	// Now is the clock (default time.Now); tests set it.
	Now func() time.Time
}

func (c ScraperConfig) withDefaults() (ScraperConfig, error) {
	if c.Targets == nil {
		return c, errors.New("scraper: no Targets function")
	}
	if c.Every <= 0 {
		c.Every = 2 * time.Second
	}
	if c.Window <= 0 {
		c.Window = 10 * time.Minute
	}
	if c.Smooth <= 0 {
		c.Smooth = 5
	}
	if c.Timeout <= 0 {
		c.Timeout = c.Every * 3 / 4
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: c.Timeout}
	}
	if c.Bus == "" {
		c.Bus = "nats"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// Scraper reads every instance's /metrics periodically and keeps, per
// service, a short history of golden signals, and the current call
// topology. Its methods are safe for concurrent use.
type Scraper struct {
	cfg ScraperConfig

	mu        sync.Mutex
	instances map[string]*instanceState // by instance id
	series    map[string][]Point        // by service, oldest first
	recent    []tick                    // the last cfg.Smooth ticks, oldest first
	targets   []Target                  // as of the last scrape
}

// instanceState is what the scraper remembers of one instance.
type instanceState struct {
	target Target
	last   sample
	at     time.Time // when last was read; zero before the first success
	stats  InstanceStats
}

// InstanceStats is the latest scrape of one instance.
type InstanceStats struct {
	Instance string `json:"instance"`
	Service  string `json:"service"`
	// Up reports that the last scrape succeeded; Error says why not.
	// NoMetrics marks an instance that serves no /metrics at all (404),
	// such as the event bus: not a failure.
	Up        bool      `json:"up"`
	Error     string    `json:"error,omitempty"`
	NoMetrics bool      `json:"no_metrics,omitempty"`
	Scraped   time.Time `json:"scraped"`
	// Rate and ErrorRate are requests served per second over the last
	// interval, ErrorRatio the failed share (0..1); CPU is in cores, RSS
	// in bytes.
	Rate       float64 `json:"rate"`
	ErrorRate  float64 `json:"error_rate"`
	ErrorRatio float64 `json:"error_ratio"`
	CPU        float64 `json:"cpu"`
	RSS        float64 `json:"rss_bytes"`
}

// NewScraper returns a scraper; call Run (or ScrapeOnce) to scrape.
func NewScraper(cfg ScraperConfig) (*Scraper, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Scraper{cfg: cfg, instances: map[string]*instanceState{}, series: map[string][]Point{}}, nil
}

// Every is the scrape period.
func (s *Scraper) Every() time.Duration { return s.cfg.Every }

// Run scrapes every period until ctx ends.
func (s *Scraper) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Every)
	defer t.Stop()
	for {
		s.ScrapeOnce(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// scrapeResult is one instance's answer.
type scrapeResult struct {
	target Target
	sample sample
	err    error
}

// ScrapeOnce scrapes every target concurrently and records the result.
func (s *Scraper) ScrapeOnce(ctx context.Context) {
	now := s.cfg.Now()
	targets := s.cfg.Targets()
	results := make([]scrapeResult, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			smp, err := s.fetch(ctx, t.Addr)
			results[i] = scrapeResult{target: t, sample: smp, err: err}
		})
	}
	wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.targets = targets
	s.record(now, results)
}

// fetch reads and parses one instance's /metrics.
func (s *Scraper) fetch(ctx context.Context, addr string) (sample, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return sample{}, fmt.Errorf("scrape %s: %w", addr, err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return sample{}, fmt.Errorf("scrape %s: %w", addr, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return sample{}, fmt.Errorf("scrape %s: %w", addr, errNoMetrics)
	default:
		return sample{}, fmt.Errorf("scrape %s: %s", addr, resp.Status)
	}
	smp, err := parseSample(io.LimitReader(resp.Body, maxMetricsBytes))
	if err != nil {
		return sample{}, fmt.Errorf("scrape %s: %w", addr, err)
	}
	return smp, nil
}
