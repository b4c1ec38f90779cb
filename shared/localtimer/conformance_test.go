package localtimer_test

import (
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/localtimer"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/timertest"
)

// TestConformance runs the Scheduler conformance suite on the local timers,
// on a manual clock that never reaches the timers' time.
func TestConformance(t *testing.T) {
	timertest.Run(t, func(t *testing.T) timertest.Timers {
		clock := localtimer.NewManualClock(time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC))
		tm, err := localtimer.Open(filepath.Join(t.TempDir(), "timers.db"), clock, localtimer.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tm.Close() })
		pending := func(_ *testing.T, want pipeline.Timer) (pipeline.Timer, bool) {
			for _, p := range tm.Pending(want.LeadID) {
				if p.Key == want.Key {
					return p, true
				}
			}
			return pipeline.Timer{}, false
		}
		return timertest.Timers{Scheduler: tm, Pending: pending}
	})
}
