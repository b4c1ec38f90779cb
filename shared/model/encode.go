package model

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/leadflow/leadflow/shared/history"
)

// Labels of the reserved one-hot columns. Parenthesised so that they cannot
// collide with a real level.
const (
	levelOther   = "(other)"
	levelMissing = "(missing)"
)

// Transform is the fitted encoding of one feature: what Train learnt from
// the training data (standardisation, kept levels) and what Predict applies.
type Transform struct {
	Feature   string            `json:"feature"`
	Kind      history.Kind      `json:"kind"`
	Transform history.Transform `json:"transform,omitempty"`
	Mean      float64           `json:"mean,omitempty"`
	SD        float64           `json:"sd,omitempty"`
	Bins      []float64         `json:"bins,omitempty"`
	Levels    []string          `json:"levels,omitempty"`
	Of        []string          `json:"of,omitempty"`
	Required  bool              `json:"required,omitempty"`
}

// width is the number of encoded columns of t. A numeric feature has its
// standardised value, a missing indicator and one column per band; a
// categorical feature one per kept level plus other and missing; an
// interaction one per kept pair plus other (a missing part is a level).
func (t *Transform) width() int {
	switch {
	case t.Kind == history.Numeric && len(t.Bins) > 0:
		return 2 + len(t.Bins) + 1
	case t.Kind == history.Numeric:
		return 2
	case t.Of != nil:
		return len(t.Levels) + 1
	}
	return len(t.Levels) + 2
}

// columnNames lists the names of t's encoded columns, in encoding order.
func (t *Transform) columnNames() []string {
	name := func(level string) string { return t.Feature + "=" + level }
	switch t.Kind {
	case history.Numeric:
		out := []string{t.Feature, name(levelMissing)}
		for b := 0; b <= len(t.Bins) && len(t.Bins) > 0; b++ {
			out = append(out, name(bandLabel(t.Bins, b)))
		}
		return out
	}
	out := make([]string, 0, t.width())
	for _, l := range t.Levels {
		out = append(out, name(l))
	}
	out = append(out, name(levelOther))
	if t.Of == nil {
		out = append(out, name(levelMissing))
	}
	return out
}

// transformed applies the numeric transform.
func (t *Transform) transformed(x float64) float64 {
	if t.Transform == history.Log1p {
		return math.Copysign(math.Log1p(math.Abs(x)), x)
	}
	return x
}

// numeric returns the feature's value and whether it is present and finite.
func numeric(f history.Features, name string) (float64, bool) {
	x, ok := f.Numeric[name]
	return x, ok && !math.IsNaN(x) && !math.IsInf(x, 0)
}

// band returns the index of the band x falls in: 0 below Bins[0], i for
// [Bins[i-1], Bins[i]), len(Bins) at or above the last edge.
func band(bins []float64, x float64) int {
	i, found := slices.BinarySearch(bins, x)
	if found {
		return i + 1
	}
	return i
}

func bandLabel(bins []float64, b int) string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	switch {
	case b == 0:
		return "<" + f(bins[0])
	case b == len(bins):
		return ">=" + f(bins[b-1])
	}
	return "[" + f(bins[b-1]) + "," + f(bins[b]) + ")"
}

// level is the categorical value of a feature as an interaction part: the
// raw level, or the band of a numeric feature.
func (t *Transform) level(f history.Features) string {
	if t.Kind == history.Numeric {
		x, ok := numeric(f, t.Feature)
		if !ok {
			return levelMissing
		}
		return bandLabel(t.Bins, band(t.Bins, x))
	}
	if v, ok := f.Categorical[t.Feature]; ok && v != "" {
		return v
	}
	return levelMissing
}

// encoder maps features to sparse rows over the concatenated columns of its
// transforms.
type encoder struct {
	transforms []Transform
	offsets    []int // first column of each transform
	parts      [][2]*Transform
	width      int
}

func newEncoder(ts []Transform) (*encoder, error) {
	e := &encoder{transforms: ts, offsets: make([]int, len(ts)), parts: make([][2]*Transform, len(ts))}
	for i := range ts {
		e.offsets[i] = e.width
		e.width += ts[i].width()
		if ts[i].Of == nil {
			continue
		}
		if len(ts[i].Of) != 2 {
			return nil, fmt.Errorf("interaction %s has %d parts, want 2", ts[i].Feature, len(ts[i].Of))
		}
		for j, name := range ts[i].Of {
			k := slices.IndexFunc(ts[:i], func(t Transform) bool { return t.Feature == name && t.Of == nil })
			if k < 0 {
				return nil, fmt.Errorf("interaction %s: part %q is not an earlier feature", ts[i].Feature, name)
			}
			if ts[k].Kind == history.Numeric && len(ts[k].Bins) == 0 {
				return nil, fmt.Errorf("interaction %s: numeric part %q has no bins", ts[i].Feature, name)
			}
			e.parts[i][j] = &ts[k]
		}
	}
	return e, nil
}

// crossLevel is the level of interaction i for f.
func (e *encoder) crossLevel(i int, f history.Features) string {
	return e.parts[i][0].level(f) + " & " + e.parts[i][1].level(f)
}

// entry is one non-zero cell of a sparse row.
type entry struct {
	col int32
	val float64
}

// encodeFeature appends the non-zero cells of transform i for f.
func (e *encoder) encodeFeature(i int, f history.Features, dst []entry) []entry {
	t := &e.transforms[i]
	off := e.offsets[i]
	at := func(j int, v float64) { dst = append(dst, entry{int32(off + j), v}) }
	switch {
	case t.Kind == history.Numeric:
		x, ok := numeric(f, t.Feature)
		if !ok {
			at(1, 1)
			break
		}
		if z := (t.transformed(x) - t.Mean) / t.SD; z != 0 {
			at(0, z)
		}
		if len(t.Bins) > 0 {
			at(2+band(t.Bins, x), 1)
		}
	case t.Of != nil:
		at(levelIndex(t.Levels, e.crossLevel(i, f)), 1)
	default:
		v, ok := f.Categorical[t.Feature]
		if !ok || v == "" {
			at(len(t.Levels)+1, 1)
			break
		}
		at(levelIndex(t.Levels, v), 1)
	}
	return dst
}

// levelIndex is the column of level v: its position among the kept levels,
// or the "other" column after them.
func levelIndex(levels []string, v string) int {
	if i, ok := slices.BinarySearch(levels, v); ok {
		return i
	}
	return len(levels)
}

func (e *encoder) encode(f history.Features, dst []entry) []entry {
	for i := range e.transforms {
		dst = e.encodeFeature(i, f, dst)
	}
	return dst
}

// fitTransforms learns the transforms of specs from the training features:
// the mean and standard deviation of each transformed numeric feature, and
// the categorical levels seen at least MinCount times (sorted, so that
// encoding can binary-search them).
func fitTransforms(specs []history.FeatureSpec, rows []history.Features) ([]Transform, error) {
	ts := make([]Transform, len(specs))
	for i, s := range specs {
		ts[i] = Transform{Feature: s.Name, Kind: s.Kind, Transform: s.Transform, Bins: s.Bins, Of: s.Of, Required: s.Required}
	}
	e, err := newEncoder(ts)
	if err != nil {
		return nil, err
	}
	for i := range ts {
		t := &ts[i]
		if t.Kind == history.Numeric {
			t.Mean, t.SD = meanSD(t, rows)
			continue
		}
		counts := map[string]int{}
		for _, f := range rows {
			if t.Of != nil {
				counts[e.crossLevel(i, f)]++
			} else if v, ok := f.Categorical[t.Feature]; ok && v != "" {
				counts[v]++
			}
		}
		t.Levels = keptLevels(counts, specs[i].MinCount)
	}
	return ts, nil
}

func meanSD(t *Transform, rows []history.Features) (mean, sd float64) {
	var n, sum, sq float64
	for _, f := range rows {
		if x, ok := numeric(f, t.Feature); ok {
			v := t.transformed(x)
			n++
			sum += v
			sq += v * v
		}
	}
	if n == 0 {
		return 0, 1
	}
	mean = sum / n
	sd = math.Sqrt(math.Max(sq/n-mean*mean, 0))
	if sd < 1e-12 {
		sd = 1 // a constant feature: leave it unscaled rather than divide by zero
	}
	return mean, sd
}

func keptLevels(counts map[string]int, minCount int) []string {
	levels := make([]string, 0, len(counts))
	for l, c := range counts {
		if c >= max(minCount, 1) {
			levels = append(levels, l)
		}
	}
	slices.SortFunc(levels, cmp.Compare)
	return levels
}
