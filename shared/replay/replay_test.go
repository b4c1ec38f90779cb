package replay_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/replay"
)

// crossing computes, from the stored scores alone, the leads a higher MQL
// threshold stops from reaching mql: not yet past engaged (the pipeline
// never moves a lead down), a stored total in [from, to), and no sql by
// the demo-request fast track (a demo_request reason with fit ≥ 15), which
// holds under both configs.
func crossing(items []replay.Item, from, to float64) []string {
	var ids []string
	for _, it := range items {
		l := it.Lead
		fastTrack := l.Score.Fit >= 15 && slices.ContainsFunc(l.Score.Reasons, func(r lead.Reason) bool { return r.Code == "demo_request" })
		if (l.Stage == lead.StageNew || l.Stage == lead.StageEngaged) && l.Score.Total >= from && l.Score.Total < to && !fastTrack {
			ids = append(ids, l.ID)
		}
	}
	return ids
}

func changedIDs(r *replay.Report) []string {
	ids := make([]string, len(r.Changes))
	for i, c := range r.Changes {
		ids[i] = c.LeadID
	}
	return ids
}

func TestRaisingMQLReportsExactlyTheLeadsThatCrossIt(t *testing.T) {
	current := variant(t, "current")
	candidate := variant(t, "mql70", "    mql: 60\n", "    mql: 70\n")
	items := genLeads(t, 600, 1)
	settle(items, current)
	want := crossing(items, 60, 70)
	if len(want) < 10 {
		t.Fatalf("only %d leads in [60, 70): the data does not exercise the threshold", len(want))
	}
	t.Logf("%d of %d leads cross the raised threshold", len(want), len(items))
	st := storeOf(t, items, 32)

	r, err := replay.Run(context.Background(), st, replay.Options{Current: current, Candidate: candidate, At: at})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, changedIDs(r)); diff != "" {
		t.Errorf("changed leads (-want +got):\n%s", diff)
	}
	for _, c := range r.Changes {
		if c.Before.Stage != lead.StageMQL || c.After.Stage.Rank() >= lead.StageMQL.Rank() || c.Before.Owner != c.After.Owner || len(c.Reasons) != 0 {
			t.Errorf("lead %s: %+v, want mql → below mql, same owner, same reasons", c.LeadID, c)
		}
	}
	if r.Rescored != 0 {
		t.Errorf("%d leads rescored, want 0: only a threshold changed", r.Rescored)
	}
	var mql replay.StageCount
	for _, s := range r.Stages {
		if s.Stage == lead.StageMQL {
			mql = s
		}
	}
	if mql.Before-mql.After != len(want) {
		t.Errorf("mql count %d → %d, want a drop of %d", mql.Before, mql.After, len(want))
	}
	if r.Audit.Before.Leads != len(items) || r.Audit.After.Leads != len(items) {
		t.Errorf("audit over %d and %d leads, want %d", r.Audit.Before.Leads, r.Audit.After.Leads, len(items))
	}
}

func TestReplayReportsReasonDiffsAndNewOwners(t *testing.T) {
	current := variant(t, "current")
	// Pricing worth 40: more leads reach sql and are routed.
	candidate := variant(t, "pricing40", "      points: 10\n      activity: activity.type == 'page_view' && url_path(activity.url).contains('/pricing')", "      points: 40\n      activity: activity.type == 'page_view' && url_path(activity.url).contains('/pricing')")
	items := genLeads(t, 300, 2)
	settle(items, current)
	r, err := replay.Run(context.Background(), replay.NewMemory(items), replay.Options{Current: current, Candidate: candidate, At: at})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Changes) == 0 {
		t.Fatal("no changes")
	}
	routed := 0
	for _, c := range r.Changes {
		if c.Before.Stage == c.After.Stage {
			continue // an owner moved by the rotation: other leads took turns
		}
		d := c.Reasons
		if len(d) != 1 || d[0].Code != "pricing_page" || d[0].Change != "changed" || d[0].After != 4*d[0].Before {
			t.Errorf("lead %s: reasons %+v, want pricing_page ×4", c.LeadID, d)
		}
		if c.After.Stage == lead.StageSQL {
			if c.After.Owner == "" || c.Before.Owner != "" {
				t.Errorf("lead %s: newly sql with owners %q → %q, want none → someone", c.LeadID, c.Before.Owner, c.After.Owner)
			}
			routed++
		}
	}
	t.Logf("%d changes, %d leads newly routed", len(r.Changes), routed)
	if routed == 0 {
		t.Error("no lead newly routed")
	}
}

func TestApplyWritesTheCandidateWithOptimisticConcurrency(t *testing.T) {
	current := variant(t, "current")
	candidate := variant(t, "mql70", "    mql: 60\n", "    mql: 70\n")
	items := genLeads(t, 200, 3)
	settle(items, current)
	st := storeOf(t, items, 32)
	ctx := context.Background()
	r, err := replay.Run(ctx, st, replay.Options{Current: current, Candidate: candidate, At: at})
	if err != nil {
		t.Fatal(err)
	}
	// The candidate's rules equal the current ones, so the stored scores
	// are the candidate's: only stages move.
	want := map[string]lead.Stage{}
	for _, it := range items {
		want[it.Lead.ID], _ = candidate.Scoring.NextStage(it.Lead.Stage, it.Lead.Score, false, it.Activities, at)
	}
	// One lead is changed behind the replay's back: Apply must leave it.
	raced := r.Changes[0].LeadID
	l, err := st.GetLead(ctx, raced)
	if err != nil {
		t.Fatal(err)
	}
	l.Extras = map[string]string{"note": "edited during the replay"}
	if err := st.UpdateLead(ctx, l); err != nil {
		t.Fatal(err)
	}
	want[raced] = l.Stage
	res, err := r.Apply(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{raced}, res.Conflicts); diff != "" {
		t.Errorf("conflicts (-want +got):\n%s", diff)
	}
	got := map[string]lead.Stage{}
	if err := st.ScanLeads(ctx, func(l *lead.Lead) error { got[l.ID] = l.Stage; return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored stages (-want +got):\n%s", diff)
	}
	again, err := replay.Run(ctx, st, replay.Options{Current: candidate, Candidate: candidate, At: at})
	if err != nil {
		t.Fatal(err)
	}
	res, err = again.Apply(ctx, st)
	if err != nil || res.Updated != 1 || len(res.Conflicts) != 0 {
		t.Errorf("second apply: %+v, %v; want only the raced lead updated", res, err)
	}
}
