// Package timertest is the conformance suite of the Scheduler port. Every
// adapter runs it unchanged: the local timers, Step Functions and
// EventBridge Scheduler on moto.
package timertest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// Timers is one adapter under test, with timers no other test uses.
type Timers struct {
	Scheduler pipeline.Scheduler
	// Pending returns the timer waiting under tm.Key (tm names its kind and
	// lead), or false when none waits: never scheduled, or cancelled.
	Pending func(t *testing.T, tm pipeline.Timer) (pipeline.Timer, bool)
	// ReusesKeys is set for an adapter that forgets a cancelled key, so that
	// scheduling it again starts a new timer; the others keep a used key
	// used, as Step Functions keeps execution names.
	ReusesKeys bool
}

// Run runs every conformance test; open returns a fresh Timers for one test.
func Run(t *testing.T, open func(t *testing.T) Timers) {
	t.Run("ScheduleKeepsTheTimer", func(t *testing.T) { keeps(t, open(t)) })
	t.Run("ScheduleIsIdempotentByKey", func(t *testing.T) { idempotent(t, open(t)) })
	t.Run("CancelStopsOnlyItsTimer", func(t *testing.T) { cancel(t, open(t)) })
	t.Run("CancelUnknownKey", func(t *testing.T) { cancelUnknown(t, open(t)) })
	t.Run("ScheduleAfterCancel", func(t *testing.T) { afterCancel(t, open(t)) })
	t.Run("ScheduleRejectsIncompleteTimers", func(t *testing.T) { rejects(t, open(t)) })
}

// due is far enough ahead that no adapter fires it during a test.
var due = time.Date(2030, 3, 14, 14, 26, 53, 0, time.FixedZone("CET", 3600))

func sla(key, leadID string) pipeline.Timer {
	return pipeline.Timer{Key: key, Kind: pipeline.TimerSLA, LeadID: leadID, At: due, Data: "warn"}
}

func schedule(t *testing.T, s Timers, tms ...pipeline.Timer) {
	t.Helper()
	for _, tm := range tms {
		if err := s.Scheduler.Schedule(t.Context(), tm); err != nil {
			t.Fatalf("Schedule(%s): %v", tm.Key, err)
		}
	}
}

// expect checks that want waits under its key, or, when pending is false,
// that nothing does.
func expect(t *testing.T, s Timers, want pipeline.Timer, pending bool) {
	t.Helper()
	got, ok := s.Pending(t, want)
	switch {
	case ok != pending:
		t.Errorf("timer %s pending = %v, want %v", want.Key, ok, pending)
	case ok:
		// The instant matters, not the zone it was given in.
		if diff := cmp.Diff(want, got, cmp.Comparer(time.Time.Equal)); diff != "" {
			t.Errorf("timer %s (-want +got):\n%s", want.Key, diff)
		}
	}
}

func keeps(t *testing.T, s Timers) {
	warn := sla("sla-lead-1-4h", "lead-1")
	touch := pipeline.Timer{Key: "nurture-lead-1-0", Kind: pipeline.TimerNurture, LeadID: "lead-1", At: due.Add(24 * time.Hour), Data: `{"step":0}`}
	schedule(t, s, warn, touch)
	expect(t, s, warn, true)
	expect(t, s, touch, true)
}

func idempotent(t *testing.T, s Timers) {
	first := sla("sla-lead-2-4h", "lead-2")
	again := first
	again.Data, again.At = "reassign", due.Add(time.Hour)
	schedule(t, s, first, again, first)
	expect(t, s, first, true)
}

func cancel(t *testing.T, s Timers) {
	gone, kept := sla("sla-lead-3-4h", "lead-3"), sla("sla-lead-3-24h", "lead-3")
	schedule(t, s, gone, kept)
	for range 2 {
		if err := s.Scheduler.Cancel(t.Context(), gone.Key); err != nil {
			t.Fatalf("Cancel(%s): %v", gone.Key, err)
		}
	}
	expect(t, s, gone, false)
	expect(t, s, kept, true)
}

func cancelUnknown(t *testing.T, s Timers) {
	if err := s.Scheduler.Cancel(t.Context(), "sla-never-scheduled"); err != nil {
		t.Errorf("Cancel of an unknown key = %v, want nil", err)
	}
}

func afterCancel(t *testing.T, s Timers) {
	tm := sla("sla-lead-4-4h", "lead-4")
	schedule(t, s, tm)
	if err := s.Scheduler.Cancel(t.Context(), tm.Key); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	schedule(t, s, tm)
	expect(t, s, tm, s.ReusesKeys)
}

func rejects(t *testing.T, s Timers) {
	complete := sla("sla-lead-5-4h", "lead-5")
	tests := []struct {
		field string
		edit  func(*pipeline.Timer)
	}{
		{"key", func(tm *pipeline.Timer) { tm.Key = "" }},
		{"kind", func(tm *pipeline.Timer) { tm.Kind = "" }},
		{"at", func(tm *pipeline.Timer) { tm.At = time.Time{} }},
	}
	for _, tc := range tests {
		t.Run("no "+tc.field, func(t *testing.T) {
			tm := complete
			tc.edit(&tm)
			err := s.Scheduler.Schedule(t.Context(), tm)
			var e *lead.Error
			if !errors.As(err, &e) || e.Code != lead.EINVALID || e.Field != tc.field {
				t.Errorf("Schedule = %v, want %s on field %s", err, lead.EINVALID, tc.field)
			}
			if tm.Key != "" {
				expect(t, s, tm, false)
			}
		})
	}
}
