package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/leadflow/leadflow/shared/history"
	"github.com/leadflow/leadflow/shared/history/mappingfile"
	"github.com/leadflow/leadflow/shared/lead"
)

func TestAUC(t *testing.T) {
	tests := []struct {
		name   string
		scores []float64
		won    []bool
		want   float64
		wantOK bool
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1, true},
		{"inverted", []float64{0.9, 0.8, 0.2, 0.1}, []bool{false, false, true, true}, 0, true},
		// Pairs (won, lost): (0.35,0.1)=1 (0.35,0.4)=0 (0.8,0.1)=1 (0.8,0.4)=1 → 3/4.
		{"one swapped pair", []float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}, 0.75, true},
		// Won {2,3}, lost {1,2}: 1 + ½ (the tie) + 1 + 1 = 3.5 of 4 pairs.
		{"tie counts half", []float64{1, 2, 2, 3}, []bool{false, true, false, true}, 0.875, true},
		{"all tied", []float64{5, 5, 5}, []bool{true, false, false}, 0.5, true},
		{"no lost", []float64{1, 2}, []bool{true, true}, 0, false},
		{"empty", nil, nil, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := AUC(tc.scores, tc.won)
			if ok != tc.wantOK || math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("AUC = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestChooseCutoff(t *testing.T) {
	p := []float64{0.1, 0.2, 0.3, 0.6, 0.7, 0.9}
	won := []bool{false, false, true, false, true, true}
	tests := []struct {
		rule string
		want float64
	}{
		// Accuracy: at 0.65 five of six are right, the best any threshold does.
		{CutoffAccuracy, 0.65},
		// Youden: 0.25 gives sensitivity 1, specificity 2/3 (J = 2/3); 0.65
		// gives 2/3 and 1 — equal, and the higher threshold is kept.
		{CutoffYouden, 0.65},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			if got := chooseCutoff(p, won, tc.rule); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("chooseCutoff = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestConfusion(t *testing.T) {
	got := confusion([]float64{0.2, 0.5, 0.7, 0.4}, []bool{false, true, false, true}, 0.5)
	want := Metrics{N: 4, Won: 2, Cutoff: 0.5, Accuracy: 0.5, Sensitivity: 0.5, Specificity: 0.5}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("confusion (-want +got):\n%s", diff)
	}
}

const synthMapping = `
outcome: {column: won, won: ["1"], lost: ["0"]}
source: {column: source}
signals:
  minutes: {column: minutes, bins: [5, 30], required: true}
categoricals:
  origin: {column: origin, min_count: 5}
interactions:
  origin_by_minutes: {of: [origin, minutes]}
model: {l2: 1, cutoff: accuracy}
`

// synthetic generates n leads whose conversion follows a known logistic
// model, from a fixed seed.
func synthetic(t testing.TB, n int) *history.Dataset {
	t.Helper()
	m, err := mappingfile.Parse("synth.yaml", []byte(synthMapping))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	origins := []string{"form", "api", "import", "chat"}
	boost := map[string]float64{"form": 2, "api": -0.5, "import": -1.5, "chat": 0}
	sources := []string{"google", "direct", "reference"}
	var b strings.Builder
	b.WriteString("won,source,minutes,origin\n")
	for range n {
		origin := origins[rng.IntN(len(origins))]
		source := sources[rng.IntN(len(sources))]
		minutes := ""
		eta := boost[origin] - 0.5
		if rng.Float64() > 0.1 {
			x := math.Floor(rng.ExpFloat64() * 20)
			minutes = strconv.FormatFloat(x, 'f', -1, 64)
			eta += 0.8 * (math.Log1p(x) - 2.5)
		}
		if source == "reference" {
			eta += 1
		}
		won := "0"
		if rng.Float64() < 1/(1+math.Exp(-eta)) {
			won = "1"
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", won, source, minutes, origin)
	}
	ds, err := history.Read(strings.NewReader(b.String()), "synth.csv", m)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

var fixedNow = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func TestTrainDeterministicAndRoundTrips(t *testing.T) {
	ds := synthetic(t, 3000)
	m1, met, err := Train(ds, Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	m2, _, err := Train(ds, Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	j1, _ := json.Marshal(m1)
	j2, _ := json.Marshal(m2)
	if !bytes.Equal(j1, j2) {
		t.Fatal("two trainings on the same data differ")
	}
	if met.AUC < 0.75 || met.N != 3000 || m1.DataSHA256 != ds.SHA256 || m1.Iterations < 2 {
		t.Errorf("training metrics %+v, hash %q, iterations %d", met, m1.DataSHA256, m1.Iterations)
	}

	path := filepath.Join(t.TempDir(), "model.json")
	if err := m1.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ds.Records[:50] {
		p1, c1 := m1.Predict(r.Features)
		p2, c2 := loaded.Predict(r.Features)
		if p1 != p2 || !cmp.Equal(c1, c2) {
			t.Fatalf("line %d: prediction %v %v after reload, want %v %v", r.Line, p2, c2, p1, c1)
		}
	}
}

// TestTrainRecoversModel checks the optimiser against the generating model:
// on enough data the fitted probabilities track the true ones.
func TestTrainRecoversModel(t *testing.T) {
	ds := synthetic(t, 20000)
	m, _, err := Train(ds, Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	pForm, _ := m.Predict(history.Features{Numeric: map[string]float64{"minutes": 20}, Categorical: map[string]string{"origin": "form", "source": "direct"}})
	pImport, _ := m.Predict(history.Features{Numeric: map[string]float64{"minutes": 20}, Categorical: map[string]string{"origin": "import", "source": "direct"}})
	truth := func(boost float64) float64 { return 1 / (1 + math.Exp(-(boost - 0.5 + 0.8*(math.Log1p(20)-2.5)))) }
	if math.Abs(pForm-truth(2)) > 0.05 || math.Abs(pImport-truth(-1.5)) > 0.05 {
		t.Errorf("p(form) = %.3f want %.3f; p(import) = %.3f want %.3f", pForm, truth(2), pImport, truth(-1.5))
	}
}

func TestPredictContributions(t *testing.T) {
	m, _, err := Train(synthetic(t, 3000), Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	_, contribs := m.Predict(history.Features{Numeric: map[string]float64{"minutes": 12}, Categorical: map[string]string{"origin": "form", "source": "reference"}})
	if len(contribs) == 0 {
		t.Fatal("no contributions")
	}
	for i := 1; i < len(contribs); i++ {
		if math.Abs(contribs[i].Weight) > math.Abs(contribs[i-1].Weight) {
			t.Fatalf("contributions not in decreasing magnitude: %+v", contribs)
		}
	}
	byFeature := map[string]Contribution{}
	for _, c := range contribs {
		byFeature[c.Feature] = c
	}
	if c := byFeature["origin"]; c.Value != "form" || c.Weight < 0.5 || !strings.HasPrefix(c.Code(), "model:origin=form +") {
		t.Errorf("origin contribution %+v (code %q), want form strongly positive", c, c.Code())
	}
	if c := byFeature["source"]; c.Value != "reference" || c.Weight < 0.3 {
		t.Errorf("source contribution %+v, want reference positive", c)
	}
	if c := byFeature["origin_by_minutes"]; c.Weight != 0 && c.Value != "form & [5,30)" {
		t.Errorf("interaction value %q, want %q", c.Value, "form & [5,30)")
	}
}

func TestMissingRequired(t *testing.T) {
	m, _, err := Train(synthetic(t, 500), Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    history.Features
		want []string
	}{
		{"present", history.Features{Numeric: map[string]float64{"minutes": 3}}, nil},
		{"absent", history.Features{}, []string{"minutes"}},
		{"NaN", history.Features{Numeric: map[string]float64{"minutes": math.NaN()}}, []string{"minutes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, m.MissingRequired(tc.f)); diff != "" {
				t.Errorf("MissingRequired (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTrainRejectsOneClass(t *testing.T) {
	m, err := mappingfile.Parse("m.yaml", []byte("outcome: {column: won, won: [\"1\"], lost: [\"0\"]}\ncategoricals: {a: {column: a}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := history.Read(strings.NewReader("won,a\n1,x\n1,y\n"), "one.csv", m)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Train(ds, Options{}); !lead.IsCode(err, lead.EINVALID) {
		t.Errorf("Train on one class: %v, want EINVALID", err)
	}
	if _, err := CrossValidate(ds, 5, DefaultSeed, Options{}); !lead.IsCode(err, lead.EINVALID) {
		t.Errorf("CrossValidate on one class: %v, want EINVALID", err)
	}
}

func TestLoadModelRejectsBadFiles(t *testing.T) {
	m, _, err := Train(synthetic(t, 500), Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	good, _ := json.Marshal(m)
	tests := []struct {
		name   string
		mutate func(map[string]any)
	}{
		{"version", func(v map[string]any) { v["version"] = 99 }},
		{"coefficients", func(v map[string]any) { v["coefficients"] = []float64{1, 2} }},
		{"unknown kind", func(v map[string]any) { v["transforms"].([]any)[0].(map[string]any)["kind"] = "text" }},
		{"unsorted levels", func(v map[string]any) {
			v["transforms"].([]any)[0].(map[string]any)["levels"] = []string{"z", "a"}
		}},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v map[string]any
			if err := json.Unmarshal(good, &v); err != nil {
				t.Fatal(err)
			}
			tc.mutate(v)
			data, _ := json.Marshal(v)
			path := filepath.Join(dir, tc.name+".json")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadModel(path); !lead.IsCode(err, lead.EINVALID) {
				t.Errorf("LoadModel: %v, want EINVALID", err)
			}
		})
	}
}

func TestEvaluateRequiresModelFeatures(t *testing.T) {
	m, _, err := Train(synthetic(t, 500), Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	other, err := mappingfile.Parse("o.yaml", []byte("outcome: {column: won, won: [\"1\"], lost: [\"0\"]}\nsource: {column: source}\ncategoricals: {origin: {column: origin}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := history.Read(strings.NewReader("won,source,origin\n1,google,form\n0,direct,api\n"), "o.csv", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Evaluate(ds); !lead.IsCode(err, lead.EINVALID) || !strings.Contains(err.Error(), "minutes") {
		t.Errorf("Evaluate with a mapping lacking minutes: %v, want EINVALID naming it", err)
	}
}

func TestCrossValidateDeterministic(t *testing.T) {
	ds := synthetic(t, 2000)
	a, err := CrossValidate(ds, 5, DefaultSeed, Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	b, err := CrossValidate(ds, 5, DefaultSeed, Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("cross-validation differs between runs:\n%s", diff)
	}
	if a.Mean.N != 2000 || len(a.Folds) != 5 {
		t.Errorf("folds %d, n %d; want 5 folds over 2000", len(a.Folds), a.Mean.N)
	}
}
