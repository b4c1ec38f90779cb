package replay_test

import (
	"bytes"
	"context"
	"fmt"
	"github.com/leadflow/leadflow/internal/repotest"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/configfile"
	"github.com/leadflow/leadflow/shared/embedded"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/replay"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
)

// at is the clock of every replay in these tests.
var at = time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)

// repoRoot walks up from the test's directory to go.mod: configs resolve
// their datasets against it.

// variant parses the default config with some text replaced; each old
// string must occur exactly once.
func variant(tb testing.TB, version string, replace ...string) *config.Config {
	tb.Helper()
	data := bytes.Replace(leadflow.DefaultConfig, []byte(`version: "2025.06-reference"`), []byte(`version: "`+version+`"`), 1)
	for i := 0; i+1 < len(replace); i += 2 {
		if n := bytes.Count(data, []byte(replace[i])); n != 1 {
			tb.Fatalf("%q occurs %d times in the default config", replace[i], n)
		}
		data = bytes.Replace(data, []byte(replace[i]), []byte(replace[i+1]), 1)
	}
	c, err := configfile.Parse(filepath.Join(repotest.Root(tb), version+".yaml"), data, celrules.Compile)
	if err != nil {
		tb.Fatalf("parse %s: %v", version, err)
	}
	return c
}

var (
	titles     = []string{"VP Sales", "Head of Marketing", "Director of Revenue Operations", "Software Engineer", "CEO", "Growth Manager", "Account Executive", ""}
	industries = []string{"software", "saas", "fintech", "retail", "manufacturing", ""}
	pages      = []string{"https://example.com/pricing", "https://example.com/demo", "https://example.com/blog/x", "https://example.com/"}
)

// genLeads makes n reproducible leads with activities spread over the last
// 100 days before at. Emails share 50 company domains, so accounts repeat.
func genLeads(tb testing.TB, n int, seed uint64) []replay.Item {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	items := make([]replay.Item, n)
	for i := range items {
		fields := map[string]string{
			"email":     fmt.Sprintf("p%d@co%d.example.com", i, i%50),
			"title":     titles[rng.IntN(len(titles))],
			"employees": fmt.Sprint([]int{10, 80, 400, 3000, 20000}[rng.IntN(5)]),
			"industry":  industries[rng.IntN(len(industries))],
			"country":   []string{"US", "DE", "GB", "FR"}[rng.IntN(4)],
		}
		l, err := lead.Parse(fields)
		if err != nil {
			tb.Fatalf("lead %d: %v", i, err)
		}
		l.ID = fmt.Sprintf("l%06d", i)
		l.Source, l.CreatedAt, l.UpdatedAt, l.LastActivityAt = "web_form", at.AddDate(0, 0, -120), at, at
		var acts []lead.Activity
		for j := range rng.IntN(20) {
			a := lead.Activity{ID: fmt.Sprintf("a%d", j), LeadID: l.ID, OccurredAt: at.Add(-time.Duration(rng.IntN(70*24)) * time.Hour)}
			switch k := rng.IntN(10); {
			case k < 3:
				a.Type = lead.ActivityEmailOpen
			case k < 5:
				a.Type = lead.ActivityEmailClick
			case k < 8:
				a.Type, a.URL = lead.ActivityPageView, pages[rng.IntN(len(pages))]
			case k < 9:
				a.Type = lead.ActivityWebinarAttended
			default:
				a.Type, a.Form = lead.ActivityFormSubmit, []string{"demo-request", "contact-us"}[rng.IntN(2)]
			}
			acts = append(acts, a)
		}
		items[i] = replay.Item{Lead: l, Activities: acts}
	}
	return items
}

// settle gives each lead the score cfg computes at the clock and a stored
// stage: every tenth a customer, every tenth a closed_lost, every fifth the
// stage the pipeline would have set from new, the rest still new (as
// imported leads are before their first scoring).
func settle(items []replay.Item, cfg *config.Config) {
	for i, it := range items {
		l := it.Lead
		l.Score = cfg.Scoring.Score(l, nil, it.Activities, at)
		switch i % 10 {
		case 0:
			l.Stage, l.Outcome = lead.StageCustomer, "closed_won"
		case 1:
			l.Stage, l.Outcome = lead.StageClosedLost, "closed_lost"
		case 2, 7:
			l.Stage, _ = cfg.Scoring.NextStage(lead.StageNew, l.Score, false, it.Activities, at)
		default:
			l.Stage = lead.StageNew
		}
	}
}

// storeOf imports the items into an embedded store in a temp dir with
// workers concurrent writers: more writers share more of each commit.
func storeOf(tb testing.TB, items []replay.Item, workers int) *embedded.Store {
	tb.Helper()
	st, err := embedded.Open(filepath.Join(tb.TempDir(), "store.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	res, err := replay.Import(context.Background(), st, items, workers)
	if err != nil {
		tb.Fatal(err)
	}
	if res.Created != len(items) {
		tb.Fatalf("imported %d leads, want %d", res.Created, len(items))
	}
	return st
}
