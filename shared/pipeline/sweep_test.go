package pipeline_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/embedded"
	"github.com/leadflow/leadflow/shared/ids"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// TestSweepPicksExactlyTheInactiveLeads seeds 10,000 leads with activity
// and enrichment dates spread over 200 days and checks that the daily sweep
// asks to re-enrich exactly those inactive ≥ 90 days and not enriched in the
// last 90 days, that a second run the same day asks for nothing, and that a
// lead re-enriched by the sweep is not picked again the next day.
func TestSweepPicksExactlyTheInactiveLeads(t *testing.T) {
	ctx := context.Background()
	store, err := embedded.Open(filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: now}
	bus := &fakeBus{direct: map[events.Consumer][]events.Envelope{}}
	svc := &pipeline.Service{Store: store, Publisher: bus, Sender: bus, Clock: clock, IDs: ids.Generator{Clock: clock}}

	const n = 10_000
	rng := rand.New(rand.NewPCG(7, 11))
	leads := make([]*lead.Lead, n)
	var want []string
	cutoff := now.Add(-90 * 24 * time.Hour)
	for i := range leads {
		l := &lead.Lead{
			ID: fmt.Sprintf("L%05d", i), Email: fmt.Sprintf("p%05d@sweep%05d.example", i, i), Stage: lead.StageEngaged,
			CreatedAt:      now.Add(-300 * 24 * time.Hour),
			LastActivityAt: now.Add(-time.Duration(rng.IntN(200*24)) * time.Hour),
		}
		if rng.IntN(3) == 0 {
			l.Enrichment = lead.Enrichment{Status: lead.EnrichmentOK, At: now.Add(-time.Duration(rng.IntN(200*24)) * time.Hour)}
		}
		if rng.IntN(50) == 0 {
			l.Stage = lead.StageDisqualified
		}
		// Computed here from the dates alone, not by the sweep's code.
		if l.LastActivityAt.Before(cutoff) && !l.Enrichment.At.After(cutoff) && l.Stage != lead.StageDisqualified {
			want = append(want, l.ID)
		}
		leads[i] = l
	}
	seed(t, store, leads)

	got, err := svc.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sent := sweptIDs(t, bus)
	if got != len(want) {
		t.Errorf("Sweep reported %d leads, want %d", got, len(want))
	}
	if diff := cmp.Diff(want, sent); diff != "" {
		t.Fatalf("swept leads (-want +got):\n%s", diff)
	}

	if again, err := svc.Sweep(ctx); err != nil || again != 0 || len(sweptIDs(t, bus)) != 0 {
		t.Fatalf("second sweep the same day requested %d leads (err %v), want none", again, err)
	}

	// The enrich consumer handles what the sweep sent; the next day only the
	// leads that crossed the 90-day lines since are picked, none of those
	// just re-enriched.
	parallel(t, sent, func(id string) error { return svc.Enrich(ctx, id, pipeline.TriggerSweep, "") })
	tomorrow := now.Add(24 * time.Hour)
	swept := map[string]bool{}
	for _, id := range sent {
		swept[id] = true
	}
	next := cutoff.Add(24 * time.Hour)
	var wantNext []string
	for _, l := range leads {
		if !swept[l.ID] && l.LastActivityAt.Before(next) && !l.Enrichment.At.After(next) && l.Stage != lead.StageDisqualified {
			wantNext = append(wantNext, l.ID)
		}
	}
	clock.Set(tomorrow)
	if _, err := svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantNext, sweptIDs(t, bus)); diff != "" {
		t.Fatalf("next day's sweep (-want +got):\n%s", diff)
	}
}

// parallel runs fn over ids with a few concurrent workers, as the enrich
// queue's pollers would.
func parallel(t *testing.T, ids []string, fn func(string) error) {
	t.Helper()
	var wg sync.WaitGroup
	work := make(chan string)
	errs := make(chan error, len(ids))
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				if err := fn(id); err != nil {
					errs <- err
				}
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// seed creates the leads with concurrent writers, as handlers would.
func seed(t *testing.T, s pipeline.Store, leads []*lead.Lead) {
	t.Helper()
	byID := make(map[string]*lead.Lead, len(leads))
	ids := make([]string, len(leads))
	for i, l := range leads {
		byID[l.ID], ids[i] = l, l.ID
	}
	parallel(t, ids, func(id string) error { return s.CreateLead(context.Background(), byID[id]) })
}

// sweptIDs takes the enrich requests sent straight to the enrich queue,
// failing on a duplicate or anything else.
func sweptIDs(t *testing.T, bus *fakeBus) []string {
	t.Helper()
	bus.mu.Lock()
	envs := bus.direct[events.ConsumerEnrich]
	bus.direct[events.ConsumerEnrich] = nil
	bus.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, env := range envs {
		d, err := events.Decode(env)
		if err != nil {
			t.Fatal(err)
		}
		req, ok := d.(*events.EnrichRequested)
		if !ok || req.Trigger != pipeline.TriggerSweep {
			t.Fatalf("sweep sent %s, want lead.enrich_requested from the sweep", env.DetailType)
		}
		if seen[req.LeadID] {
			t.Fatalf("lead %s requested twice", req.LeadID)
		}
		seen[req.LeadID] = true
		out = append(out, req.LeadID)
	}
	sort.Strings(out)
	return out
}
