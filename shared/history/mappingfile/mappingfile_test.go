package mappingfile

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/leadflow/leadflow/internal/repotest"
	"github.com/leadflow/leadflow/shared/history"
	"github.com/leadflow/leadflow/shared/lead"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // substrings, each expected in the error
	}{
		{"not yaml", "outcome: [", []string{"m.yaml", "not valid YAML"}},
		{"missing outcome", "source: {column: S}\n", []string{"m.yaml:1: mapping: outcome is required"}},
		{"unknown top-level key", "outcome: {column: C, won: [\"1\"], lost: [\"0\"]}\nsorce: {column: S}\n", []string{"m.yaml:2: mapping: unknown key \"sorce\""}},
		{"unknown nested key", "outcome: {column: C, won: [\"1\"], lost: [\"0\"]}\nsignals:\n  visits: {colum: V}\n", []string{"m.yaml:3: signals.visits: unknown key \"colum\"", "m.yaml:3: signals.visits: column is required"}},
		{"no won tokens", "outcome: {column: C, lost: [\"0\"]}\n", []string{"m.yaml:1: outcome: won and lost tokens are required"}},
		{"token in two lists", "outcome: {column: C, won: [\"1\"], lost: [\"1\"]}\n", []string{"token \"1\" is in more than one list"}},
		{"unknown role", "outcome: {column: C, won: [\"1\"], lost: [\"0\"]}\nfields:\n  job: {column: J, as: persone}\n", []string{"m.yaml:3: fields.job.as: unknown role \"persone\""}},
		{"bins not increasing", "outcome: {column: C, won: [\"1\"], lost: [\"0\"]}\nsignals:\n  t: {column: T, bins: [5, 1]}\n", []string{"m.yaml:3: signals.t.bins: edges must be strictly increasing"}},
		{"bad transform", "outcome: {column: C, won: [\"1\"], lost: [\"0\"]}\nsignals:\n  t: {column: T, transform: sqrt}\n", []string{"\"sqrt\" is not log1p or identity"}},
		{"duplicate feature", "outcome: {column: C, won: [\"1\"], lost: [\"0\"]}\nsignals:\n  t: {column: T}\ncategoricals:\n  t: {column: U}\n", []string{"m.yaml:5: feature \"t\" declared twice"}},
		{"interaction of unknown", "outcome: {column: C, won: [\"1\"], lost: [\"0\"]}\ncategoricals:\n  a: {column: A}\ninteractions:\n  x: {of: [a, b]}\n", []string{"m.yaml:5: interactions.x.of: unknown feature \"b\""}},
		{"interaction of unbinned", "outcome: {column: C, won: [\"1\"], lost: [\"0\"]}\nsignals:\n  t: {column: T}\ncategoricals:\n  a: {column: A}\ninteractions:\n  x: {of: [a, t]}\n", []string{"numeric feature \"t\" has no bins"}},
		{"bad l2", "outcome: {column: C, won: [\"1\"], lost: [\"0\"]}\nmodel: {l2: -1}\n", []string{"m.yaml:2: model.l2: must be positive"}},
		{"bad min count", "outcome: {column: C, won: [\"1\"], lost: [\"0\"]}\ncategoricals:\n  a: {column: A, min_count: zero}\n", []string{"\"zero\" is not a positive integer"}},
		{"wrong type", "outcome: {column: C, won: \"1\", lost: [\"0\"]}\n", []string{"m.yaml:1: outcome.won: expected a list"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(tc.yaml))
			if !lead.IsCode(err, lead.EINVALID) {
				t.Fatalf("ParseMapping: %v, want EINVALID", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestCheckHeader(t *testing.T) {
	const yaml = `outcome: {column: Converted, won: ["1"], lost: ["0"]}
source: {column: Lead Source}
categoricals:
  quality: {column: Lead Quality}
  origin: {column: Origin}
ignore: [Tags, Lead Quality, Nope]
`
	m, err := Parse("m.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	err = m.Check([]string{"Converted", "Lead Source", "Tags", "Lead Quality"})
	want := []string{
		"m.yaml:6: ignore: column \"Nope\" is not in the file",
		"m.yaml:4: categorical.quality: column \"Lead Quality\" is listed in ignore (it leaks the outcome) and must not be used",
		"m.yaml:5: categorical.origin: column \"Origin\" is not in the file",
	}
	if !lead.IsCode(err, lead.EINVALID) {
		t.Fatalf("Check: %v, want EINVALID", err)
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("Check errors (-want +got):\n%s", diff)
	}
}

const fullMapping = `id: {column: id}
created_at: {column: created, layout: "2006-01-02"}
outcome: {column: result, won: [won], lost: [lost], open: [pending]}
source: {column: src}
fields:
  job: {column: job, as: persona}
missing: ["Select"]
signals:
  visits: {column: visits, transform: identity}
categoricals:
  origin: {column: origin}
score: {column: score}
stage: {column: stage}
speed_to_lead: {column: stl, unit: minutes}
sla_breached: {column: sla}
`

func mustParse(t *testing.T, yaml string) *history.Mapping {
	t.Helper()
	m, err := Parse("m.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRead(t *testing.T) {
	const csv = "\ufeffid,created,result,src,job,visits,origin,score,stage,stl,sla\n" +
		"a,2025-01-15,won,google,Engineer,3,form,80,customer,2.5,no\n" +
		"b,2025-04-01,lost,Select, ,,api,12,closed_lost,,yes\n" +
		"c,,pending,direct,Select,0.5,,40,mql,300,\n"
	ds, err := history.Read(strings.NewReader(csv), "h.csv", mustParse(t, fullMapping))
	if err != nil {
		t.Fatal(err)
	}
	want := []history.Record{
		{Line: 2, ID: "a", Source: "google", Lead: map[string]string{"persona": "Engineer"},
			Features: history.Features{Numeric: map[string]float64{"visits": 3}, Categorical: map[string]string{"source": "google", "job": "Engineer", "origin": "form"}},
			Outcome:  history.OutcomeWon, CreatedAt: time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC),
			Score: 80, HasScore: true, Stage: "customer", SpeedToLead: 150 * time.Second, HasSpeedToLead: true, HasSLA: true},
		{Line: 3, ID: "b", Lead: map[string]string{},
			Features: history.Features{Numeric: map[string]float64{}, Categorical: map[string]string{"origin": "api"}},
			Outcome:  history.OutcomeLost, CreatedAt: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC),
			Score: 12, HasScore: true, Stage: "closed_lost", HasSLA: true, SLABreached: true},
		{Line: 4, ID: "c", Source: "direct", Lead: map[string]string{},
			Features: history.Features{Numeric: map[string]float64{"visits": 0.5}, Categorical: map[string]string{"source": "direct"}},
			Outcome:  history.OutcomeOpen, Score: 40, HasScore: true, Stage: "mql", SpeedToLead: 5 * time.Hour, HasSpeedToLead: true},
	}
	if diff := cmp.Diff(want, ds.Records); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(ds.SHA256) != 64 {
		t.Errorf("SHA256 %q, want 64 hex digits", ds.SHA256)
	}
	if got := len(ds.Closed()); got != 2 {
		t.Errorf("Closed() has %d records, want 2", got)
	}
}

func TestReadRowErrors(t *testing.T) {
	const csv = "id,created,result,src,job,visits,origin,score,stage,stl,sla\n" +
		"a,2025-01-15,won,google,Engineer,three,form,80,customer,2,no\n" +
		"b,15/01/2025,maybe,google,Engineer,3,form,x,customer,-1,perhaps\n" +
		"c,2025-01-15,won\n"
	_, err := history.Read(strings.NewReader(csv), "h.csv", mustParse(t, fullMapping))
	want := []string{
		`h.csv:2: column "visits": "three" is not a number`,
		`h.csv:3: column "result": "maybe" is not a won, lost or open token`,
		`h.csv:3: column "created": "15/01/2025" is not a time in layout "2006-01-02"`,
		`h.csv:3: column "score": "x" is not a number`,
		`h.csv:3: column "stl": -1 is not a duration in range`,
		`h.csv:3: column "sla": "perhaps" is neither a true nor a false token`,
		`h.csv:4: has 3 fields, the header has 11`,
	}
	if !lead.IsCode(err, lead.EINVALID) {
		t.Fatalf("Read: %v, want EINVALID", err)
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("row errors (-want +got):\n%s", diff)
	}
}

func TestLoadXEducation(t *testing.T) {
	root := repotest.Root(t)
	ds, err := LoadDataset(filepath.Join(root, "..", "shared", "data", "leads_x_education_train.csv"), filepath.Join(root, "examples", "xeducation", "mapping.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	won := 0
	for _, r := range ds.Records {
		if r.Outcome == history.OutcomeWon {
			won++
		}
	}
	if len(ds.Records) != 6424 || won != 2471 {
		t.Errorf("%d records, %d won; want 6424 and 2471", len(ds.Records), won)
	}
	for _, f := range ds.Mapping.Features {
		if f.Column == "Tags" || f.Column == "Lead Quality" {
			t.Errorf("feature %s uses the leaking column %q", f.Name, f.Column)
		}
	}
	names := make([]string, 0, len(ds.Mapping.Features))
	for _, f := range ds.Mapping.Features {
		names = append(names, f.Name)
	}
	for _, want := range []string{"source", "occupation", "visits", "time_on_site", "lead_origin"} {
		if !slices.Contains(names, want) {
			t.Errorf("shipped mapping lacks feature %q (has %v)", want, names)
		}
	}
	// "Select" means the visitor left the dropdown blank: it must read as missing.
	for _, r := range ds.Records {
		if slices.Contains([]string{r.Features.Categorical["specialization"], r.Lead["city"]}, "Select") {
			t.Fatalf("line %d keeps the Select token", r.Line)
		}
	}
}

func TestMappingDefaults(t *testing.T) {
	m := mustParse(t, "outcome: {column: C, won: [\"1\"], lost: [\"0\"]}\nsource: {column: S}\nsignals:\n  v: {column: V}\n")
	want := []history.FeatureSpec{
		{Name: "source", Kind: history.Categorical, Column: "S", MinCount: defaultMinLevelCount, Line: 2},
		{Name: "v", Kind: history.Numeric, Column: "V", Transform: history.Log1p, Line: 4},
	}
	if diff := cmp.Diff(want, m.Features, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("features (-want +got):\n%s", diff)
	}
	if m.Model.L2 != defaultL2 || m.Model.Cutoff != "accuracy" {
		t.Errorf("model options %+v, want the defaults", m.Model)
	}
}
