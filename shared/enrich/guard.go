package enrich

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/internal/backoff"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// maxRetryAfter bounds how long a provider's Retry-After is honoured: a
// longer wait would hold the lead past its enrichment's worth, so the
// lookup fails instead and the lead goes on.
const maxRetryAfter = 5 * time.Second

// fetchError is a failed lookup attempt. Its message is short and safe to
// record on a lead: it never quotes a URL, a body or a credential.
type fetchError struct {
	reason     string
	transient  bool          // worth retrying
	retryAfter time.Duration // the provider's Retry-After, if any
}

func (e *fetchError) Error() string { return e.reason }

var errCircuitOpen = &fetchError{reason: "circuit open"}

// ctxError turns a context error into a fetchError.
func ctxError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &fetchError{reason: "timeout", transient: true}
	}
	return &fetchError{reason: "cancelled"}
}

// retryWait returns how long to wait before retrying after err, and false
// when it should not be retried: a permanent failure, retries used up, or a
// Retry-After beyond maxRetryAfter.
func retryWait(err error, attempt, retries int) (time.Duration, bool) {
	var fe *fetchError
	if attempt >= retries || !errors.As(err, &fe) || !fe.transient {
		return 0, false
	}
	if fe.retryAfter > 0 {
		return fe.retryAfter, fe.retryAfter <= maxRetryAfter
	}
	return backoff.Delay(attempt + 1), true
}

// breaker is a provider's circuit breaker: threshold consecutive failed
// lookups open it; after cooldown one trial lookup goes through, whose
// success closes it and whose failure opens it again.
type breaker struct {
	threshold int
	cooldown  time.Duration

	mu       sync.Mutex
	fails    int
	open     bool
	openedAt time.Time
	probing  bool // the trial lookup is in flight
}

// allow reports whether a lookup may go to the provider now.
func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return true
	}
	if b.probing || now.Sub(b.openedAt) < b.cooldown {
		return false
	}
	b.probing = true
	return true
}

// success closes the circuit.
func (b *breaker) success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fails, b.open, b.probing = 0, false, false
}

// failure counts a failed lookup and reports whether it opened the circuit.
func (b *breaker) failure(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fails++
	if b.probing || (!b.open && b.fails >= b.threshold) {
		b.open, b.openedAt, b.probing = true, now, false
		return true
	}
	return false
}

// abort ends a lookup that never reached the provider: a trial lookup
// stopped by the budget leaves the circuit half-open for the next one.
func (b *breaker) abort() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
}

// limiter is a token bucket of rate tokens per second holding at most burst
// tokens. Tokens may go negative: each caller reserves one and waits for
// its turn, so waiting callers are served in order.
type limiter struct {
	rate, burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// newLimiter returns a limiter for rate per second, nil (unlimited) for
// rate 0. The burst is the whole-number part of rate, at least one.
func newLimiter(rate float64) *limiter {
	if rate <= 0 {
		return nil
	}
	burst := max(1, math.Floor(rate))
	return &limiter{rate: rate, burst: burst, tokens: burst}
}

// reserve takes a token and returns how long to wait before using it.
func (l *limiter) reserve(now time.Time) time.Duration {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.After(l.last) {
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	}
	if l.last.IsZero() || now.After(l.last) {
		l.last = now
	}
	l.tokens--
	if l.tokens >= 0 {
		return 0
	}
	return time.Duration(math.Ceil(-l.tokens / l.rate * float64(time.Second)))
}

// maxCacheEntries bounds a provider's cache in a long-running process.
const maxCacheEntries = 10000

// cache keeps a provider's answers (empty ones too: "no data" is an answer
// worth not paying for twice) for ttl. Failures are never cached.
type cache struct {
	ttl time.Duration

	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	rec   record
	until time.Time
}

// get returns the live entry for key. A nil cache never hits.
func (c *cache) get(key string, now time.Time) (record, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	if !now.Before(e.until) {
		delete(c.entries, key)
		return nil, false
	}
	return e.rec, true
}

// put stores rec under key until now+ttl, first dropping expired entries
// (and then any one entry) when the cache is full.
func (c *cache) put(key string, rec record, now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cacheEntry{}
	}
	if len(c.entries) >= maxCacheEntries {
		for k, e := range c.entries {
			if !now.Before(e.until) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < maxCacheEntries {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[key] = cacheEntry{rec: rec, until: now.Add(c.ttl)}
}

// StoreLedger keeps the monthly spend in a counter of the store
// ("enrichment-spend:<month>"), so that every process and every Lambda
// instance draws on one budget and a restart does not refill it.
type StoreLedger struct{ Store pipeline.Store }

// Spend implements Ledger.
func (l StoreLedger) Spend(ctx context.Context, month string, cost, limit int64) (bool, error) {
	_, added, err := l.Store.AddCapped(ctx, "enrichment-spend:"+month, cost, limit)
	return added, err
}

// memLedger is the in-process Ledger: one month's total.
type memLedger struct {
	mu    sync.Mutex
	month string
	spent int64
}

// Spend implements Ledger; it never fails.
func (m *memLedger) Spend(_ context.Context, month string, cost, limit int64) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if month != m.month {
		m.month, m.spent = month, 0
	}
	if limit > 0 && m.spent+cost > limit {
		return false, nil
	}
	m.spent += cost
	return true, nil
}
