package config_test

import (
	"bytes"
	"fmt"
	"github.com/leadflow/leadflow/internal/repotest"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/configfile"
	"github.com/leadflow/leadflow/shared/history"
	"github.com/leadflow/leadflow/shared/history/mappingfile"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/model"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
)

// trainModel trains a model on a synthetic history where the source
// "Partner" and many visits convert, and saves it in dir.
func trainModel(t *testing.T, dir string) string {
	t.Helper()
	var csv strings.Builder
	csv.WriteString("id,source,visits,won\n")
	for i := range 400 {
		src := []string{"Partner", "Ads", "Organic"}[i%3]
		visits := i % 7
		won := (src == "Partner" && visits > 1) || (visits > 4 && i%5 != 0)
		fmt.Fprintf(&csv, "%d,%s,%d,%t\n", i, src, visits, won)
	}
	mp, err := mappingfile.Parse("m.yaml", []byte(`id: {column: id}
outcome: {column: won, won: ["true"], lost: ["false"]}
source: {column: source}
signals:
  visits: {column: visits, required: true}
model: {min_level_count: 5}
`))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := history.Read(strings.NewReader(csv.String()), "h.csv", mp)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := model.Train(ds, model.Options{Now: func() time.Time { return time.Unix(0, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.json")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// withModel writes the default config plus a model section into dir and
// parses it.
func withModel(t *testing.T, dir, section string) (*config.Config, error) {
	t.Helper()
	data := bytes.Replace(leadflow.DefaultConfig, []byte("\nrouting:"), []byte("\n"+section+"\nrouting:"), 1)
	// The default config's enrichment dataset resolves against the config's
	// directory.
	src, err := os.ReadFile(filepath.Join(repotest.Root(t), "examples", "companies.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "examples"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "examples", "companies.csv"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "leadflow.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return configfile.Load(path, celrules.Compile)
}

const modelSection = `model:
  file: model.json
  weight: 40
  top: 2
  features:
    source: lead.source
    visits: count(page_view)
`

func TestPredictedLayer(t *testing.T) {
	dir := t.TempDir()
	trainModel(t, dir)
	cfg, err := withModel(t, dir, modelSection)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := configfile.Default(celrules.Compile)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	views := func(n int) []lead.Activity {
		acts := make([]lead.Activity, n)
		for i := range acts {
			acts[i] = lead.Activity{ID: fmt.Sprint(i), Type: lead.ActivityPageView, URL: "https://x.example/blog", OccurredAt: now.Add(-time.Hour)}
		}
		return acts
	}
	l := &lead.Lead{ID: "l1", Email: "a@b.example", Source: "Partner", Stage: lead.StageNew}
	acts := views(3)

	rules := plain.Scoring.Score(l, nil, acts, now)
	got := cfg.Scoring.Score(l, nil, acts, now)
	p, contribs := cfg.Model.Model.Predict(history.Features{Numeric: map[string]float64{"visits": 3}, Categorical: map[string]string{"source": "Partner"}})
	wantPoints := math.Round(p*40*100) / 100
	if got.Predicted != wantPoints || got.Total != rules.Total+wantPoints {
		t.Errorf("predicted %v, total %v; want %v and %v + %v", got.Predicted, got.Total, wantPoints, rules.Total, wantPoints)
	}
	var codes []string
	var sum float64
	for _, r := range got.Reasons[len(rules.Reasons):] {
		codes = append(codes, r.Code)
		sum += r.Points
		if r.Layer != lead.LayerPredicted {
			t.Errorf("reason %s in layer %s, want predicted", r.Code, r.Layer)
		}
	}
	want := []string{"model", "model:" + contribs[0].Feature + "=" + contribs[0].Value, "model:" + contribs[1].Feature + "=" + contribs[1].Value}
	if diff := cmp.Diff(want, codes); diff != "" {
		t.Errorf("model reasons (-want +got):\n%s", diff)
	}
	if sum != got.Predicted {
		t.Errorf("model reasons sum to %v, want the predicted %v", sum, got.Predicted)
	}
	if !strings.Contains(strings.Join(codes, " "), "model:source=Partner") {
		t.Errorf("reasons %v do not name the source", codes)
	}
	if p < 0.5 {
		t.Errorf("p = %v for a partner lead with 3 visits, want the model to favour it", p)
	}
}

// TestModelGuardKeepsMissingRequiredFromSQL: a lead whose model points
// would lift it past sql, but whose prediction lacks a required feature,
// stops at mql (qualification); with the feature it reaches sql.
func TestModelGuardKeepsMissingRequiredFromSQL(t *testing.T) {
	dir := t.TempDir()
	trainModel(t, dir)
	// The model requires visits; here it is read from an extra, which a
	// lead may lack.
	cfg, err := withModel(t, dir, strings.Replace(modelSection, "visits: count(page_view)", "visits: lead.extras.visits", 1))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	// Fit 25 (icp_title 15 + icp_headcount 10) and intent 35 (webinar
	// 3×10 + one click 5): 60 from the rules, so sql (80) needs the model.
	base := lead.Lead{ID: "l1", Email: "vp@acme.example", Title: "VP Sales", Seniority: "vp", Function: "sales", Employees: 200, Source: "Partner", Stage: lead.StageNew}
	var acts []lead.Activity
	for i := range 3 {
		acts = append(acts, lead.Activity{ID: fmt.Sprint("w", i), Type: lead.ActivityWebinarAttended, OccurredAt: now.Add(-time.Hour)})
	}
	for i := range 1 {
		acts = append(acts, lead.Activity{ID: fmt.Sprint("c", i), Type: lead.ActivityEmailClick, OccurredAt: now.Add(-time.Hour)})
	}
	tests := []struct {
		name      string
		extras    map[string]string
		wantStage lead.Stage
		wantGuard bool
	}{
		{"required feature present", map[string]string{"visits": "6"}, lead.StageSQL, false},
		{"required feature missing", nil, lead.StageMQL, true},
		{"required feature not a number", map[string]string{"visits": "many"}, lead.StageMQL, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := base
			l.Extras = tc.extras
			s := cfg.Scoring.Score(&l, nil, acts, now)
			if math.Abs(s.Total-s.Predicted-60) > 1e-9 || s.Total < 80 {
				t.Fatalf("total %v with %v predicted; the case needs 60 from the rules and ≥ 80 in all", s.Total, s.Predicted)
			}
			guard := false
			for _, r := range s.Reasons {
				guard = guard || r.Code == scoring.CodeModelGuard
			}
			stage, cause := cfg.Scoring.NextStage(lead.StageNew, s, false, acts, now)
			if stage != tc.wantStage || guard != tc.wantGuard {
				t.Errorf("stage %s (%s), guard %v; want %s, guard %v", stage, cause, guard, tc.wantStage, tc.wantGuard)
			}
		})
	}
}

func TestModelSectionErrors(t *testing.T) {
	tests := []struct {
		name    string
		section string
		want    string
	}{
		{"missing file", "model:\n  weight: 10\n  features: {source: lead.source, visits: count(page_view)}\n", "file: missing"},
		{"unreadable file", "model:\n  file: nope.json\n  weight: 10\n", "cannot read nope.json"},
		{"zero weight", strings.Replace(modelSection, "weight: 40", "weight: 0", 1), "weight: must be a positive number"},
		{"unmapped feature", strings.Replace(modelSection, "    visits: count(page_view)\n", "", 1), `no source for the model's numeric feature "visits"`},
		{"unknown feature", modelSection + "    vists: count(page_view)\n", `the model has no feature "vists"`},
		{"unknown lead field", strings.Replace(modelSection, "lead.source", "lead.sauce", 1), `unknown lead field "sauce"`},
		{"text for a number", strings.Replace(modelSection, "count(page_view)", "lead.title", 1), `lead.title is text, but the model's feature "visits" is numeric`},
		{"unknown activity", strings.Replace(modelSection, "count(page_view)", "count(page_visit)", 1), `unknown activity type "page_visit"`},
		{"bad window", strings.Replace(modelSection, "count(page_view)", "count(page_view, 0d)", 1), `bad window "0d"`},
		{"unknown required", modelSection + "  required: [region]\n", `the model has no feature "region"`},
		{"bad expression", strings.Replace(modelSection, "count(page_view)", "visits * 2", 1), "is not lead.<field>"},
	}
	dir := t.TempDir()
	trainModel(t, dir)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := withModel(t, dir, tc.section)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), "leadflow.yaml:") {
				t.Errorf("error %v does not name the file and line", err)
			}
		})
	}
}

func TestNoModelLeavesScoresAlone(t *testing.T) {
	cfg, err := configfile.Default(celrules.Compile)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Model != nil {
		t.Fatal("the default config has a model")
	}
	s := cfg.Scoring.Score(&lead.Lead{ID: "l", Email: "a@b.example", Source: "Partner"}, nil, nil, time.Now())
	if s.Predicted != 0 {
		t.Errorf("predicted %v without a model", s.Predicted)
	}
}
