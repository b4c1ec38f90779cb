// Package enrich fills lead fields from enrichment providers, SPEC §4: a
// waterfall per field over the configured providers (an offline company
// dataset, heuristics from the email domain, generic HTTP/JSON APIs), each
// behind a timeout, retries with backoff, a rate limit, a circuit breaker
// and a per-domain cache, under a per-lead cost cap and a monthly budget.
// A provider failure is recorded in the result, never returned as an error.
package enrich

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/internal/backoff"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// Breaker defaults: a provider's circuit opens after this many consecutive
// failed lookups and lets one trial lookup through after the cool-down.
const (
	DefaultBreakerThreshold = 5
	DefaultBreakerCooldown  = 30 * time.Second
)

// maxRetries bounds a provider's retries whatever the config says: past a
// few, a failing provider only holds the lead up.
const maxRetries = 5

// Options carries the Waterfall's dependencies. Every field may be left
// zero except Secrets, which a provider naming a secret needs.
type Options struct {
	// Clock measures cache lifetimes, breaker cool-downs, rate-limit tokens
	// and budget months. nil: the system clock.
	Clock pipeline.Clock
	// HTTPClient sends the http providers' requests; redirects are never
	// followed, so a credential cannot leak to another host. nil: a client
	// with no timeout of its own (each attempt has the provider's timeout).
	HTTPClient *http.Client
	// Getenv reads the credential of a provider with auth_env. nil: os.Getenv.
	Getenv func(string) string
	// Secrets reads the credential of a provider with secret (Secrets
	// Manager in AWS). It is called on a provider's first request and again
	// after the provider answers 401 or 403, so a rotated secret is picked
	// up. Its errors are recorded as "credential unavailable", never quoted.
	Secrets func(ctx context.Context, name string) (string, error)
	// Metrics receives the per-provider counters (see Stats). May be nil.
	Metrics pipeline.Metrics
	// Logger receives provider failures, breaker and budget events, never a
	// domain, email or credential. nil: slog.Default().
	Logger *slog.Logger
	// Sleep waits between retries and for rate-limit tokens, returning ctx's
	// error if ctx ends first. nil: a timer. Tests inject one that advances
	// their clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// Ledger keeps the monthly spend: a StoreLedger, so that all processes
	// share one budget. nil: an in-process ledger (tests), which gives every
	// process the whole budget.
	Ledger Ledger
	// BreakerThreshold is the number of consecutive failed lookups that open
	// a provider's circuit (0: DefaultBreakerThreshold); BreakerCooldown is
	// how long it stays open before a trial lookup (0:
	// DefaultBreakerCooldown).
	BreakerThreshold int
	BreakerCooldown  time.Duration
}

// Ledger records enrichment spend per calendar month. Amounts are in
// millionths of the budget's currency unit, so that sums are exact.
type Ledger interface {
	// Spend adds cost to month's total ("2006-01", UTC) unless the total
	// would then exceed limit (limit 0: no limit) and reports whether it
	// did. On error nothing is spent and the call is not made.
	Spend(ctx context.Context, month string, cost, limit int64) (bool, error)
}

// Counters are one provider's totals since New.
type Counters struct {
	Calls       int64   // requests made (each retry counts; cache hits do not)
	Failures    int64   // lookups that failed after their retries
	Empty       int64   // lookups answered with no data
	CacheHits   int64   // lookups answered from the per-domain cache
	BudgetStops int64   // lookups not made because a cost cap or the budget was reached
	CircuitOpen int64   // lookups refused while the provider's circuit was open
	Cost        float64 // sum of cost_per_call over the requests made
}

// Stats are the Waterfall's totals since New.
type Stats struct {
	Leads     int64               // Enrich calls
	Cost      float64             // every provider's Cost together
	Providers map[string]Counters // by provider name
}

// Waterfall is the configured provider waterfall. It implements
// pipeline.Enricher and is safe for concurrent use.
type Waterfall struct {
	providers []*provider
	leadCap   int64 // micros; 0: no cap
	monthly   int64 // micros; 0: no budget
	clock     pipeline.Clock
	sleep     func(context.Context, time.Duration) error
	metrics   pipeline.Metrics
	log       *slog.Logger
	ledger    Ledger
	leads     atomic.Int64
}

var _ pipeline.Enricher = (*Waterfall)(nil)

// source is one provider's way of looking a lead up.
type source interface {
	// key returns what a lookup of l is keyed by (the cache key), or "" when
	// the source cannot look l up (no company domain, a free-mail address).
	key(l *lead.Lead) string
	// fetch looks key up once. A *fetchError tells whether to retry.
	fetch(ctx context.Context, key string) (record, error)
}

// record is what a provider knows: field → value, in the types
// pipeline.applyFields reads (string, int for employees, []string for
// tech). An empty record means "no data".
type record map[string]any

type provider struct {
	name    string
	offers  map[string]bool
	wins    bool
	cost    int64 // micros
	timeout time.Duration
	retries int
	src     source
	cache   *cache // nil: not cached (local sources, cache_ttl 0)
	limit   *limiter
	breaker *breaker

	mu     sync.Mutex
	n      Counters
	micros int64
}

// New builds the waterfall of cfg's providers, in config order, loading
// dataset files from fsys (for a loaded config: cfg.Enrichment and cfg.FS).
// Returns an EINVALID error for a provider New cannot use: an unknown kind,
// an unreadable or malformed dataset, an auth_header it cannot parse, a
// secret without Options.Secrets.
func New(cfg config.Enrichment, fsys fs.FS, opts Options) (*Waterfall, error) {
	w := &Waterfall{
		leadCap: micros(cfg.PerLeadCostCap),
		monthly: micros(cfg.MonthlyBudget),
		clock:   opts.Clock,
		sleep:   opts.Sleep,
		metrics: opts.Metrics,
		log:     opts.Logger,
		ledger:  opts.Ledger,
	}
	if w.clock == nil {
		w.clock = systemClock{}
	}
	if w.sleep == nil {
		w.sleep = backoff.Sleep
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	if w.ledger == nil {
		w.ledger = &memLedger{}
	}
	threshold, cooldown := opts.BreakerThreshold, opts.BreakerCooldown
	if threshold <= 0 {
		threshold = DefaultBreakerThreshold
	}
	if cooldown <= 0 {
		cooldown = DefaultBreakerCooldown
	}
	for _, pc := range cfg.Providers {
		p := &provider{
			name:    pc.Name,
			offers:  make(map[string]bool, len(pc.Fields)),
			wins:    pc.Wins,
			cost:    micros(pc.CostPerCall),
			timeout: pc.Timeout,
			retries: min(max(pc.Retries, 0), maxRetries),
			limit:   newLimiter(pc.RatePerSecond),
			breaker: &breaker{threshold: threshold, cooldown: cooldown},
		}
		if p.timeout <= 0 {
			p.timeout = config.DefaultProviderTimeout
		}
		for _, f := range pc.Fields {
			p.offers[f] = true
		}
		var err error
		switch pc.Kind {
		case config.ProviderDataset:
			p.src, err = loadDataset(fsys, pc.Dataset)
		case config.ProviderHeuristics:
			p.src = heuristics{}
		case config.ProviderHTTP:
			p.src, err = newHTTPSource(pc, opts)
			if cfg.CacheTTL > 0 {
				p.cache = &cache{ttl: cfg.CacheTTL}
			}
		default:
			err = lead.Errorf(lead.EINVALID, "unknown kind %q", pc.Kind)
		}
		if err != nil {
			return nil, fmt.Errorf("enrichment provider %s: %w", pc.Name, err)
		}
		w.providers = append(w.providers, p)
	}
	return w, nil
}

// micros converts an amount of money to millionths.
func micros(x float64) int64 { return int64(math.Round(x * 1e6)) }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// want is one field the waterfall looks for.
type want struct {
	field   string
	missing bool // the lead has no value; otherwise only a wins provider may set it
}

// Enrich looks up the requested fields the lead lacks (and those a wins
// provider may replace), field by field down the providers in config order:
// the first provider that returns a value for a field supplies it. Each
// provider is asked at most once per lead, for every still-open field it
// offers. Values holds only the fields to set; Sources names the provider
// of each; Provider lists the providers that supplied a value, in config
// order; Error is the last provider error or budget stop ("name: reason",
// no PII). Status is
//   - skipped when no requested field is missing (or replaceable by a wins
//     provider), or no provider could be asked (no company domain, budget
//     spent);
//   - failed when every provider asked failed;
//   - ok when every missing requested field was found;
//   - partial otherwise.
//
// Consent and every field outside config.EnrichableFields are never
// touched. Enrich returns an EINVALID error only for a request without a
// lead; provider failures and timeouts are in the result.
func (w *Waterfall) Enrich(ctx context.Context, req pipeline.EnrichRequest) (pipeline.EnrichResult, error) {
	l := req.Lead
	if l == nil {
		return pipeline.EnrichResult{}, lead.Errorf(lead.EINVALID, "enrich: no lead")
	}
	w.leads.Add(1)
	res := pipeline.EnrichResult{Status: lead.EnrichmentSkipped}
	wants := w.wants(l, requested(req.Fields))
	if len(wants) == 0 {
		return res, nil
	}
	values, sources := map[string]any{}, map[string]string{}
	var spent int64
	asked, answered := 0, 0
	for _, p := range w.providers {
		fields := p.open(wants, values)
		if len(fields) == 0 {
			continue
		}
		key := p.src.key(l)
		if key == "" {
			continue
		}
		rec, err := w.ask(ctx, p, key, &spent)
		var stop *budgetStop
		switch {
		case errors.As(err, &stop):
			res.Error = "budget: " + stop.reason
			continue
		case err != nil:
			asked++
			res.Error = p.name + ": " + err.Error()
			continue
		}
		asked++
		answered++
		supplied := false
		for _, f := range fields {
			if v, ok := rec[f]; ok {
				values[f], sources[f], supplied = v, p.name, true
			}
		}
		if supplied {
			res.Provider = join(res.Provider, p.name)
		}
	}
	missing, found := 0, 0
	for _, wt := range wants {
		if wt.missing {
			missing++
			if _, ok := values[wt.field]; ok {
				found++
			}
		}
	}
	switch {
	case asked == 0:
		res.Status = lead.EnrichmentSkipped
	case answered == 0:
		res.Status = lead.EnrichmentFailed
	case found == missing:
		res.Status = lead.EnrichmentOK
	default:
		res.Status = lead.EnrichmentPartial
	}
	if len(values) > 0 {
		res.Values, res.Sources = values, sources
	}
	return res, nil
}

func join(list, name string) string {
	if list == "" {
		return name
	}
	return list + "," + name
}

// wants returns the requested fields worth looking up: those some provider
// offers and the lead lacks, or a wins provider offers.
func (w *Waterfall) wants(l *lead.Lead, fields []string) []want {
	var out []want
	for _, f := range fields {
		missing := !known(l, f)
		for _, p := range w.providers {
			if p.offers[f] && (missing || p.wins) {
				out = append(out, want{field: f, missing: missing})
				break
			}
		}
	}
	return out
}

// open returns the fields p may still supply: offered, not yet found, and
// missing on the lead unless p wins.
func (p *provider) open(wants []want, found map[string]any) []string {
	var out []string
	for _, wt := range wants {
		if _, done := found[wt.field]; !done && p.offers[wt.field] && (wt.missing || p.wins) {
			out = append(out, wt.field)
		}
	}
	return out
}

// budgetStop is a lookup not made because money ran out.
type budgetStop struct{ reason string }

func (b *budgetStop) Error() string { return b.reason }

// ask looks key up at p: from the cache, else through the breaker, the
// budget, the rate limit and the retries. It returns a *budgetStop when the
// budget forbids the call, a *fetchError when the lookup failed.
func (w *Waterfall) ask(ctx context.Context, p *provider, key string, spent *int64) (record, error) {
	if rec, ok := p.cache.get(key, w.clock.Now()); ok {
		w.count(p, "enrichment_cache_hits", 1, func(c *Counters) { c.CacheHits++ })
		return rec, nil
	}
	if !p.breaker.allow(w.clock.Now()) {
		w.count(p, "enrichment_circuit_open", 1, func(c *Counters) { c.CircuitOpen++ })
		return nil, errCircuitOpen
	}
	var err error
	for attempt := 0; ; attempt++ {
		if stop := w.charge(ctx, p, spent); stop != nil {
			w.count(p, "enrichment_budget_stops", 1, func(c *Counters) { c.BudgetStops++ })
			w.log.Info("enrichment budget reached", "provider", p.name, "reason", stop.reason)
			if attempt > 0 {
				// No money for a retry: the lookup failed.
				break
			}
			p.breaker.abort()
			return nil, stop
		}
		if d := p.limit.reserve(w.clock.Now()); d > 0 {
			if err = w.sleep(ctx, d); err != nil {
				err = ctxError(err)
				break
			}
		}
		var rec record
		rec, err = p.fetch(ctx, key)
		w.count(p, "enrichment_calls", 1, func(c *Counters) { c.Calls++ })
		if err == nil {
			p.breaker.success()
			p.cache.put(key, rec, w.clock.Now())
			if len(rec) == 0 {
				w.count(p, "enrichment_empty", 1, func(c *Counters) { c.Empty++ })
			}
			return rec, nil
		}
		wait, again := retryWait(err, attempt, p.retries)
		if !again {
			break
		}
		if serr := w.sleep(ctx, wait); serr != nil {
			break
		}
	}
	w.count(p, "enrichment_provider_failures", 1, func(c *Counters) { c.Failures++ })
	w.log.Warn("enrichment provider failed", "provider", p.name, "error", err.Error())
	if p.breaker.failure(w.clock.Now()) {
		w.log.Warn("enrichment circuit opened", "provider", p.name)
	}
	return nil, err
}

// fetch makes one attempt within the provider's timeout and keeps only the
// fields the provider is configured to supply.
func (p *provider) fetch(ctx context.Context, key string) (record, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	rec, err := p.src.fetch(ctx, key)
	if err != nil {
		return nil, err
	}
	for f := range rec {
		if !p.offers[f] {
			delete(rec, f)
		}
	}
	return rec, nil
}

// charge pays for one call of p, or says why it may not be made.
func (w *Waterfall) charge(ctx context.Context, p *provider, spent *int64) *budgetStop {
	if p.cost == 0 {
		return nil
	}
	if w.leadCap > 0 && *spent+p.cost > w.leadCap {
		return &budgetStop{"per-lead cost cap reached"}
	}
	ok, err := w.ledger.Spend(ctx, w.clock.Now().UTC().Format("2006-01"), p.cost, w.monthly)
	switch {
	case err != nil:
		return &budgetStop{"monthly spend unknown"}
	case !ok:
		return &budgetStop{"monthly budget reached"}
	}
	*spent += p.cost
	p.mu.Lock()
	p.micros += p.cost
	p.n.Cost = float64(p.micros) / 1e6
	p.mu.Unlock()
	if w.metrics != nil {
		w.metrics.Count("enrichment_cost", float64(p.cost)/1e6, "provider", p.name)
	}
	return nil
}

// count updates one of p's counters and the matching metric.
func (w *Waterfall) count(p *provider, metric string, n float64, update func(*Counters)) {
	p.mu.Lock()
	update(&p.n)
	p.mu.Unlock()
	if w.metrics != nil {
		w.metrics.Count(metric, n, "provider", p.name)
	}
}

// Stats returns the totals since New. It never fails.
func (w *Waterfall) Stats() Stats {
	s := Stats{Leads: w.leads.Load(), Providers: make(map[string]Counters, len(w.providers))}
	var total int64
	for _, p := range w.providers {
		p.mu.Lock()
		s.Providers[p.name] = p.n
		total += p.micros
		p.mu.Unlock()
	}
	s.Cost = float64(total) / 1e6
	return s
}

// CostPer1000Leads returns the provider spend per 1,000 Enrich calls since
// New (0 before the first). It never fails.
func (w *Waterfall) CostPer1000Leads() float64 {
	s := w.Stats()
	if s.Leads == 0 {
		return 0
	}
	return s.Cost * 1000 / float64(s.Leads)
}

// requested maps the fields rules read to the enrichable fields they name,
// in order, once each: an account's name is the lead's company.
func requested(fields []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range fields {
		if f == "name" {
			f = lead.FieldCompany
		}
		if !seen[f] && enrichable[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

var enrichable = func() map[string]bool {
	m := make(map[string]bool, len(config.EnrichableFields))
	for _, f := range config.EnrichableFields {
		m[f] = true
	}
	return m
}()

// known reports whether the lead already has a value for field.
func known(l *lead.Lead, field string) bool {
	switch field {
	case lead.FieldCompany:
		return strings.TrimSpace(l.Company) != ""
	case lead.FieldIndustry:
		return strings.TrimSpace(l.Industry) != ""
	case lead.FieldEmployees:
		return l.Employees > 0
	case lead.FieldCountry:
		return l.Country != ""
	case lead.FieldState:
		return l.State != ""
	case lead.FieldWebsite:
		return strings.TrimSpace(l.Website) != ""
	}
	// tech lives on the account: the lead never holds it.
	return false
}
