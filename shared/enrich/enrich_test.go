package enrich

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/configfile"
	"github.com/leadflow/leadflow/shared/embedded"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
)

func datasetProvider(name string, fields ...string) *config.Provider {
	return &config.Provider{Name: name, Kind: config.ProviderDataset, Dataset: "companies.csv", Fields: fields, Timeout: time.Second}
}

func heuristicsProvider(fields ...string) *config.Provider {
	return &config.Provider{Name: "email-domain", Kind: config.ProviderHeuristics, Fields: fields, Timeout: time.Second}
}

func TestWaterfallFillsFromSecondProviderWhenFirstTimesOut(t *testing.T) {
	h := newHarness()
	slow, fast := newAPI(t, hang), newAPI(t, answer)
	first := slow.provider("slow", "industry", "employees")
	first.Timeout = 20 * time.Millisecond
	w := h.waterfall(t, config.Enrichment{Providers: []*config.Provider{first, fast.provider("fast", "industry", "employees")}})

	got := h.enrich(t, w, byEmail(t, "jane@acme-corp.com"), "industry", "employees")

	want := pipeline.EnrichResult{
		Values:   map[string]any{"industry": "Software", "employees": 250},
		Sources:  map[string]string{"industry": "fast", "employees": "fast"},
		Status:   lead.EnrichmentOK,
		Provider: "fast",
		Error:    "slow: timeout",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("result (-want +got):\n%s", d)
	}
	if fast.hits.Load() != 1 {
		t.Errorf("second provider hit %d times, want 1", fast.hits.Load())
	}
}

func TestWaterfallPerField(t *testing.T) {
	// The dataset knows acme.co.uk's industry; the API is asked only for
	// what is still open after it.
	h := newHarness()
	a := newAPI(t, answer)
	w := h.waterfall(t, config.Enrichment{Providers: []*config.Provider{
		datasetProvider("companies", "industry"),
		a.provider("api", "industry", "tech"),
	}})

	got := h.enrich(t, w, byEmail(t, "jane@sales.acme.co.uk"), "industry", "tech")

	want := pipeline.EnrichResult{
		Values:   map[string]any{"industry": "Manufacturing", "tech": []string{"go", "aws"}},
		Sources:  map[string]string{"industry": "companies", "tech": "api"},
		Status:   lead.EnrichmentOK,
		Provider: "companies,api",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("result (-want +got):\n%s", d)
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name   string
		email  string
		fields []string
		want   pipeline.EnrichResult
	}{
		{
			name:   "all found",
			email:  "jane@northwind-analytics.com",
			fields: []string{"employees", "state"},
			want: pipeline.EnrichResult{
				Values:   map[string]any{"employees": 250, "state": "NY"},
				Sources:  map[string]string{"employees": "companies", "state": "companies"},
				Status:   lead.EnrichmentOK,
				Provider: "companies",
			},
		},
		{
			name:   "some found",
			email:  "jane@unlisted-co.de",
			fields: []string{"employees", "country"},
			want: pipeline.EnrichResult{
				Values:   map[string]any{"country": "DE"},
				Sources:  map[string]string{"country": "email-domain"},
				Status:   lead.EnrichmentPartial,
				Provider: "email-domain",
			},
		},
		{
			name:   "answered without data",
			email:  "jane@unlisted-co.com",
			fields: []string{"employees"},
			want:   pipeline.EnrichResult{Status: lead.EnrichmentPartial},
		},
		{
			name:   "nothing requested",
			email:  "jane@northwind-analytics.com",
			fields: nil,
			want:   pipeline.EnrichResult{Status: lead.EnrichmentSkipped},
		},
		{
			name:   "nothing enrichable requested",
			email:  "jane@northwind-analytics.com",
			fields: []string{"seniority", "consent", "free_email", "domain"},
			want:   pipeline.EnrichResult{Status: lead.EnrichmentSkipped},
		},
		{
			name:   "no provider can ask about a free-mail lead",
			email:  "jane@gmail.com",
			fields: []string{"employees", "company"},
			want:   pipeline.EnrichResult{Status: lead.EnrichmentSkipped},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness()
			w := h.waterfall(t, config.Enrichment{Providers: []*config.Provider{
				datasetProvider("companies", "employees", "state"),
				heuristicsProvider("company", "country"),
			}})
			got := h.enrich(t, w, byEmail(t, tc.email), tc.fields...)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("result (-want +got):\n%s", d)
			}
		})
	}
}

func TestAllProvidersFailIsRecordedNotFatal(t *testing.T) {
	h := newHarness()
	down, broken := newAPI(t, status(503)), newAPI(t, status(500))
	w := h.waterfall(t, config.Enrichment{Providers: []*config.Provider{
		down.provider("down", "employees"),
		broken.provider("broken", "employees", "industry"),
	}})

	res, err := w.Enrich(context.Background(), pipeline.EnrichRequest{Lead: byEmail(t, "jane@acme-corp.com"), Fields: []string{"employees", "industry"}})

	if err != nil {
		t.Fatalf("Enrich returned %v, want a recorded failure", err)
	}
	want := pipeline.EnrichResult{Status: lead.EnrichmentFailed, Error: "broken: status 500"}
	if d := cmp.Diff(want, res); d != "" {
		t.Errorf("result (-want +got):\n%s", d)
	}
	counts := h.metrics.Counts()
	for _, k := range []string{"enrichment_provider_failures,provider=down", "enrichment_provider_failures,provider=broken"} {
		if counts[k] != 1 {
			t.Errorf("metric %s = %v, want 1", k, counts[k])
		}
	}
}

func TestOnlyRequestedFieldsAreFetched(t *testing.T) {
	tests := []struct {
		name     string
		fields   []string
		wantHits int64
		want     pipeline.EnrichResult
	}{
		{
			name:     "one of the provider's fields",
			fields:   []string{"employees", "seniority"},
			wantHits: 1,
			want: pipeline.EnrichResult{
				Values:   map[string]any{"employees": 250},
				Sources:  map[string]string{"employees": "api"},
				Status:   lead.EnrichmentOK,
				Provider: "api",
			},
		},
		{
			name:     "the account's name is the company",
			fields:   []string{"name"},
			wantHits: 1,
			want: pipeline.EnrichResult{
				Values:   map[string]any{"company": "Acme Corporation"},
				Sources:  map[string]string{"company": "api"},
				Status:   lead.EnrichmentOK,
				Provider: "api",
			},
		},
		{
			name:     "none of the provider's fields",
			fields:   []string{"country", "consent"},
			wantHits: 0,
			want:     pipeline.EnrichResult{Status: lead.EnrichmentSkipped},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness()
			a := newAPI(t, answer)
			w := h.waterfall(t, config.Enrichment{Providers: []*config.Provider{a.provider("api", "company", "industry", "employees")}})
			got := h.enrich(t, w, byEmail(t, "jane@acme-corp.com"), tc.fields...)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("result (-want +got):\n%s", d)
			}
			if a.hits.Load() != tc.wantHits {
				t.Errorf("provider hit %d times, want %d", a.hits.Load(), tc.wantHits)
			}
		})
	}
}

func TestFormValuesKeptUnlessProviderWins(t *testing.T) {
	form := map[string]string{"email": "jane@northwind-analytics.com", "company": "Northwind", "industry": "Retail"}
	tests := []struct {
		name string
		wins bool
		want pipeline.EnrichResult
	}{
		{
			name: "form wins",
			want: pipeline.EnrichResult{
				Values:   map[string]any{"employees": 250},
				Sources:  map[string]string{"employees": "companies"},
				Status:   lead.EnrichmentOK,
				Provider: "companies",
			},
		},
		{
			name: "provider wins",
			wins: true,
			want: pipeline.EnrichResult{
				Values:   map[string]any{"company": "Northwind Analytics", "industry": "software", "employees": 250},
				Sources:  map[string]string{"company": "companies", "industry": "companies", "employees": "companies"},
				Status:   lead.EnrichmentOK,
				Provider: "companies",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness()
			p := datasetProvider("companies", "company", "industry", "employees")
			p.Wins = tc.wins
			w := h.waterfall(t, config.Enrichment{Providers: []*config.Provider{p}})
			l := newLead(t, form)
			got := h.enrich(t, w, l, "company", "industry", "employees", "consent")
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("result (-want +got):\n%s", d)
			}
			if l.Company != "Northwind" || l.Consent != lead.ConsentUnknown {
				t.Errorf("Enrich changed the lead it was given: company %q consent %q", l.Company, l.Consent)
			}
		})
	}
}

func TestFormValueNeedsNoLookup(t *testing.T) {
	h := newHarness()
	a := newAPI(t, answer)
	w := h.waterfall(t, config.Enrichment{Providers: []*config.Provider{a.provider("api", "employees")}})
	l := newLead(t, map[string]string{"email": "jane@acme-corp.com", "employees": "40"})

	got := h.enrich(t, w, l, "employees")

	if d := cmp.Diff(pipeline.EnrichResult{Status: lead.EnrichmentSkipped}, got); d != "" {
		t.Errorf("result (-want +got):\n%s", d)
	}
	if a.hits.Load() != 0 {
		t.Errorf("provider hit %d times for a field the form supplied", a.hits.Load())
	}
}

func TestPerDomainCache(t *testing.T) {
	h := newHarness()
	a := newAPI(t, answer)
	w := h.waterfall(t, config.Enrichment{CacheTTL: time.Hour, Providers: []*config.Provider{a.provider("api", "employees")}})

	steps := []struct {
		name     string
		email    string
		advance  time.Duration
		wantHits int64
	}{
		{"first lead of the domain", "jane@acme-corp.com", 0, 1},
		{"colleague within the TTL", "john@sales.acme-corp.com", 59 * time.Minute, 1},
		{"another domain", "jane@globex-corp.com", 0, 2},
		{"after the TTL", "joe@acme-corp.com", time.Minute, 3},
	}
	for _, s := range steps {
		h.clock.Advance(s.advance)
		res := h.enrich(t, w, byEmail(t, s.email), "employees")
		if res.Status != lead.EnrichmentOK || a.hits.Load() != s.wantHits {
			t.Errorf("%s: status %s, hits %d, want ok and %d", s.name, res.Status, a.hits.Load(), s.wantHits)
		}
	}
	if got := w.Stats().Providers["api"]; got.CacheHits != 1 || got.Calls != 3 {
		t.Errorf("counters %+v, want 1 cache hit and 3 calls", got)
	}
}

func TestFailuresAreNotCached(t *testing.T) {
	h := newHarness()
	var fail atomic.Bool
	fail.Store(true)
	a := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			w.WriteHeader(500)
			return
		}
		answer(w, r)
	})
	w := h.waterfall(t, config.Enrichment{CacheTTL: time.Hour, Providers: []*config.Provider{a.provider("api", "employees")}})
	l := byEmail(t, "jane@acme-corp.com")

	first := h.enrich(t, w, l, "employees")
	fail.Store(false)
	second := h.enrich(t, w, l, "employees")

	if first.Status != lead.EnrichmentFailed || second.Status != lead.EnrichmentOK || a.hits.Load() != 2 {
		t.Errorf("statuses %s then %s with %d hits, want failed then ok with 2", first.Status, second.Status, a.hits.Load())
	}
}

func TestRateLimitWaitsOnTheClock(t *testing.T) {
	h := newHarness()
	a := newAPI(t, answer)
	p := a.provider("api", "employees")
	p.RatePerSecond = 2
	w := h.waterfall(t, config.Enrichment{Providers: []*config.Provider{p}})

	for i, d := range []string{"a1-corp.com", "a2-corp.com", "a3-corp.com", "a4-corp.com"} {
		if res := h.enrich(t, w, byEmail(t, "jane@"+d), "employees"); res.Status != lead.EnrichmentOK {
			t.Fatalf("lead %d: status %s (%s)", i, res.Status, res.Error)
		}
	}

	// Two tokens at once, then one every 500ms.
	want := []time.Duration{500 * time.Millisecond, 500 * time.Millisecond}
	if d := cmp.Diff(want, h.slept()); d != "" {
		t.Errorf("waits (-want +got):\n%s", d)
	}
}

func TestBudget(t *testing.T) {
	t.Run("per-lead cap", func(t *testing.T) {
		h := newHarness()
		first, second := newAPI(t, answer), newAPI(t, answer)
		p1, p2 := first.provider("first", "employees"), second.provider("second", "industry")
		p1.CostPerCall, p2.CostPerCall = 0.10, 0.10
		w := h.waterfall(t, config.Enrichment{PerLeadCostCap: 0.15, Providers: []*config.Provider{p1, p2}})

		got := h.enrich(t, w, byEmail(t, "jane@acme-corp.com"), "employees", "industry")

		want := pipeline.EnrichResult{
			Values:   map[string]any{"employees": 250},
			Sources:  map[string]string{"employees": "first"},
			Status:   lead.EnrichmentPartial,
			Provider: "first",
			Error:    "budget: per-lead cost cap reached",
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("result (-want +got):\n%s", d)
		}
		if second.hits.Load() != 0 {
			t.Errorf("the provider past the cap was called %d times", second.hits.Load())
		}
	})
	t.Run("per-lead cap counts retries", func(t *testing.T) {
		h := newHarness()
		a := newAPI(t, status(503))
		p := a.provider("api", "employees")
		p.CostPerCall, p.Retries = 0.10, 5
		w := h.waterfall(t, config.Enrichment{PerLeadCostCap: 0.25, Providers: []*config.Provider{p}})

		got := h.enrich(t, w, byEmail(t, "jane@acme-corp.com"), "employees")

		want := pipeline.EnrichResult{Status: lead.EnrichmentFailed, Error: "api: status 503"}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("result (-want +got):\n%s", d)
		}
		if c := w.Stats().Providers["api"]; a.hits.Load() != 2 || c.BudgetStops != 1 || c.Failures != 1 {
			t.Errorf("hits %d, counters %+v; want 2 calls, then the cap stopping the retries", a.hits.Load(), c)
		}
	})
	t.Run("monthly budget", func(t *testing.T) {
		h := newHarness()
		a := newAPI(t, answer)
		p := a.provider("api", "employees")
		p.CostPerCall = 0.10
		w := h.waterfall(t, config.Enrichment{MonthlyBudget: 0.30, Providers: []*config.Provider{p}})

		var statuses []string
		for _, d := range []string{"a1-corp.com", "a2-corp.com", "a3-corp.com", "a4-corp.com"} {
			statuses = append(statuses, h.enrich(t, w, byEmail(t, "jane@"+d), "employees").Status)
		}
		h.clock.Advance(30 * 24 * time.Hour) // into July: a new month
		statuses = append(statuses, h.enrich(t, w, byEmail(t, "jane@a5-corp.com"), "employees").Status)

		want := []string{"ok", "ok", "ok", "skipped", "ok"}
		if d := cmp.Diff(want, statuses); d != "" {
			t.Errorf("statuses (-want +got):\n%s", d)
		}
		if a.hits.Load() != 4 {
			t.Errorf("provider hit %d times, want 4", a.hits.Load())
		}
		st := w.Stats()
		if st.Providers["api"].BudgetStops != 1 || st.Cost != 0.4 || st.Leads != 5 {
			t.Errorf("stats %+v, want 1 budget stop, cost 0.4 over 5 leads", st)
		}
		if got := w.CostPer1000Leads(); got != 80 {
			t.Errorf("CostPer1000Leads = %v, want 80", got)
		}
	})
}

// The monthly budget kept in the store is one budget for every process (in
// AWS, every enrich function instance), and a restart does not refill it.
func TestBudgetInTheStoreIsShared(t *testing.T) {
	db, err := embedded.Open(filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	h := newHarness()
	h.ledger = StoreLedger{Store: db}
	a := newAPI(t, answer)
	p := a.provider("api", "employees")
	p.CostPerCall = 0.10
	cfg := config.Enrichment{MonthlyBudget: 0.30, Providers: []*config.Provider{p}}
	instances := []*Waterfall{h.waterfall(t, cfg), h.waterfall(t, cfg), h.waterfall(t, cfg)}

	var statuses []string
	for i, d := range []string{"a1-corp.com", "a2-corp.com", "a3-corp.com", "a4-corp.com"} {
		w := instances[min(i, 2)]
		statuses = append(statuses, h.enrich(t, w, byEmail(t, "jane@"+d), "employees").Status)
	}
	if d := cmp.Diff([]string{"ok", "ok", "ok", "skipped"}, statuses); d != "" {
		t.Errorf("statuses across instances (-want +got):\n%s", d)
	}
	if a.hits.Load() != 3 {
		t.Errorf("provider hit %d times, want 3 (the budget's worth)", a.hits.Load())
	}
	total, _, err := db.AddCapped(t.Context(), "enrichment-spend:2025-06", 1, 1)
	if err != nil || total != 300_000 {
		t.Errorf("stored June spend = %d micros, %v; want 300000", total, err)
	}
}

// A ledger that cannot answer stops spending: the lead goes on unenriched.
func TestBudgetUnknownStopsSpending(t *testing.T) {
	h := newHarness()
	h.ledger = failingLedger{}
	a := newAPI(t, answer)
	p := a.provider("api", "employees")
	p.CostPerCall = 0.10
	w := h.waterfall(t, config.Enrichment{MonthlyBudget: 5, Providers: []*config.Provider{p}})

	got := h.enrich(t, w, byEmail(t, "jane@acme-corp.com"), "employees")
	if got.Status != lead.EnrichmentSkipped || got.Error != "budget: monthly spend unknown" || a.hits.Load() != 0 {
		t.Errorf("result %+v after %d calls, want skipped with the budget unknown and no call", got, a.hits.Load())
	}
}

type failingLedger struct{}

func (failingLedger) Spend(context.Context, string, int64, int64) (bool, error) {
	return false, lead.Errorf(lead.EUNAVAILABLE, "store down")
}

func TestEnrichWithoutLead(t *testing.T) {
	h := newHarness()
	w := h.waterfall(t, config.Enrichment{})
	_, err := w.Enrich(context.Background(), pipeline.EnrichRequest{Fields: []string{"employees"}})
	if lead.ErrorCode(err) != lead.EINVALID {
		t.Errorf("error %v, want EINVALID", err)
	}
}

func TestNewRefusesUnusableProviders(t *testing.T) {
	tests := []struct {
		name string
		p    *config.Provider
		want string
	}{
		{"unknown kind", &config.Provider{Name: "x", Kind: "ftp"}, "unknown kind"},
		{"missing dataset", &config.Provider{Name: "x", Kind: config.ProviderDataset, Dataset: "nope.csv"}, "cannot read"},
		{"secret without reader", &config.Provider{Name: "x", Kind: config.ProviderHTTP, URL: "http://127.0.0.1/{domain}", AuthHeader: "Authorization", Secret: "leadflow/api"}, "Options.Secrets"},
		{"auth template without key", &config.Provider{Name: "x", Kind: config.ProviderHTTP, URL: "http://127.0.0.1/{domain}", AuthHeader: "Authorization: Bearer", AuthEnv: "K"}, "${KEY}"},
		{"bad header name", &config.Provider{Name: "x", Kind: config.ProviderHTTP, URL: "http://127.0.0.1/{domain}", AuthHeader: "Bad Header", AuthEnv: "K"}, "header name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(config.Enrichment{Providers: []*config.Provider{tc.p}}, testdata(t), Options{})
			if lead.ErrorCode(err) != lead.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want EINVALID mentioning %q", err, tc.want)
			}
		})
	}
}

func TestShippedConfig(t *testing.T) {
	cfg, err := configfile.Default(celrules.Compile)
	if err != nil {
		t.Fatalf("default config: %v", err)
	}
	h := newHarness()
	w, err := New(cfg.Enrichment, cfg.FS, Options{Clock: h.clock, Sleep: h.sleep})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	l := newLead(t, map[string]string{"email": "dana.reyes@northwind-analytics.com", "country": "US"})

	got, err := w.Enrich(context.Background(), pipeline.EnrichRequest{Lead: l, Fields: cfg.RuleFields()})
	if err != nil {
		t.Fatalf("Enrich: %v", err)
	}

	want := pipeline.EnrichResult{
		Values:   map[string]any{"company": "Northwind Analytics", "industry": "software", "employees": 250, "state": "NY"},
		Sources:  map[string]string{"company": "companies", "industry": "companies", "employees": "companies", "state": "companies"},
		Status:   lead.EnrichmentOK,
		Provider: "companies",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("result (-want +got):\n%s", d)
	}
}

func BenchmarkEnrichOffline(b *testing.B) {
	cfg, err := configfile.Default(celrules.Compile)
	if err != nil {
		b.Fatalf("default config: %v", err)
	}
	w, err := New(cfg.Enrichment, cfg.FS, Options{Clock: &fakeClock{}})
	if err != nil {
		b.Fatalf("New: %v", err)
	}
	l, err := lead.Parse(map[string]string{"email": "dana.reyes@northwind-analytics.com"})
	if err != nil {
		b.Fatalf("parse: %v", err)
	}
	req := pipeline.EnrichRequest{Lead: l, Fields: cfg.RuleFields()}
	b.ReportAllocs()
	for b.Loop() {
		if res, err := w.Enrich(context.Background(), req); err != nil || res.Status != lead.EnrichmentOK {
			b.Fatalf("Enrich: %v %+v", err, res)
		}
	}
}
