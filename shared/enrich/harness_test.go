package enrich

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/metrics"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// fakeClock is a manual clock; the harness's Sleep advances it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// harness holds a waterfall's injected dependencies and what they saw.
type harness struct {
	clock   *fakeClock
	metrics *metrics.Memory
	logs    bytes.Buffer
	env     map[string]string
	secrets func(ctx context.Context, name string) (string, error)
	ledger  Ledger // nil: the in-process one

	mu     sync.Mutex
	sleeps []time.Duration
}

func newHarness() *harness {
	return &harness{
		clock:   &fakeClock{now: time.Date(2025, 6, 3, 15, 0, 0, 0, time.UTC)},
		metrics: &metrics.Memory{},
		env:     map[string]string{},
	}
}

// waterfall builds the waterfall of cfg with the harness's dependencies;
// datasets are read from testdata.
func (h *harness) waterfall(t *testing.T, cfg config.Enrichment) *Waterfall {
	t.Helper()
	w, err := New(cfg, testdata(t), Options{
		Clock:            h.clock,
		Getenv:           func(k string) string { return h.env[k] },
		Secrets:          h.secrets,
		Metrics:          h.metrics,
		Logger:           slog.New(slog.NewTextHandler(&h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Sleep:            h.sleep,
		Ledger:           h.ledger,
		BreakerThreshold: 3,
		BreakerCooldown:  time.Minute,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return w
}

// sleep records the wait and advances the clock instead of waiting.
func (h *harness) sleep(ctx context.Context, d time.Duration) error {
	h.mu.Lock()
	h.sleeps = append(h.sleeps, d)
	h.mu.Unlock()
	h.clock.Advance(d)
	return ctx.Err()
}

func (h *harness) slept() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.sleeps)
}

// enrich runs one enrichment of l for fields and fails the test on error.
func (h *harness) enrich(t *testing.T, w *Waterfall, l *lead.Lead, fields ...string) pipeline.EnrichResult {
	t.Helper()
	res, err := w.Enrich(context.Background(), pipeline.EnrichRequest{Lead: l, Fields: fields})
	if err != nil {
		t.Fatalf("Enrich: %v", err)
	}
	return res
}

// newLead parses a submission into a normalised lead.
func newLead(t *testing.T, fields map[string]string) *lead.Lead {
	t.Helper()
	l, err := lead.Parse(fields)
	if err != nil {
		t.Fatalf("parse lead: %v", err)
	}
	return l
}

func byEmail(t *testing.T, email string) *lead.Lead {
	t.Helper()
	return newLead(t, map[string]string{"email": email})
}

// api is a test provider on 127.0.0.1 counting the requests it gets.
type api struct {
	srv  *httptest.Server
	hits atomic.Int64
}

func newAPI(t *testing.T, h http.HandlerFunc) *api {
	t.Helper()
	a := &api{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

// provider configures an http provider of a on the fixture paths of
// answerJSON for fields.
func (a *api) provider(name string, fields ...string) *config.Provider {
	p := &config.Provider{
		Name: name, Kind: config.ProviderHTTP, Fields: fields,
		URL:            a.srv.URL + "/v2/companies/find?domain={domain}",
		ResponseFields: map[string]string{},
		Timeout:        time.Second,
	}
	for _, f := range fields {
		p.ResponseFields[f] = fixturePaths[f]
	}
	return p
}

var fixturePaths = map[string]string{
	"company":   "data.company.name",
	"industry":  "data.company.category.industry",
	"employees": "data.company.metrics.employees",
	"country":   "data.company.geo.country",
	"tech":      "data.company.tech",
}

const answerJSON = `{"data":{"company":{"name":"Acme Corporation","category":{"industry":"Software"},
	"metrics":{"employees":250},"geo":{"country":"Germany"},"tech":["Go","AWS"]}}}`

func answer(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(answerJSON))
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

// hang answers only when the client gives up.
func hang(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

func testdata(t *testing.T) fs.FS {
	t.Helper()
	return os.DirFS("testdata")
}
