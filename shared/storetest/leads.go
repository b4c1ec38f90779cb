package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

func testCreateLead(t *testing.T, newStore newStoreFunc) {
	t.Run("stores version 1 and round-trips every field", func(t *testing.T) {
		s := newStore(t)
		l := routed(sampleLead(1), "rep-ana", lead.StageSQL, 81.25)
		l.Touches = []lead.Touch{{Cadence: "mql-warmup", Step: 1, Channel: "email", Template: "welcome", At: base}}
		l.ContactedAt = base.Add(time.Hour)
		want := *l
		want.Version = 1
		create(t, s, l)
		if l.Version != 1 {
			t.Errorf("Version set on l = %d, want 1", l.Version)
		}
		if diff := cmp.Diff(&want, get(t, s, l.ID), equate); diff != "" {
			t.Errorf("GetLead after CreateLead (-want +got):\n%s", diff)
		}
		byEmail, err := s.LeadByEmail(t.Context(), l.Email)
		if err != nil {
			t.Fatalf("LeadByEmail: %v", err)
		}
		if diff := cmp.Diff(&want, byEmail, equate); diff != "" {
			t.Errorf("LeadByEmail after CreateLead (-want +got):\n%s", diff)
		}
	})

	tests := []struct {
		name   string
		second func(first *lead.Lead) *lead.Lead
	}{
		{"taken email conflicts", func(first *lead.Lead) *lead.Lead {
			l := sampleLead(2)
			l.Email = first.Email
			return l
		}},
		{"taken id conflicts", func(first *lead.Lead) *lead.Lead {
			l := sampleLead(2)
			l.ID = first.ID
			return l
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			first := sampleLead(1)
			create(t, s, first)
			second := tc.second(first)
			wantCode(t, "CreateLead", s.CreateLead(t.Context(), second), lead.ECONFLICT)

			// Nothing of the refused lead is written: neither its ID, nor its
			// email claim, nor any change to the first lead.
			if second.ID != first.ID {
				_, err := s.GetLead(t.Context(), second.ID)
				wantCode(t, "GetLead of the refused lead", err, lead.ENOTFOUND)
			}
			if second.Email != first.Email {
				_, err := s.LeadByEmail(t.Context(), second.Email)
				wantCode(t, "LeadByEmail of the refused lead", err, lead.ENOTFOUND)
			}
			if diff := cmp.Diff(first, get(t, s, first.ID), equate); diff != "" {
				t.Errorf("first lead changed (-want +got):\n%s", diff)
			}
			byEmail, err := s.LeadByEmail(t.Context(), first.Email)
			if err != nil {
				t.Fatalf("LeadByEmail(first): %v", err)
			}
			if byEmail.ID != first.ID {
				t.Errorf("email claim moved to %s, want %s", byEmail.ID, first.ID)
			}
		})
	}

	t.Run("one of racing creators of an email wins", func(t *testing.T) {
		s := newStore(t)
		const n = 10
		errs := make([]error, n)
		parallel(n, func(i int) {
			l := sampleLead(i)
			l.Email = "shared.inbox@analytical-engines.example"
			errs[i] = s.CreateLead(t.Context(), l)
		})
		winners := 0
		for i, err := range errs {
			switch lead.ErrorCode(err) {
			case "":
				winners++
			case lead.ECONFLICT:
			default:
				t.Errorf("creator %d: %v, want nil or ECONFLICT", i, err)
			}
		}
		if winners != 1 {
			t.Errorf("%d creators won, want exactly 1", winners)
		}
	})
}

func testGetLead(t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	create(t, s, sampleLead(1))
	_, err := s.GetLead(t.Context(), sampleLead(2).ID)
	wantCode(t, "GetLead(missing)", err, lead.ENOTFOUND)
	_, err = s.LeadByEmail(t.Context(), sampleLead(2).Email)
	wantCode(t, "LeadByEmail(missing)", err, lead.ENOTFOUND)
}

func testUpdateLead(t *testing.T, newStore newStoreFunc) {
	t.Run("increments the version and replaces the lead", func(t *testing.T) {
		s := newStore(t)
		l := sampleLead(1)
		create(t, s, l)
		for want := int64(2); want <= 3; want++ {
			l = get(t, s, l.ID)
			l.Stage = lead.StageSQL
			l.Score.Total += 10
			l.History = append(l.History, lead.Change{At: base.Add(time.Duration(want) * time.Minute), Kind: "score", Cause: "page views"})
			l.UpdatedAt = base.Add(time.Duration(want) * time.Minute)
			update(t, s, l)
			if l.Version != want {
				t.Errorf("Version set on l = %d, want %d", l.Version, want)
			}
			if diff := cmp.Diff(l, get(t, s, l.ID), equate); diff != "" {
				t.Errorf("GetLead after update to version %d (-want +got):\n%s", want, diff)
			}
		}
	})

	t.Run("a stale version conflicts and changes nothing", func(t *testing.T) {
		s := newStore(t)
		l := sampleLead(1)
		create(t, s, l)
		fresh := get(t, s, l.ID)
		fresh.Stage = lead.StageSQL
		update(t, s, fresh)

		stale := *l
		stale.Stage = lead.StageDisqualified
		wantCode(t, "UpdateLead(stale)", s.UpdateLead(t.Context(), &stale), lead.ECONFLICT)
		if diff := cmp.Diff(fresh, get(t, s, l.ID), equate); diff != "" {
			t.Errorf("stored lead after a stale update (-want +got):\n%s", diff)
		}
	})

	t.Run("a missing lead is not found", func(t *testing.T) {
		s := newStore(t)
		l := sampleLead(1)
		l.Version = 1
		wantCode(t, "UpdateLead(missing)", s.UpdateLead(t.Context(), l), lead.ENOTFOUND)
		_, err := s.GetLead(t.Context(), l.ID)
		wantCode(t, "GetLead after a failed update", err, lead.ENOTFOUND)
	})

	t.Run("one of racing updaters of a version wins", func(t *testing.T) {
		s := newStore(t)
		l := sampleLead(1)
		create(t, s, l)
		const n = 12
		errs := make([]error, n)
		parallel(n, func(i int) {
			mine := *l
			mine.Owner = fmt.Sprintf("rep-%02d", i)
			errs[i] = s.UpdateLead(t.Context(), &mine)
		})
		winner := -1
		for i, err := range errs {
			switch lead.ErrorCode(err) {
			case "":
				if winner >= 0 {
					t.Errorf("updaters %d and %d both won", winner, i)
				}
				winner = i
			case lead.ECONFLICT:
			default:
				t.Errorf("updater %d: %v, want nil or ECONFLICT", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no updater won")
		}
		got := get(t, s, l.ID)
		if want := fmt.Sprintf("rep-%02d", winner); got.Owner != want || got.Version != 2 {
			t.Errorf("stored owner %q version %d, want the winner's %q at version 2", got.Owner, got.Version, want)
		}
	})

	t.Run("retrying updaters lose no update", func(t *testing.T) {
		s := newStore(t)
		l := sampleLead(1)
		create(t, s, l)
		const n = 8
		parallel(n, func(i int) {
			for attempt := 0; attempt < 10*n; attempt++ {
				cur, err := s.GetLead(t.Context(), l.ID)
				if err != nil {
					t.Errorf("updater %d: GetLead: %v", i, err)
					return
				}
				cur.Extras[fmt.Sprintf("tag_%d", i)] = "seen"
				err = s.UpdateLead(t.Context(), cur)
				if err == nil {
					return
				}
				if !lead.IsCode(err, lead.ECONFLICT) {
					t.Errorf("updater %d: UpdateLead: %v", i, err)
					return
				}
			}
			t.Errorf("updater %d never won", i)
		})
		got := get(t, s, l.ID)
		if got.Version != n+1 {
			t.Errorf("version %d after %d updates, want %d", got.Version, n, n+1)
		}
		for i := range n {
			if got.Extras[fmt.Sprintf("tag_%d", i)] != "seen" {
				t.Errorf("update of updater %d was lost", i)
			}
		}
	})
}

func testDeleteLead(t *testing.T, newStore newStoreFunc) {
	t.Run("erases the lead, its email claim, activities and index entries", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		gone := routed(sampleLead(1), "rep-ana", lead.StageSQL, 90)
		kept := routed(sampleLead(2), "rep-ana", lead.StageSQL, 80)
		create(t, s, gone, kept)
		acts := []lead.Activity{
			{ID: "act-1", LeadID: gone.ID, Type: lead.ActivityPageView, OccurredAt: base, URL: "https://www.leadflow.example/pricing"},
			{ID: "act-2", LeadID: gone.ID, Type: lead.ActivityEmailOpen, OccurredAt: base.Add(time.Hour)},
			{ID: "act-1", LeadID: kept.ID, Type: lead.ActivityPageView, OccurredAt: base},
		}
		for _, a := range acts {
			addActivity(t, s, a, true)
		}
		// Idempotency records hold their lead's id as value.
		putOnce(t, s, "notified:"+gone.ID, gone.ID, time.Hour, gone.ID, true)
		putOnce(t, s, "notified:"+kept.ID, kept.ID, 0, kept.ID, true)

		if err := s.DeleteLead(ctx, gone.ID); err != nil {
			t.Fatalf("DeleteLead: %v", err)
		}
		_, err := s.GetLead(ctx, gone.ID)
		wantCode(t, "GetLead after delete", err, lead.ENOTFOUND)
		_, err = s.LeadByEmail(ctx, gone.Email)
		wantCode(t, "LeadByEmail after delete", err, lead.ENOTFOUND)
		if got := activities(t, s, gone.ID); len(got) != 0 {
			t.Errorf("Activities after delete = %v, want none", got)
		}
		if diff := cmp.Diff([]lead.Activity{acts[2]}, activities(t, s, kept.ID), equate); diff != "" {
			t.Errorf("activities of another lead (-want +got):\n%s", diff)
		}
		queue := ownerQueue(t, s, "rep-ana", 0)
		if diff := cmp.Diff([]string{kept.ID}, ids(queue)); diff != "" {
			t.Errorf("OwnerQueue after delete (-want +got):\n%s", diff)
		}
		inactive := allInactive(t, s, base.Add(1000*time.Hour), 10)
		if diff := cmp.Diff([]string{kept.ID}, ids(inactive)); diff != "" {
			t.Errorf("InactiveSince after delete (-want +got):\n%s", diff)
		}

		getOnce(t, s, "notified:"+gone.ID, "", false)
		getOnce(t, s, "notified:"+kept.ID, kept.ID, true)

		// The email and the activity IDs are free again.
		again := sampleLead(3)
		again.Email = gone.Email
		create(t, s, again)
		addActivity(t, s, lead.Activity{ID: "act-1", LeadID: gone.ID, Type: lead.ActivityPageView, OccurredAt: base}, true)
	})

	t.Run("a missing lead is not found", func(t *testing.T) {
		s := newStore(t)
		l := sampleLead(1)
		create(t, s, l)
		if err := s.DeleteLead(t.Context(), l.ID); err != nil {
			t.Fatalf("DeleteLead: %v", err)
		}
		wantCode(t, "DeleteLead twice", s.DeleteLead(t.Context(), l.ID), lead.ENOTFOUND)
		wantCode(t, "DeleteLead(never created)", s.DeleteLead(t.Context(), sampleLead(2).ID), lead.ENOTFOUND)
	})
}

// allInactive pages through InactiveSince(before) with limit, checking each
// page, and returns every lead in order.
func allInactive(t *testing.T, s pipeline.Store, before time.Time, limit int) []*lead.Lead {
	t.Helper()
	var all []*lead.Lead
	cursor := ""
	// A store may end on an empty page (DynamoDB returns a key when a page is
	// exactly full): only "" ends the paging.
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatalf("InactiveSince(limit %d): still paging after %d pages", limit, pages)
		}
		page, next, err := s.InactiveSince(t.Context(), before, cursor, limit)
		if err != nil {
			t.Fatalf("InactiveSince(cursor %q, limit %d): %v", cursor, limit, err)
		}
		if len(page) > limit {
			t.Errorf("InactiveSince(limit %d) returned %d leads", limit, len(page))
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		if next == cursor {
			t.Fatalf("InactiveSince returned its input cursor %q again", cursor)
		}
		cursor = next
	}
}

func ownerQueue(t *testing.T, s pipeline.Store, owner string, limit int) []*lead.Lead {
	t.Helper()
	q, err := s.OwnerQueue(t.Context(), owner, limit)
	if err != nil {
		t.Fatalf("OwnerQueue(%s, %d): %v", owner, limit, err)
	}
	return q
}
