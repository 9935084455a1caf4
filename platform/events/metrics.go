package events

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the RED metrics of publishing and consuming.
type metrics struct {
	published *prometheus.CounterVec
	publishS  *prometheus.HistogramVec
	consumed  *prometheus.CounterVec
	consumeS  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	buckets := []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
	m := &metrics{
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bazaar_events_published_total", Help: "Events published to JetStream, by producer, type and result.",
		}, []string{"producer", "type", "result"}),
		publishS: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bazaar_events_publish_seconds", Help: "Time to publish one event and get JetStream's acknowledgement.", Buckets: buckets,
		}, []string{"producer", "type"}),
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bazaar_events_consumed_total", Help: "Events handled by consumers, by consumer, type and result (applied, duplicate, retry, dropped).",
		}, []string{"consumer", "type", "result"}),
		consumeS: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bazaar_events_consume_seconds", Help: "Time to apply one event, transaction included.", Buckets: buckets,
		}, []string{"consumer", "type"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.published, err = register(reg, m.published); err != nil {
		return nil, err
	}
	if m.publishS, err = register(reg, m.publishS); err != nil {
		return nil, err
	}
	if m.consumed, err = register(reg, m.consumed); err != nil {
		return nil, err
	}
	if m.consumeS, err = register(reg, m.consumeS); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered in
// its place (a second Bus in one process shares the metrics).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, fmt.Errorf("register events metrics: %w", err)
	}
	return c, nil
}

func (m *metrics) observePublish(producer, typ string, err error, d time.Duration) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.published.WithLabelValues(producer, typ, result).Inc()
	if err == nil {
		m.publishS.WithLabelValues(producer, typ).Observe(d.Seconds())
	}
}

func (m *metrics) observeConsume(consumer, typ, result string, d time.Duration) {
	m.consumed.WithLabelValues(consumer, typ, result).Inc()
	if d > 0 {
		m.consumeS.WithLabelValues(consumer, typ).Observe(d.Seconds())
	}
}
