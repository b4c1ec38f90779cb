package console

import (
	"context"
	"sync"
	"time"
)

// Snapshot timing. Reading every lead of a 10,000-lead store takes a few
// hundred milliseconds (JSON decoding dominates), more than a page may
// take, so the pages that need every lead (list, fairness, funnel, audit)
// share one snapshot of rows that a background goroutine refreshes while
// operators use the console. Pages about one lead or one rep read the
// store directly and are always current, and so is a search for an exact
// email.
const (
	// refreshEvery is the shortest pause between two refreshes; a refresh
	// waits at least refreshRatio times the last scan's duration, so that
	// scanning never takes more than a fifth of a core.
	refreshEvery = 2 * time.Second
	refreshRatio = 4
	// idleAfter stops the refresher when no page asked for the snapshot.
	idleAfter = 10 * time.Minute
	// maxStale is the oldest snapshot a page shows without rescanning:
	// older ones (after an idle spell) are rebuilt in the request.
	maxStale = 30 * time.Second
)

// snapshot holds the shared rows. Rows are never modified once published:
// pages filter and sort pointers to them.
type snapshot struct {
	scan func(context.Context) ([]row, error)

	mu      sync.Mutex
	rows    []row
	at      time.Time // wall time the scan started
	took    time.Duration
	lastUse time.Time
	running bool // the refresher goroutine is alive
}

// get returns the current rows and when they were read, scanning in the
// request only when there is no fresh enough snapshot. It keeps the
// refresher running. Returns the store's error.
func (s *snapshot) get(ctx context.Context) ([]row, time.Time, error) {
	s.mu.Lock()
	s.lastUse = time.Now()
	if !s.running {
		s.running = true
		go s.refresh()
	}
	if s.rows != nil && time.Since(s.at) <= maxStale {
		rows, at := s.rows, s.at
		s.mu.Unlock()
		return rows, at, nil
	}
	s.mu.Unlock()
	return s.load(ctx)
}

func (s *snapshot) load(ctx context.Context) ([]row, time.Time, error) {
	began := time.Now()
	rows, err := s.scan(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// A slower scan that began earlier must not replace a newer one.
	if began.After(s.at) {
		s.rows, s.at, s.took = rows, began, time.Since(began)
	}
	return s.rows, s.at, nil
}

// refresh rescans in the background until the console has been idle for
// idleAfter or the store fails (it was closed).
func (s *snapshot) refresh() {
	for {
		s.mu.Lock()
		wait := max(refreshEvery, refreshRatio*s.took)
		s.mu.Unlock()
		time.Sleep(wait)
		s.mu.Lock()
		if time.Since(s.lastUse) > idleAfter {
			s.running = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, _, err := s.load(ctx)
		cancel()
		if err != nil {
			s.mu.Lock()
			s.running = false
			s.mu.Unlock()
			return
		}
	}
}
