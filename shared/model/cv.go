package model

import (
	"fmt"
	"math/rand/v2"

	"github.com/leadflow/leadflow/shared/history"
	"github.com/leadflow/leadflow/shared/lead"
)

// DefaultSeed is the fold-assignment seed the CLI and tests use, so that
// cross-validation figures are reproducible.
const DefaultSeed = 20240601

// CVResult is the outcome of k-fold cross-validation: each fold's metrics on
// its held-out records, at the cut-off chosen on that fold's training part,
// and their mean (N and Won are totals).
type CVResult struct {
	K     int       `json:"k"`
	Seed  uint64    `json:"seed"`
	Folds []Metrics `json:"folds"`
	Mean  Metrics   `json:"mean"`
}

// CrossValidate runs stratified k-fold cross-validation over the won and lost
// records of ds: records are shuffled per outcome by a PCG generator seeded
// with seed and dealt to folds in turn, so each fold keeps the base rate and
// the same seed gives the same folds. Transforms (standardisation, kept
// levels) are refitted on each training part, so nothing is learnt from the
// held-out fold. Returns EINVALID when k < 2 or a fold would lack won or
// lost records, and any error Train returns.
func CrossValidate(ds *history.Dataset, k int, seed uint64, opts Options) (CVResult, error) {
	if k < 2 {
		return CVResult{}, lead.Errorf(lead.EINVALID, "cross-validate: k is %d, want at least 2", k)
	}
	recs := ds.Closed()
	var won, lost []int
	for i, r := range recs {
		if r.Outcome == history.OutcomeWon {
			won = append(won, i)
		} else {
			lost = append(lost, i)
		}
	}
	if len(won) < k || len(lost) < k {
		return CVResult{}, lead.Errorf(lead.EINVALID, "cross-validate: %d won and %d lost records cannot fill %d folds", len(won), len(lost), k)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	fold := make([]int, len(recs))
	for _, class := range [][]int{won, lost} {
		rng.Shuffle(len(class), func(i, j int) { class[i], class[j] = class[j], class[i] })
		for j, i := range class {
			fold[i] = j % k
		}
	}
	res := CVResult{K: k, Seed: seed}
	for f := range k {
		var trainRecs, testRecs []history.Record
		for i, r := range recs {
			if fold[i] == f {
				testRecs = append(testRecs, r)
			} else {
				trainRecs = append(trainRecs, r)
			}
		}
		m, err := train(ds.Mapping.Features, trainRecs, opts)
		if err != nil {
			return CVResult{}, fmt.Errorf("cross-validate fold %d: %w", f+1, err)
		}
		met := m.measure(testRecs)
		res.Folds = append(res.Folds, met)
		res.Mean.AUC += met.AUC / float64(k)
		res.Mean.Accuracy += met.Accuracy / float64(k)
		res.Mean.Sensitivity += met.Sensitivity / float64(k)
		res.Mean.Specificity += met.Specificity / float64(k)
		res.Mean.Cutoff += met.Cutoff / float64(k)
		res.Mean.N += met.N
		res.Mean.Won += met.Won
	}
	return res, nil
}
