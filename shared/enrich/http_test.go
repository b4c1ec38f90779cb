package enrich

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// sequence answers with the handlers in turn, repeating the last.
func sequence(hs ...http.HandlerFunc) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		i := min(int(n.Add(1))-1, len(hs)-1)
		hs[i](w, r)
	}
}

func retryAfter(v string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", v)
		w.WriteHeader(http.StatusTooManyRequests)
	}
}

func body(s string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(s)) }
}

func TestHTTPProvider(t *testing.T) {
	found := pipeline.EnrichResult{
		Values:   map[string]any{"employees": 250, "country": "DE"},
		Sources:  map[string]string{"employees": "api", "country": "api"},
		Status:   lead.EnrichmentOK,
		Provider: "api",
	}
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		timeout   time.Duration
		wantHits  int64
		wantWaits int // backoff waits, checked against backoff's bounds
		wantSlept []time.Duration
		want      pipeline.EnrichResult
		wantEmpty int64
	}{
		{
			name:     "answers",
			handler:  answer,
			wantHits: 1,
			want:     found,
		},
		{
			name:     "slow every time",
			handler:  hang,
			timeout:  100 * time.Millisecond,
			wantHits: 3, wantWaits: 2,
			want: pipeline.EnrichResult{Status: lead.EnrichmentFailed, Error: "api: timeout"},
		},
		{
			name:     "500 then answers",
			handler:  sequence(status(500), status(502), answer),
			wantHits: 3, wantWaits: 2,
			want: found,
		},
		{
			name:     "500 every time",
			handler:  status(500),
			wantHits: 3, wantWaits: 2,
			want: pipeline.EnrichResult{Status: lead.EnrichmentFailed, Error: "api: status 500"},
		},
		{
			name:      "429 with Retry-After seconds",
			handler:   sequence(retryAfter("3"), answer),
			wantHits:  2,
			wantSlept: []time.Duration{3 * time.Second},
			want:      found,
		},
		{
			name:      "429 with Retry-After date",
			handler:   sequence(retryAfter("Tue, 03 Jun 2025 15:00:02 GMT"), answer),
			wantHits:  2,
			wantSlept: []time.Duration{2 * time.Second},
			want:      found,
		},
		{
			name:     "429 asking for too long a wait",
			handler:  retryAfter("120"),
			wantHits: 1,
			want:     pipeline.EnrichResult{Status: lead.EnrichmentFailed, Error: "api: rate limited (429)"},
		},
		{
			name:     "garbage JSON is not retried",
			handler:  body(`{"data": {"company": `),
			wantHits: 1,
			want:     pipeline.EnrichResult{Status: lead.EnrichmentFailed, Error: "api: response is not JSON"},
		},
		{
			name:      "valid JSON without the paths",
			handler:   body(`{"data": {"person": {"name": "x"}}, "company": []}`),
			wantHits:  1,
			want:      pipeline.EnrichResult{Status: lead.EnrichmentPartial},
			wantEmpty: 1,
		},
		{
			name:     "values of the wrong shape are dropped, the rest kept",
			handler:  body(`{"data": {"company": {"metrics": {"employees": "lots"}, "geo": {"country": "Germany"}}}}`),
			wantHits: 1,
			want: pipeline.EnrichResult{
				Values:   map[string]any{"country": "DE"},
				Sources:  map[string]string{"country": "api"},
				Status:   lead.EnrichmentPartial,
				Provider: "api",
			},
		},
		{
			name:      "404 means no data",
			handler:   status(404),
			wantHits:  1,
			want:      pipeline.EnrichResult{Status: lead.EnrichmentPartial},
			wantEmpty: 1,
		},
		{
			name:     "400 is not retried",
			handler:  status(400),
			wantHits: 1,
			want:     pipeline.EnrichResult{Status: lead.EnrichmentFailed, Error: "api: status 400"},
		},
		{
			name: "redirects are not followed",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "http://127.0.0.1:1/", http.StatusFound)
			},
			wantHits: 1,
			want:     pipeline.EnrichResult{Status: lead.EnrichmentFailed, Error: "api: status 302"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness()
			a := newAPI(t, tc.handler)
			p := a.provider("api", "employees", "country")
			p.Retries = 2
			if tc.timeout > 0 {
				p.Timeout = tc.timeout
			}
			w := h.waterfall(t, config.Enrichment{Providers: []*config.Provider{p}})

			got := h.enrich(t, w, byEmail(t, "jane@acme-corp.com"), "employees", "country")

			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("result (-want +got):\n%s", d)
			}
			if a.hits.Load() != tc.wantHits {
				t.Errorf("provider hit %d times, want %d", a.hits.Load(), tc.wantHits)
			}
			slept := h.slept()
			if tc.wantWaits > 0 {
				checkBackoff(t, slept, tc.wantWaits)
			} else if d := cmp.Diff(tc.wantSlept, slept); d != "" {
				t.Errorf("waits (-want +got):\n%s", d)
			}
			c := w.Stats().Providers["api"]
			if c.Calls != tc.wantHits || c.Empty != tc.wantEmpty {
				t.Errorf("counters %+v, want %d calls and %d empty", c, tc.wantHits, tc.wantEmpty)
			}
		})
	}
}

// checkBackoff checks n jittered exponential waits: the k-th within 80–100%
// of 50ms·2^(k-1).
func checkBackoff(t *testing.T, slept []time.Duration, n int) {
	t.Helper()
	if len(slept) != n {
		t.Fatalf("waited %v, want %d backoff waits", slept, n)
	}
	for k, d := range slept {
		ceil := 50 * time.Millisecond << k
		if d < ceil*4/5 || d > ceil {
			t.Errorf("wait %d = %v, want within [%v, %v]", k+1, d, ceil*4/5, ceil)
		}
	}
}

func TestCircuitBreaker(t *testing.T) {
	h := newHarness()
	var healthy atomic.Bool
	a := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if healthy.Load() {
			answer(w, r)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	w := h.waterfall(t, config.Enrichment{Providers: []*config.Provider{a.provider("api", "employees")}}) // threshold 3, cool-down 1m
	l := byEmail(t, "jane@acme-corp.com")

	steps := []struct {
		name       string
		advance    time.Duration
		healthy    bool
		wantHits   int64
		wantStatus string
		wantError  string
	}{
		{"failure 1", 0, false, 1, "failed", "api: status 503"},
		{"failure 2", 0, false, 2, "failed", "api: status 503"},
		{"failure 3 opens", 0, false, 3, "failed", "api: status 503"},
		{"open: not called", 30 * time.Second, false, 3, "failed", "api: circuit open"},
		{"half-open trial fails and reopens", 30 * time.Second, false, 4, "failed", "api: status 503"},
		{"open again", 59 * time.Second, false, 4, "failed", "api: circuit open"},
		{"half-open trial succeeds and closes", time.Second, true, 5, "ok", ""},
		{"closed: one failure does not open", 0, false, 6, "failed", "api: status 503"},
		{"closed: still called", 0, true, 7, "ok", ""},
	}
	for _, s := range steps {
		h.clock.Advance(s.advance)
		healthy.Store(s.healthy)
		res := h.enrich(t, w, l, "employees")
		if res.Status != s.wantStatus || res.Error != s.wantError || a.hits.Load() != s.wantHits {
			t.Errorf("%s: status %q error %q hits %d; want %q %q %d", s.name, res.Status, res.Error, a.hits.Load(), s.wantStatus, s.wantError, s.wantHits)
		}
	}
	if c := w.Stats().Providers["api"]; c.CircuitOpen != 2 || c.Failures != 5 {
		t.Errorf("counters %+v, want 2 refused while open and 5 failures", c)
	}
	if !strings.Contains(h.logs.String(), "enrichment circuit opened") {
		t.Errorf("no log line for the circuit opening:\n%s", h.logs.String())
	}
}

func TestCredential(t *testing.T) {
	const token = "s3cr3t-t0ken"
	echo := func(w http.ResponseWriter, r *http.Request) {
		// A careless API that quotes the credential back in its error.
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
		} else {
			w.WriteHeader(http.StatusInternalServerError)
		}
		_, _ = w.Write([]byte(`{"error": "bad key ` + r.Header.Get("Authorization") + `"}`))
	}
	t.Run("from the environment", func(t *testing.T) {
		h := newHarness()
		h.env["COMPANY_API_TOKEN"] = token
		var got atomic.Value
		a := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
			got.Store(r.Header.Get("X-Api-Key"))
			answer(w, r)
		})
		p := a.provider("api", "employees")
		p.AuthHeader, p.AuthEnv = "X-Api-Key", "COMPANY_API_TOKEN"
		w := h.waterfall(t, config.Enrichment{Providers: []*config.Provider{p}})

		if res := h.enrich(t, w, byEmail(t, "jane@acme-corp.com"), "employees"); res.Status != lead.EnrichmentOK {
			t.Fatalf("status %s (%s)", res.Status, res.Error)
		}
		if got.Load() != token {
			t.Errorf("X-Api-Key = %q, want the token from the environment", got.Load())
		}
	})
	t.Run("missing from the environment", func(t *testing.T) {
		h := newHarness()
		a := newAPI(t, answer)
		p := a.provider("api", "employees")
		p.AuthHeader, p.AuthEnv = "Authorization: Bearer ${KEY}", "COMPANY_API_TOKEN"
		w := h.waterfall(t, config.Enrichment{Providers: []*config.Provider{p}})

		res := h.enrich(t, w, byEmail(t, "jane@acme-corp.com"), "employees")

		want := pipeline.EnrichResult{Status: lead.EnrichmentFailed, Error: "api: credential missing: COMPANY_API_TOKEN is not set"}
		if d := cmp.Diff(want, res); d != "" {
			t.Errorf("result (-want +got):\n%s", d)
		}
		if a.hits.Load() != 0 {
			t.Errorf("provider called %d times without a credential", a.hits.Load())
		}
	})
	t.Run("from a secret, never in errors or logs", func(t *testing.T) {
		h := newHarness()
		var reads atomic.Int64
		h.secrets = func(_ context.Context, name string) (string, error) {
			if name != "leadflow/company-api" {
				return "", errors.New("no such secret")
			}
			if reads.Add(1) == 1 {
				return "stale-" + token, nil
			}
			return token, nil
		}
		a := newAPI(t, echo)
		p := a.provider("api", "employees")
		p.AuthHeader, p.Secret = "Authorization: Bearer ${KEY}", "leadflow/company-api"
		w := h.waterfall(t, config.Enrichment{Providers: []*config.Provider{p}})
		l := byEmail(t, "jane@acme-corp.com")

		first := h.enrich(t, w, l, "employees")  // the stale secret is refused
		second := h.enrich(t, w, l, "employees") // re-read: accepted, then the API fails
		third := h.enrich(t, w, l, "employees")  // the secret is kept

		errs := []string{first.Error, second.Error, third.Error}
		want := []string{"api: status 401: credential refused", "api: status 500", "api: status 500"}
		if d := cmp.Diff(want, errs); d != "" {
			t.Errorf("errors (-want +got):\n%s", d)
		}
		if reads.Load() != 2 {
			t.Errorf("secret read %d times, want 2 (once, and again after the 401)", reads.Load())
		}
		if logs := h.logs.String(); strings.Contains(logs, token) || strings.Contains(logs, "acme-corp") || strings.Contains(logs, "jane") {
			t.Errorf("logs hold the credential or PII:\n%s", logs)
		}
	})
	t.Run("the request URL never reaches errors or logs", func(t *testing.T) {
		h := newHarness()
		p := &config.Provider{
			Name: "api", Kind: config.ProviderHTTP, Fields: []string{"employees"},
			URL:            "http://127.0.0.1:1/people?email={email}", // nothing listens on port 1
			ResponseFields: map[string]string{"employees": "employees"},
			Timeout:        time.Second,
		}
		w := h.waterfall(t, config.Enrichment{Providers: []*config.Provider{p}})

		res := h.enrich(t, w, byEmail(t, "jane.doe@acme-corp.com"), "employees")

		if res.Error != "api: connection failed" {
			t.Errorf("error %q, want api: connection failed", res.Error)
		}
		if strings.Contains(h.logs.String(), "jane") {
			t.Errorf("logs hold the email:\n%s", h.logs.String())
		}
	})
}

func TestWalk(t *testing.T) {
	doc := map[string]any{"a": map[string]any{"b": []any{"x", map[string]any{"c": "deep"}}}}
	tests := []struct {
		path string
		want any
	}{
		{"a.b.1.c", "deep"},
		{"a.b.0", "x"},
		{"a.b.2", nil},
		{"a.b.x", nil},
		{"a.missing.c", nil},
		{"a.b.0.c", nil},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			if got := walk(doc, strings.Split(tc.path, ".")); !cmp.Equal(got, tc.want) {
				t.Errorf("walk(%s) = %v, want %v", tc.path, got, tc.want)
			}
		})
	}
}
