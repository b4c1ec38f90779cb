package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/leadflow/leadflow/shared/model"
)

// xeducationPaths returns the reference X Education file and the shipped
// mapping, found from the repository root (the directory holding go.mod).
func xeducationPaths(t *testing.T) (data, mapping string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = filepath.Dir(dir)
	}
	return filepath.Join(dir, "..", "shared", "data", "leads_x_education_train.csv"), filepath.Join(dir, "examples", "xeducation", "mapping.yaml")
}

// trainXEducation runs `model train` and returns the model path and output.
func trainXEducation(t *testing.T, extra ...string) (string, string) {
	t.Helper()
	data, mapping := xeducationPaths(t)
	out := filepath.Join(t.TempDir(), "model.json")
	var stdout, stderr bytes.Buffer
	args := append([]string{"train", "--data", data, "--map", mapping, "--out", out}, extra...)
	if code := runModel(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("model train exited %d: %s", code, stderr.String())
	}
	return out, stdout.String()
}

func TestModelTrainAndEval(t *testing.T) {
	path, out := trainXEducation(t, "--cv", "5")
	for _, want := range []string{"5-fold cross-validation", "fold 5", "mean    AUC 0.9", "training  AUC", "wrote " + path} {
		if !strings.Contains(out, want) {
			t.Errorf("train output lacks %q:\n%s", want, out)
		}
	}
	m, err := model.LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.CV == nil || m.CV.K != 5 || len(m.DataSHA256) != 64 {
		t.Errorf("saved model CV %+v, data hash %q", m.CV, m.DataSHA256)
	}
	for _, c := range m.Columns {
		if strings.Contains(c, "Tags") || strings.Contains(c, "Lead Quality") {
			t.Errorf("model column %q comes from a leaking column", c)
		}
	}

	data, mapping := xeducationPaths(t)
	var stdout, stderr bytes.Buffer
	if code := runModel(context.Background(), []string{"eval", "--model", path, "--data", data, "--map", mapping, "--format", "json"}, &stdout, &stderr); code != 0 {
		t.Fatalf("model eval exited %d: %s", code, stderr.String())
	}
	var got map[string]float64
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("eval JSON %q: %v", stdout.String(), err)
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if diff := cmp.Diff([]string{"accuracy", "auc", "n", "sensitivity", "specificity"}, keys); diff != "" {
		t.Errorf("eval JSON keys (-want +got):\n%s", diff)
	}
	// Evaluated on its own training data, the model matches its training metrics.
	want := map[string]float64{"auc": m.Training.AUC, "accuracy": m.Training.Accuracy, "sensitivity": m.Training.Sensitivity, "specificity": m.Training.Specificity, "n": float64(m.Training.N)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("eval metrics (-want +got):\n%s", diff)
	}

	stdout.Reset()
	if code := runModel(context.Background(), []string{"eval", "--model", path, "--data", data, "--map", mapping}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "AUC 0.") {
		t.Errorf("text eval exited %d: %q", code, stdout.String())
	}
}

func TestModelUsageErrors(t *testing.T) {
	data, mapping := xeducationPaths(t)
	dir := t.TempDir()
	badMap := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badMap, []byte("outcome: {column: Converted, won: [\"1\"], lost: [\"0\"]}\ncategoricals:\n  tags: {column: Tags}\nignore: [Tags]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"no subcommand", nil, 2, "usage:"},
		{"unknown subcommand", []string{"fit"}, 2, `unknown subcommand "fit"`},
		{"train without out", []string{"train", "--data", data, "--map", mapping}, 2, "usage:"},
		{"one fold", []string{"train", "--data", data, "--map", mapping, "--out", filepath.Join(dir, "m.json"), "--cv", "1"}, 2, "usage:"},
		{"leaking column", []string{"train", "--data", data, "--map", badMap, "--out", filepath.Join(dir, "m.json")}, 1, `bad.yaml:3: categorical.tags: column "Tags" is listed in ignore`},
		{"missing model", []string{"eval", "--model", filepath.Join(dir, "none.json"), "--data", data, "--map", mapping}, 1, "load model"},
		{"bad format", []string{"eval", "--model", "m.json", "--data", data, "--map", mapping, "--format", "xml"}, 2, "usage:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := runModel(context.Background(), tc.args, &stdout, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.inStderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tc.code, tc.inStderr)
			}
		})
	}
}
