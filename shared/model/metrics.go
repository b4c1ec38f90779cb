package model

import (
	"cmp"
	"slices"
)

// Metrics measure a scorer against known outcomes. Accuracy, sensitivity
// (true-positive rate) and specificity (true-negative rate) are taken at
// Cutoff: a lead is predicted won when its probability is at least Cutoff.
type Metrics struct {
	AUC         float64 `json:"auc"`
	Accuracy    float64 `json:"accuracy"`
	Sensitivity float64 `json:"sensitivity"`
	Specificity float64 `json:"specificity"`
	N           int     `json:"n"`
	Won         int     `json:"won"`
	Cutoff      float64 `json:"cutoff"`
}

// AUC is the area under the ROC curve of scores against outcomes (true =
// won), computed as the Mann-Whitney U statistic over ranks, ties sharing
// their average rank (a tied won/lost pair counts one half). ok is false
// when either class is empty and the area is undefined.
func AUC(scores []float64, won []bool) (auc float64, ok bool) {
	n := min(len(scores), len(won))
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(scores[a], scores[b]) })
	var rankSum float64
	var pos int
	for i := 0; i < n; {
		j := i
		for j < n && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1 … j averaged
		for k := i; k < j; k++ {
			if won[idx[k]] {
				rankSum += avg
				pos++
			}
		}
		i = j
	}
	neg := n - pos
	if pos == 0 || neg == 0 {
		return 0, false
	}
	return (rankSum - float64(pos)*float64(pos+1)/2) / (float64(pos) * float64(neg)), true
}

// confusion evaluates predictions p ≥ cutoff against outcomes.
func confusion(p []float64, won []bool, cutoff float64) Metrics {
	m := Metrics{N: len(p), Cutoff: cutoff}
	var tp, tn int
	for i, pi := range p {
		switch {
		case won[i]:
			m.Won++
			if pi >= cutoff {
				tp++
			}
		case pi < cutoff:
			tn++
		}
	}
	if m.N > 0 {
		m.Accuracy = float64(tp+tn) / float64(m.N)
	}
	if m.Won > 0 {
		m.Sensitivity = float64(tp) / float64(m.Won)
	}
	if lost := m.N - m.Won; lost > 0 {
		m.Specificity = float64(tn) / float64(lost)
	}
	return m
}

// evaluate returns the full metrics of predictions p at cutoff.
func evaluate(p []float64, won []bool, cutoff float64) Metrics {
	m := confusion(p, won, cutoff)
	m.AUC, _ = AUC(p, won)
	return m
}

// Cut-off rules.
const (
	CutoffAccuracy = "accuracy" // maximise accuracy on the training data
	CutoffYouden   = "youden"   // maximise sensitivity + specificity − 1
)

// chooseCutoff scans every distinct threshold over the training predictions
// and returns the one that maximises the rule's criterion. Thresholds are
// midpoints between consecutive distinct probabilities, so that a slightly
// different but equally ranked input lands on the same side; ties keep the
// highest threshold, the more conservative call.
func chooseCutoff(p []float64, won []bool, rule string) float64 {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(p[b], p[a]) })
	var pos, neg int
	for _, w := range won {
		if w {
			pos++
		} else {
			neg++
		}
	}
	// Start with nobody predicted won (threshold above every probability).
	best, bestCut := criterion(rule, 0, neg, pos, neg), 1.0
	tp, fp := 0, 0
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && p[idx[j]] == p[idx[i]] {
			if won[idx[j]] {
				tp++
			} else {
				fp++
			}
			j++
		}
		cut := p[idx[i]]
		if j < len(idx) {
			cut = (p[idx[i]] + p[idx[j]]) / 2
		}
		if c := criterion(rule, tp, neg-fp, pos, neg); c > best {
			best, bestCut = c, cut
		}
		i = j
	}
	return bestCut
}

func criterion(rule string, tp, tn, pos, neg int) float64 {
	if rule == CutoffYouden {
		var sens, spec float64
		if pos > 0 {
			sens = float64(tp) / float64(pos)
		}
		if neg > 0 {
			spec = float64(tn) / float64(neg)
		}
		return sens + spec - 1
	}
	return float64(tp+tn) / float64(max(pos+neg, 1))
}
