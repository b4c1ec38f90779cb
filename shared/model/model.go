// Package model is leadflow's predictive layer: an L2-regularised logistic
// regression of a lead's chance to convert, trained on imported history
// (package history) with the feature transforms the mapping declares.
//
// Training is deterministic: Newton's method (iteratively reweighted least
// squares) from a fixed start, so the same data and options give the same
// model bit for bit. Every prediction explains itself: the contribution of
// each feature to the log-odds becomes a reason code.
package model

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/shared/history"
	"github.com/leadflow/leadflow/shared/lead"
)

// FormatVersion is the version of the model file format.
const FormatVersion = 1

// Model is a trained lead-conversion model, stored as JSON.
type Model struct {
	Version      int         `json:"version"`
	CreatedAt    time.Time   `json:"created_at"`
	DataSHA256   string      `json:"data_sha256"`
	Transforms   []Transform `json:"transforms"`
	Columns      []string    `json:"columns"`
	Coefficients []float64   `json:"coefficients"`
	Intercept    float64     `json:"intercept"`
	Cutoff       float64     `json:"cutoff"`
	CutoffRule   string      `json:"cutoff_rule"`
	L2           float64     `json:"l2"`
	Iterations   int         `json:"iterations"`
	Training     Metrics     `json:"training"`
	CV           *CVResult   `json:"cross_validation,omitempty"`

	enc *encoder
}

// Options tune training. The zero value of a field takes its default.
type Options struct {
	L2            float64          // ridge penalty; 0 takes 1 (OptionsFor takes the mapping's)
	Cutoff        string           // CutoffAccuracy (default) or CutoffYouden
	MaxIterations int              // Newton steps, default 100
	Now           func() time.Time // stamps CreatedAt; default time.Now
}

// OptionsFor returns the training options the mapping declares.
func OptionsFor(m *history.Mapping) Options {
	return Options{L2: m.Model.L2, Cutoff: m.Model.Cutoff}
}

func (o Options) withDefaults() Options {
	if o.L2 <= 0 {
		o.L2 = 1
	}
	if o.Cutoff == "" {
		o.Cutoff = CutoffAccuracy
	}
	if o.MaxIterations <= 0 {
		o.MaxIterations = 100
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Contribution is one feature's share of a prediction's log-odds.
type Contribution struct {
	Feature string  `json:"feature"`
	Value   string  `json:"value"`
	Weight  float64 `json:"weight"`
}

// Code renders the contribution as a reason code, e.g.
// "model:lead_origin=Lead Add Form +1.8".
func (c Contribution) Code() string {
	return fmt.Sprintf("model:%s=%s %+.1f", c.Feature, c.Value, c.Weight)
}

// Train fits a model to the won and lost records of ds (open ones are
// skipped) with the features its mapping declares, and returns it with its
// metrics on the training data. The cut-off is chosen on the training
// predictions by opts.Cutoff: by default the threshold that maximises
// accuracy, which suits a score that ranks and routes every lead; Youden's J
// suits a team that weighs missed and wasted leads equally. Returns EINVALID
// when ds has no features or lacks won or lost records.
func Train(ds *history.Dataset, opts Options) (*Model, Metrics, error) {
	m, err := train(ds.Mapping.Features, ds.Closed(), opts)
	if err != nil {
		return nil, Metrics{}, err
	}
	m.DataSHA256 = ds.SHA256
	return m, m.Training, nil
}

func train(specs []history.FeatureSpec, recs []history.Record, opts Options) (*Model, error) {
	opts = opts.withDefaults()
	if len(specs) == 0 {
		return nil, lead.Errorf(lead.EINVALID, "train: the mapping declares no features")
	}
	rows := make([]history.Features, len(recs))
	y := make([]bool, len(recs))
	var won int
	for i, r := range recs {
		rows[i] = r.Features
		y[i] = r.Outcome == history.OutcomeWon
		if y[i] {
			won++
		}
	}
	if won == 0 || won == len(recs) {
		return nil, lead.Errorf(lead.EINVALID, "train: need both won and lost records, have %d won of %d", won, len(recs))
	}
	ts, err := fitTransforms(specs, rows)
	if err != nil {
		return nil, lead.Errorf(lead.EINVALID, "train: %v", err)
	}
	enc, err := newEncoder(ts)
	if err != nil {
		return nil, lead.Errorf(lead.EINVALID, "train: %v", err)
	}
	x := encodeAll(enc, rows)
	beta, iters := newton(x, y, enc.width, opts.L2, opts.MaxIterations)
	m := &Model{
		Version:      FormatVersion,
		CreatedAt:    opts.Now().UTC(),
		Transforms:   ts,
		Coefficients: beta[:enc.width],
		Intercept:    beta[enc.width],
		CutoffRule:   opts.Cutoff,
		L2:           opts.L2,
		Iterations:   iters,
		enc:          enc,
	}
	for i := range ts {
		m.Columns = append(m.Columns, ts[i].columnNames()...)
	}
	p := x.predict(beta)
	m.Cutoff = chooseCutoff(p, y, opts.Cutoff)
	m.Training = evaluate(p, y, m.Cutoff)
	return m, nil
}

// Predict returns the probability that a lead with features f converts and
// the contribution of each feature to the log-odds, largest magnitude first
// (ties by feature name). A numeric value that is absent, NaN or infinite
// counts as missing; an unseen level counts as "(other)". Features the model
// does not know are ignored.
func (m *Model) Predict(f history.Features) (float64, []Contribution) {
	eta := m.Intercept
	contribs := make([]Contribution, 0, len(m.Transforms))
	var cells []entry
	for i := range m.Transforms {
		cells = m.enc.encodeFeature(i, f, cells[:0])
		var w float64
		for _, c := range cells {
			w += m.Coefficients[c.col] * c.val
		}
		eta += w
		if w != 0 {
			contribs = append(contribs, Contribution{Feature: m.Transforms[i].Feature, Value: m.displayValue(i, f), Weight: w})
		}
	}
	slices.SortStableFunc(contribs, func(a, b Contribution) int {
		return cmp.Or(cmp.Compare(math.Abs(b.Weight), math.Abs(a.Weight)), cmp.Compare(a.Feature, b.Feature))
	})
	return sigmoid(eta), contribs
}

func (m *Model) displayValue(i int, f history.Features) string {
	t := &m.Transforms[i]
	switch {
	case t.Of != nil:
		return m.enc.crossLevel(i, f)
	case t.Kind == history.Numeric:
		if x, ok := numeric(f, t.Feature); ok {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return levelMissing
	}
	return t.level(f)
}

// MissingRequired lists the required features (declared required: true in
// the mapping) that f lacks, in model order. A caller falls back to the
// rules-only score when it is not empty, rather than trusting a prediction
// built on defaults.
func (m *Model) MissingRequired(f history.Features) []string {
	var out []string
	for _, t := range m.Transforms {
		if !t.Required {
			continue
		}
		if t.Kind == history.Numeric {
			if _, ok := numeric(f, t.Feature); !ok {
				out = append(out, t.Feature)
			}
		} else if f.Categorical[t.Feature] == "" {
			out = append(out, t.Feature)
		}
	}
	return out
}

// Evaluate scores the won and lost records of ds and measures the model at
// its own cut-off. Returns EINVALID when ds's mapping lacks a feature the
// model uses (every value would silently count as missing) or ds has no
// closed records.
func (m *Model) Evaluate(ds *history.Dataset) (Metrics, error) {
	if err := m.Fits(ds.Mapping); err != nil {
		return Metrics{}, fmt.Errorf("evaluate: %w", err)
	}
	recs := ds.Closed()
	if len(recs) == 0 {
		return Metrics{}, lead.Errorf(lead.EINVALID, "evaluate: no won or lost records")
	}
	return m.measure(recs), nil
}

// Fits checks that mp declares every feature the model uses, so that data
// imported through it can be scored. Returns EINVALID naming the first
// feature it lacks: scoring would otherwise count it missing on every lead.
func (m *Model) Fits(mp *history.Mapping) error {
	for _, t := range m.Transforms {
		if t.Of == nil && !slices.ContainsFunc(mp.Features, func(s history.FeatureSpec) bool { return s.Name == t.Feature && s.Kind == t.Kind }) {
			return lead.Errorf(lead.EINVALID, "the mapping does not declare the %s feature %q the model uses", t.Kind, t.Feature)
		}
	}
	return nil
}

func (m *Model) measure(recs []history.Record) Metrics {
	p := make([]float64, len(recs))
	y := make([]bool, len(recs))
	for i, r := range recs {
		p[i], _ = m.Predict(r.Features)
		y[i] = r.Outcome == history.OutcomeWon
	}
	return evaluate(p, y, m.Cutoff)
}

// Save writes the model as indented JSON to path. I/O errors are wrapped.
func (m *Model) Save(path string) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	return nil
}

// LoadModel reads a model saved by Save. Returns EINVALID when the file is
// not a model of this format version or is internally inconsistent (the
// coefficients do not match the transforms, a value is not finite); I/O
// errors are wrapped.
func LoadModel(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	var m Model
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("load model %s: %w", path, err)
	}
	return &m, nil
}

// UnmarshalJSON decodes a model and checks it, so that a model decoded from
// any source is ready to predict. Returns EINVALID when the JSON is not a
// model of this format version or is internally inconsistent.
func (m *Model) UnmarshalJSON(data []byte) error {
	type plain Model // drops the methods, so decoding does not recurse
	var p plain
	if err := json.Unmarshal(data, &p); err != nil {
		return &lead.Error{Code: lead.EINVALID, Message: "not a model file", Err: err}
	}
	*m = Model(p)
	if err := m.init(); err != nil {
		return &lead.Error{Code: lead.EINVALID, Message: "inconsistent model", Err: err}
	}
	return nil
}

// init checks a decoded model and builds its encoder.
func (m *Model) init() error {
	if m.Version != FormatVersion {
		return fmt.Errorf("format version %d, want %d", m.Version, FormatVersion)
	}
	for i, t := range m.Transforms {
		if t.Kind != history.Numeric && t.Kind != history.Categorical {
			return fmt.Errorf("transform %d: unknown kind %q", i, t.Kind)
		}
		if t.Kind == history.Numeric && !(t.SD > 0) {
			return fmt.Errorf("transform %s: standard deviation %v", t.Feature, t.SD)
		}
		if !slices.IsSorted(t.Levels) || !slices.IsSorted(t.Bins) {
			return fmt.Errorf("transform %s: levels and bins must be sorted", t.Feature)
		}
	}
	enc, err := newEncoder(m.Transforms)
	if err != nil {
		return err
	}
	if len(m.Coefficients) != enc.width || len(m.Columns) != enc.width {
		return fmt.Errorf("%d coefficients and %d columns for %d encoded columns", len(m.Coefficients), len(m.Columns), enc.width)
	}
	for _, v := range append([]float64{m.Intercept, m.Cutoff}, m.Coefficients...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.New("a coefficient or the cut-off is not finite")
		}
	}
	m.enc = enc
	return nil
}

func sigmoid(eta float64) float64 {
	if eta >= 0 {
		return 1 / (1 + math.Exp(-eta))
	}
	e := math.Exp(eta)
	return e / (1 + e)
}
