package embedded_test

import (
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/leadflow/leadflow/shared/embedded"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/storetest"
)

func open(t testing.TB, path string, opts ...embedded.Option) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func newStore(t testing.TB, opts ...embedded.Option) *embedded.Store {
	t.Helper()
	s := open(t, filepath.Join(t.TempDir(), "leadflow.db"), opts...)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.RunConformanceTests(t, func(t *testing.T) pipeline.Store { return newStore(t) })
}

func testLead() *lead.Lead {
	at := time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC)
	return &lead.Lead{
		ID: "01JQ8N4W6E5H2R7K9T3M000001", Email: "grace.hopper@cobolworks.example",
		FirstName: "Grace", LastName: "Hopper", Company: "Cobol Works", Domain: "cobolworks.example",
		Stage: lead.StageSQL, Owner: "rep-ana", Score: lead.Score{Total: 81.5, Fit: 60, Intent: 21.5},
		CreatedAt: at, UpdatedAt: at, LastActivityAt: at,
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leadflow.db")
	s := open(t, path)
	ctx := t.Context()
	l := testLead()
	if err := s.CreateLead(ctx, l); err != nil {
		t.Fatalf("CreateLead: %v", err)
	}
	a := lead.Activity{ID: "evt-1", LeadID: l.ID, Type: lead.ActivityPageView, OccurredAt: l.CreatedAt, URL: "https://www.leadflow.example/pricing"}
	if _, err := s.AddActivity(ctx, a); err != nil {
		t.Fatalf("AddActivity: %v", err)
	}
	if _, err := s.ClaimAccountOwner(ctx, l.Domain, "rep-ana"); err != nil {
		t.Fatalf("ClaimAccountOwner: %v", err)
	}
	if _, err := s.Increment(ctx, "rr:enterprise"); err != nil {
		t.Fatalf("Increment: %v", err)
	}
	if _, _, err := s.PutOnce(ctx, "capture:req-1", l.ID, 0); err != nil {
		t.Fatalf("PutOnce: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_, err := s.GetLead(ctx, l.ID)
	if lead.ErrorCode(err) != lead.EUNAVAILABLE {
		t.Errorf("GetLead after Close: %v, want EUNAVAILABLE", err)
	}

	s = open(t, path)
	defer s.Close()
	got, err := s.GetLead(ctx, l.ID)
	if err != nil {
		t.Fatalf("GetLead after reopen: %v", err)
	}
	if diff := cmp.Diff(l, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("lead after reopen (-want +got):\n%s", diff)
	}
	acts, err := s.Activities(ctx, l.ID)
	if err != nil {
		t.Fatalf("Activities: %v", err)
	}
	if diff := cmp.Diff([]lead.Activity{a}, acts); diff != "" {
		t.Errorf("activities after reopen (-want +got):\n%s", diff)
	}
	queue, err := s.OwnerQueue(ctx, "rep-ana", 0)
	if err != nil || len(queue) != 1 {
		t.Errorf("OwnerQueue after reopen = %d leads, %v; want 1", len(queue), err)
	}
	if owner, err := s.ClaimAccountOwner(ctx, l.Domain, "rep-ben"); err != nil || owner != "rep-ana" {
		t.Errorf("ClaimAccountOwner after reopen = %q, %v; want rep-ana", owner, err)
	}
	if n, err := s.Increment(ctx, "rr:enterprise"); err != nil || n != 2 {
		t.Errorf("Increment after reopen = %d, %v; want 2", n, err)
	}
	if v, created, err := s.PutOnce(ctx, "capture:req-1", "other", 0); err != nil || created || v != l.ID {
		t.Errorf("PutOnce after reopen = %q, %t, %v; want %q, false", v, created, err, l.ID)
	}
}

// manualClock is a clock tests advance by hand.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestPutOnceExpiresByTheStoreClock(t *testing.T) {
	clock := &manualClock{now: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)}
	s := newStore(t, embedded.WithClock(clock))
	ctx := t.Context()
	steps := []struct {
		advance     time.Duration
		value       string
		wantStored  string
		wantCreated bool
	}{
		{0, "first", "first", true},
		{59 * time.Minute, "second", "first", false},
		{time.Minute, "third", "third", true}, // the hour is up
		{30 * time.Minute, "fourth", "third", false},
	}
	for i, st := range steps {
		clock.Advance(st.advance)
		stored, created, err := s.PutOnce(ctx, "sla:lead-1", st.value, time.Hour)
		if err != nil {
			t.Fatalf("step %d: PutOnce: %v", i, err)
		}
		if stored != st.wantStored || created != st.wantCreated {
			t.Errorf("step %d: PutOnce = %q, %t, want %q, %t", i, stored, created, st.wantStored, st.wantCreated)
		}
	}
}

func TestInvalidInput(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	created := testLead()
	if err := s.CreateLead(ctx, created); err != nil {
		t.Fatalf("CreateLead: %v", err)
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"create with a version", func() error {
			l := testLead()
			l.ID, l.Email, l.Version = "other", "other@cobolworks.example", 3
			return s.CreateLead(ctx, l)
		}},
		{"create without email", func() error { l := testLead(); l.ID, l.Email = "other", ""; return s.CreateLead(ctx, l) }},
		{"create with a NaN score", func() error {
			l := testLead()
			l.ID, l.Email, l.Score.Total = "other", "other@cobolworks.example", math.NaN()
			return s.CreateLead(ctx, l)
		}},
		{"update changing the email", func() error { l := *created; l.Email = "grace@cobolworks.example"; return s.UpdateLead(ctx, &l) }},
		{"activity without id", func() error {
			_, err := s.AddActivity(ctx, lead.Activity{LeadID: created.ID, Type: lead.ActivityPageView})
			return err
		}},
		{"claim without owner", func() error { _, err := s.ClaimAccountOwner(ctx, "cobolworks.example", ""); return err }},
		{"oversized key", func() error { _, _, err := s.PutOnce(ctx, string(make([]byte, 2000)), "v", 0); return err }},
		{"foreign cursor", func() error { _, _, err := s.InactiveSince(ctx, time.Now(), "not-a-cursor!", 10); return err }},
		{"negative limit", func() error { _, err := s.OwnerQueue(ctx, "rep-ana", -1); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); lead.ErrorCode(err) != lead.EINVALID {
				t.Errorf("error %v, want EINVALID", err)
			}
		})
	}
	if _, err := s.GetLead(ctx, "other"); lead.ErrorCode(err) != lead.ENOTFOUND {
		t.Errorf("a refused create left a lead behind: %v", err)
	}
}

// BenchmarkCreateAndUpdate measures concurrent handlers that each create a
// lead and update it (two durable commits): group commit is what lets
// concurrent writers share a commit's fsyncs.
func BenchmarkCreateAndUpdate(b *testing.B) {
	for _, writers := range []int{1, 32, 128} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s := newStore(b)
			var seq atomic.Int64
			createAndUpdate := func() error {
				n := seq.Add(1)
				l := testLead()
				l.ID, l.Email = fmt.Sprintf("lead-%09d", n), fmt.Sprintf("lead-%09d@cobolworks.example", n)
				if err := s.CreateLead(b.Context(), l); err != nil {
					return err
				}
				l.Stage, l.Score.Total = lead.StageSAL, float64(n%100)
				return s.UpdateLead(b.Context(), l)
			}
			b.ResetTimer()
			if writers == 1 {
				for b.Loop() {
					if err := createAndUpdate(); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				b.SetParallelism(max(1, writers/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := createAndUpdate(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

// TestScanLeadsPagesAndAllowsWrites scans more leads than one read page and
// updates leads from the callback, which would deadlock if the scan held its
// read transaction while bbolt grows the file.
func TestScanLeadsPagesAndAllowsWrites(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	const n, writers = 600, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				l := testLead()
				l.ID, l.Email = fmt.Sprintf("lead-%04d", i), fmt.Sprintf("lead-%04d@cobolworks.example", i)
				if err := s.CreateLead(ctx, l); err != nil {
					t.Errorf("CreateLead: %v", err)
				}
			}
		})
	}
	wg.Wait()

	seen := map[string]int{}
	err := s.ScanLeads(ctx, func(l *lead.Lead) error {
		seen[l.ID]++
		if len(seen)%100 == 0 {
			l.Extras = map[string]string{"padding": string(make([]byte, 64<<10))}
			return s.UpdateLead(ctx, l)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ScanLeads: %v", err)
	}
	if len(seen) != n {
		t.Errorf("ScanLeads visited %d leads, want %d", len(seen), n)
	}
	for id, times := range seen {
		if times != 1 {
			t.Errorf("ScanLeads visited %s %d times", id, times)
		}
	}
}
