package model

import (
	"github.com/leadflow/leadflow/internal/repotest"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/leadflow/leadflow/shared/history"
	"github.com/leadflow/leadflow/shared/history/mappingfile"
)

func loadXEducation(t testing.TB) *history.Dataset {
	t.Helper()
	root := repotest.Root(t)
	ds, err := mappingfile.LoadDataset(filepath.Join(root, "..", "shared", "data", "leads_x_education_train.csv"), filepath.Join(root, "examples", "xeducation", "mapping.yaml"))
	if err != nil {
		t.Fatalf("load X Education: %v", err)
	}
	return ds
}

// TestCrossValidateXEducation is the acceptance test of the predictive
// layer: without the leaking Tags and Lead Quality columns, deterministic
// 5-fold cross-validation reaches AUC ≥ 0.88 and accuracy ≥ 0.82.
func TestCrossValidateXEducation(t *testing.T) {
	ds := loadXEducation(t)
	res, err := CrossValidate(ds, 5, DefaultSeed, OptionsFor(ds.Mapping))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range res.Folds {
		t.Logf("fold %d: AUC %.4f accuracy %.4f sensitivity %.4f specificity %.4f cutoff %.3f n %d", i+1, f.AUC, f.Accuracy, f.Sensitivity, f.Specificity, f.Cutoff, f.N)
	}
	m := res.Mean
	t.Logf("5-fold mean: AUC %.4f accuracy %.4f sensitivity %.4f specificity %.4f n %d", m.AUC, m.Accuracy, m.Sensitivity, m.Specificity, m.N)
	if m.AUC < 0.88 || m.Accuracy < 0.82 {
		t.Errorf("5-fold mean AUC %.4f accuracy %.4f, want AUC >= 0.88 and accuracy >= 0.82", m.AUC, m.Accuracy)
	}
}

// BenchmarkTrain100k trains the shipped X Education mapping (15 features,
// interactions included) on 100,000 leads resampled from the file with a
// fixed seed; `make bench` reports the time of one full training.
func BenchmarkTrain100k(b *testing.B) {
	src := loadXEducation(b)
	rng := rand.New(rand.NewPCG(3, 4))
	ds := &history.Dataset{Mapping: src.Mapping, SHA256: src.SHA256, Records: make([]history.Record, 100000)}
	for i := range ds.Records {
		ds.Records[i] = src.Records[rng.IntN(len(src.Records))]
	}
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := Train(ds, OptionsFor(ds.Mapping)); err != nil {
			b.Fatal(err)
		}
	}
}
