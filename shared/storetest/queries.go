package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/lead"
)

func testOwnerQueue(t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	a := routed(sampleLead(1), "rep-ana", lead.StageSQL, 91)
	b := routed(sampleLead(2), "rep-ana", lead.StageSAL, 78.5)
	c := routed(sampleLead(3), "rep-ana", lead.StageSQL, 85.25)
	d := routed(sampleLead(4), "rep-ana", lead.StageSAL, -3.5)
	e := routed(sampleLead(5), "rep-ana", lead.StageSQL, 0)
	closed := routed(sampleLead(6), "rep-ana", lead.StageOpportunity, 99)
	disq := routed(sampleLead(7), "rep-ana", lead.StageDisqualified, 97)
	mql := routed(sampleLead(8), "rep-ana", lead.StageMQL, 96)
	ben := routed(sampleLead(9), "rep-ben", lead.StageSQL, 88)
	queued := routed(sampleLead(10), "", lead.StageSQL, 70)
	queued.Queue = "smb"
	create(t, s, a, b, c, d, e, closed, disq, mql, ben, queued)

	if diff := cmp.Diff([]*lead.Lead{a, c, b, e, d}, ownerQueue(t, s, "rep-ana", 0), equate); diff != "" {
		t.Errorf("OwnerQueue(rep-ana) (-want +got):\n%s", diff)
	}

	// Each step changes leads, then checks both owners' queues.
	steps := []struct {
		name     string
		change   func()
		limit    int
		ana, ben []string
	}{
		{"limit", func() {}, 2, []string{a.ID, c.ID}, []string{ben.ID}},
		{"reassigned lead moves", func() { c.Owner = "rep-ben"; update(t, s, c) }, 0,
			[]string{a.ID, b.ID, e.ID, d.ID}, []string{ben.ID, c.ID}},
		{"rescored lead moves up", func() { b.Score.Total = 95; update(t, s, b) }, 0,
			[]string{b.ID, a.ID, e.ID, d.ID}, []string{ben.ID, c.ID}},
		{"closed lead leaves", func() { a.Stage = lead.StageOpportunity; update(t, s, a) }, 0,
			[]string{b.ID, e.ID, d.ID}, []string{ben.ID, c.ID}},
		{"accepted lead joins", func() { mql.Stage = lead.StageSAL; update(t, s, mql) }, 3,
			[]string{mql.ID, b.ID, e.ID}, []string{ben.ID, c.ID}},
		{"unassigned lead leaves", func() { ben.Owner, ben.Queue = "", "enterprise"; update(t, s, ben) }, 0,
			[]string{mql.ID, b.ID, e.ID, d.ID}, []string{c.ID}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.change()
			if diff := cmp.Diff(st.ana, ids(ownerQueue(t, s, "rep-ana", st.limit))); diff != "" {
				t.Errorf("OwnerQueue(rep-ana, %d) (-want +got):\n%s", st.limit, diff)
			}
			if diff := cmp.Diff(st.ben, ids(ownerQueue(t, s, "rep-ben", st.limit))); diff != "" {
				t.Errorf("OwnerQueue(rep-ben, %d) (-want +got):\n%s", st.limit, diff)
			}
			if st.limit == 0 {
				for owner, want := range map[string]int{"rep-ana": len(st.ana), "rep-ben": len(st.ben)} {
					if n, err := s.OpenLeads(t.Context(), owner); err != nil || n != want {
						t.Errorf("OpenLeads(%s) = %d, %v; want %d", owner, n, err, want)
					}
				}
			}
		})
	}
	if got := ownerQueue(t, s, "rep-cy", 0); len(got) != 0 {
		t.Errorf("OwnerQueue of an owner without leads = %v, want none", ids(got))
	}
	if n, err := s.OpenLeads(t.Context(), "rep-cy"); err != nil || n != 0 {
		t.Errorf("OpenLeads of an owner without leads = %d, %v; want 0", n, err)
	}
}

func testInactiveSince(t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	cutoff := base.Add(100 * 24 * time.Hour)
	days := func(d int) time.Time { return cutoff.Add(time.Duration(d) * 24 * time.Hour) }
	leads := make([]*lead.Lead, 8)
	for i, at := range []time.Time{
		days(-200),
		days(-120),
		days(-95), // a tie with the next lead: paging must not skip or repeat either
		days(-95),
		cutoff.Add(-time.Second),
		cutoff, // not before the cutoff
		days(10),
		days(1),
	} {
		leads[i] = sampleLead(i)
		leads[i].LastActivityAt = at
	}
	create(t, s, leads...)

	check := func(t *testing.T, want []*lead.Lead) {
		t.Helper()
		wantIDs := slices.Sorted(slices.Values(ids(want)))
		for _, limit := range []int{1, 2, 3, 25} {
			got := allInactive(t, s, cutoff, limit)
			if diff := cmp.Diff(wantIDs, slices.Sorted(slices.Values(ids(got)))); diff != "" {
				t.Errorf("InactiveSince(limit %d) leads (-want +got):\n%s", limit, diff)
			}
			for i := 1; i < len(got); i++ {
				if got[i].LastActivityAt.Before(got[i-1].LastActivityAt) {
					t.Errorf("InactiveSince(limit %d): %s (%s) after %s (%s), want oldest first", limit,
						got[i].ID, got[i].LastActivityAt, got[i-1].ID, got[i-1].LastActivityAt)
				}
			}
		}
	}

	t.Run("only leads inactive before t", func(t *testing.T) {
		check(t, leads[:5])
	})
	t.Run("a lead active again leaves, an older one joins", func(t *testing.T) {
		leads[1].LastActivityAt = days(0).Add(time.Hour)
		update(t, s, leads[1])
		leads[6].LastActivityAt = days(-300)
		update(t, s, leads[6])
		check(t, []*lead.Lead{leads[6], leads[0], leads[2], leads[3], leads[4]})
	})
}

func testScanLeads(t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	const n = 30
	var want []string
	for i := range n {
		l := sampleLead(i)
		create(t, s, l)
		want = append(want, l.ID)
	}

	t.Run("visits every lead once", func(t *testing.T) {
		var got []string
		err := s.ScanLeads(t.Context(), func(l *lead.Lead) error {
			got = append(got, l.ID)
			return nil
		})
		if err != nil {
			t.Fatalf("ScanLeads: %v", err)
		}
		if diff := cmp.Diff(want, slices.Sorted(slices.Values(got))); diff != "" {
			t.Errorf("leads visited (-want +got):\n%s", diff)
		}
	})

	t.Run("stops at the callback's error", func(t *testing.T) {
		errStop := errors.New("stop")
		calls := 0
		err := s.ScanLeads(t.Context(), func(*lead.Lead) error {
			calls++
			return errStop
		})
		if !errors.Is(err, errStop) || calls != 1 {
			t.Errorf("ScanLeads = %v after %d calls, want the callback's error after 1", err, calls)
		}
	})
}
