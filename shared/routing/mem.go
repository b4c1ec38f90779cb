package routing

import "sync"

// MemCounters is an in-memory Counters for tests, scenarios and benchmarks.
// The zero value is ready; it is safe for concurrent use. It never fails.
type MemCounters struct {
	mu sync.Mutex
	n  map[string]int64
}

var _ Counters = (*MemCounters)(nil)

// Next increments the pool's counter and returns the new value; the first
// call for a pool returns 1.
func (m *MemCounters) Next(pool string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == nil {
		m.n = map[string]int64{}
	}
	m.n[pool]++
	return m.n[pool]
}

// MemLoads is a map-backed Loads: rep id → open leads; a missing rep has
// none. Safe for concurrent reads; writes need the caller's own locking.
type MemLoads map[string]int

var _ Loads = MemLoads(nil)

// OpenLeads returns the rep's open leads.
func (m MemLoads) OpenLeads(rep string) int { return m[rep] }
