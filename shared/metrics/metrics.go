// Package metrics implements pipeline.Metrics twice: CloudWatch embedded
// metric format lines for Lambda (CloudWatch turns them into metrics with no
// API call), and in-memory totals for the local runtime.
package metrics

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/pipeline"
)

// Namespace is the CloudWatch namespace of every metric.
const Namespace = "leadflow"

// EMF writes one embedded-metric-format JSON line per observation.
type EMF struct {
	W   io.Writer
	Now func() time.Time
	mu  sync.Mutex
}

var _ pipeline.Metrics = (*EMF)(nil)

// Count records n of a counter.
func (e *EMF) Count(name string, n float64, dims ...string) { e.emit(name, n, "Count", dims) }

// Observe records a duration in milliseconds.
func (e *EMF) Observe(name string, d time.Duration, dims ...string) {
	e.emit(name, float64(d.Microseconds())/1000, "Milliseconds", dims)
}

func (e *EMF) emit(name string, v float64, unit string, dims []string) {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	doc := map[string]any{name: v}
	keys := []string{}
	for i := 0; i+1 < len(dims); i += 2 {
		doc[dims[i]] = dims[i+1]
		keys = append(keys, dims[i])
	}
	doc["_aws"] = map[string]any{
		"Timestamp": now().UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  Namespace,
			"Dimensions": [][]string{keys},
			"Metrics":    []any{map[string]string{"Name": name, "Unit": unit}},
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.W.Write(append(b, '\n'))
}

// Memory keeps totals in memory, keyed by name and dimensions.
type Memory struct {
	mu     sync.Mutex
	counts map[string]float64
	obs    map[string][]time.Duration
}

var _ pipeline.Metrics = (*Memory)(nil)

func key(name string, dims []string) string {
	for i := 0; i+1 < len(dims); i += 2 {
		name += "," + dims[i] + "=" + dims[i+1]
	}
	return name
}

// Count adds n to a counter.
func (m *Memory) Count(name string, n float64, dims ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]float64{}
	}
	m.counts[key(name, dims)] += n
}

// Observe records a duration (the most recent 10,000 per key are kept).
func (m *Memory) Observe(name string, d time.Duration, dims ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.obs == nil {
		m.obs = map[string][]time.Duration{}
	}
	k := key(name, dims)
	o := append(m.obs[k], d)
	if len(o) > 10000 {
		o = o[len(o)-10000:]
	}
	m.obs[k] = o
}

// Counts returns a copy of the counters.
func (m *Memory) Counts() map[string]float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]float64, len(m.counts))
	for k, v := range m.counts {
		out[k] = v
	}
	return out
}

// Observations returns a copy of the durations recorded under name (with
// its dimensions, as Count keys them).
func (m *Memory) Observations(name string) []time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]time.Duration(nil), m.obs[name]...)
}
