package pipeline_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/configfile"
	"github.com/leadflow/leadflow/shared/embedded"
	"github.com/leadflow/leadflow/shared/ids"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
)

// racingStore lets another handler run at the worst moment: right after a
// scorer has read the lead's activities, it calls interleave once.
type racingStore struct {
	pipeline.Store
	fired      atomic.Bool
	interleave func()
}

func (s *racingStore) Activities(ctx context.Context, leadID string) ([]lead.Activity, error) {
	acts, err := s.Store.Activities(ctx, leadID)
	if !s.fired.Swap(true) {
		s.interleave()
	}
	return acts, err
}

type discard struct{}

func (discard) Publish(context.Context, ...events.Envelope) error { return nil }

type frozen struct{ t time.Time }

func (c frozen) Now() time.Time { return c.t }

// TestScoreDoesNotOverwriteANewerScoreWithStaleActivities is the race the
// soak found: two score deliveries of one lead, the first reading the
// activities before an event lands and writing after the second has scored
// the event. The lead must end with the score of every activity.
func TestScoreDoesNotOverwriteANewerScoreWithStaleActivities(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)
	cfg, err := configfile.Default(celrules.Compile)
	if err != nil {
		t.Fatal(err)
	}
	db, err := embedded.Open(filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := &racingStore{Store: db}
	clock := frozen{now}
	svc := &pipeline.Service{
		Rules: pipeline.Rules{Version: cfg.Version, Scorer: cfg.Scoring, Router: cfg.Routing},
		Store: st, Publisher: discard{}, Clock: clock, IDs: ids.Generator{Clock: clock},
	}
	l := &lead.Lead{ID: "L1", Email: "race@contoso-cloud.com", Stage: lead.StageNew, CreatedAt: now}
	if err := db.CreateLead(ctx, l); err != nil {
		t.Fatal(err)
	}
	open := lead.Activity{LeadID: "L1", ID: "a1", Type: lead.ActivityEmailOpen, OccurredAt: now.Add(-time.Hour)}
	click := lead.Activity{LeadID: "L1", ID: "a2", Type: lead.ActivityEmailClick, OccurredAt: now.Add(-time.Minute)}
	if _, err := db.AddActivity(ctx, open); err != nil {
		t.Fatal(err)
	}
	st.interleave = func() {
		// The click lands as RecordEvents stores it (activity, then the
		// lead), and its own score delivery runs to the end.
		if _, err := db.AddActivity(ctx, click); err != nil {
			t.Error(err)
		}
		cur, err := db.GetLead(ctx, "L1")
		if err != nil {
			t.Error(err)
			return
		}
		cur.LastActivityAt = click.OccurredAt
		if err := db.UpdateLead(ctx, cur); err != nil {
			t.Error(err)
		}
		if err := svc.Score(ctx, "L1", ""); err != nil {
			t.Error(err)
		}
	}
	if err := svc.Score(ctx, "L1", ""); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetLead(ctx, "L1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Score.Intent != 7 {
		t.Fatalf("intent %g (reasons %v), want 7: the open and the click", got.Score.Intent, got.Score.Reasons)
	}
}
