package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

func testActivities(t *testing.T, newStore newStoreFunc) {
	t.Run("oldest first, ties by id", func(t *testing.T) {
		s := newStore(t)
		l := sampleLead(1)
		create(t, s, l)
		at := func(h int) time.Time { return base.Add(time.Duration(h) * time.Hour) }
		// Stored out of order; "act-b" and "act-c" share an instant.
		in := []lead.Activity{
			{ID: "act-d", LeadID: l.ID, Type: lead.ActivityMeetingBooked, OccurredAt: at(30), Properties: map[string]string{"calendar": "ana"}},
			{ID: "act-c", LeadID: l.ID, Type: lead.ActivityEmailClick, OccurredAt: at(5), URL: "https://www.leadflow.example/case-studies"},
			{ID: "act-a", LeadID: l.ID, Type: lead.ActivityFormSubmit, OccurredAt: at(0), Form: "demo-request"},
			{ID: "act-b", LeadID: l.ID, Type: lead.ActivityEmailOpen, OccurredAt: at(5)},
			{ID: "act-e", LeadID: l.ID, Type: lead.ActivityPageView, OccurredAt: at(2).Add(time.Millisecond), URL: "https://www.leadflow.example/pricing"},
		}
		for _, a := range in {
			addActivity(t, s, a, true)
		}
		want := []lead.Activity{in[2], in[4], in[3], in[1], in[0]}
		if diff := cmp.Diff(want, activities(t, s, l.ID), equate); diff != "" {
			t.Errorf("Activities (-want +got):\n%s", diff)
		}
	})

	t.Run("idempotent by lead and id", func(t *testing.T) {
		s := newStore(t)
		one, two := sampleLead(1), sampleLead(2)
		create(t, s, one, two)
		first := lead.Activity{ID: "evt-7f3a", LeadID: one.ID, Type: lead.ActivityPageView, OccurredAt: base, URL: "https://www.leadflow.example/pricing"}
		addActivity(t, s, first, true)

		// A redelivery, even with a different payload, keeps the first.
		redelivered := first
		redelivered.OccurredAt = base.Add(time.Hour)
		redelivered.Type = lead.ActivityEmailClick
		addActivity(t, s, redelivered, false)
		if diff := cmp.Diff([]lead.Activity{first}, activities(t, s, one.ID), equate); diff != "" {
			t.Errorf("Activities after a redelivery (-want +got):\n%s", diff)
		}

		// The same activity ID under another lead is another activity.
		other := first
		other.LeadID = two.ID
		addActivity(t, s, other, true)
		if diff := cmp.Diff([]lead.Activity{other}, activities(t, s, two.ID), equate); diff != "" {
			t.Errorf("Activities of the other lead (-want +got):\n%s", diff)
		}
	})

	t.Run("racing redeliveries store one", func(t *testing.T) {
		s := newStore(t)
		l := sampleLead(1)
		create(t, s, l)
		a := lead.Activity{ID: "evt-race", LeadID: l.ID, Type: lead.ActivityWebinarAttended, OccurredAt: base}
		const n = 10
		created := make([]bool, n)
		parallel(n, func(i int) {
			mine := a
			mine.Properties = map[string]string{"delivery": fmt.Sprint(i)}
			ok, err := s.AddActivity(t.Context(), mine)
			if err != nil {
				t.Errorf("AddActivity %d: %v", i, err)
			}
			created[i] = ok
		})
		winners := 0
		for _, ok := range created {
			if ok {
				winners++
			}
		}
		if got := activities(t, s, l.ID); winners != 1 || len(got) != 1 {
			t.Errorf("%d deliveries reported created and %d are stored, want 1 and 1", winners, len(got))
		}
	})

	t.Run("a lead without activities has none", func(t *testing.T) {
		s := newStore(t)
		l := sampleLead(1)
		create(t, s, l)
		if got := activities(t, s, l.ID); len(got) != 0 {
			t.Errorf("Activities = %v, want none", got)
		}
	})
}

func addActivity(t *testing.T, s pipeline.Store, a lead.Activity, wantCreated bool) {
	t.Helper()
	created, err := s.AddActivity(t.Context(), a)
	if err != nil {
		t.Fatalf("AddActivity(%s/%s): %v", a.LeadID, a.ID, err)
	}
	if created != wantCreated {
		t.Errorf("AddActivity(%s/%s) created = %t, want %t", a.LeadID, a.ID, created, wantCreated)
	}
}

func activities(t *testing.T, s pipeline.Store, leadID string) []lead.Activity {
	t.Helper()
	got, err := s.Activities(t.Context(), leadID)
	if err != nil {
		t.Fatalf("Activities(%s): %v", leadID, err)
	}
	return got
}
