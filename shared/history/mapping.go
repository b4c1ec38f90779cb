// Package history imports a CRM export (CSV) of past leads and their
// outcomes through a declarative column mapping, so that the predictive model
// can be trained and the closed-loop audit run on a team's own history.
//
// The mapping is YAML (read by package mappingfile); it names the outcome column and its won/lost tokens,
// the lead fields, the numeric activity signals and categorical features
// (with their model transforms), the tokens meaning "missing", and the
// columns that must never be used because they leak the outcome.
package history

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/leadflow/leadflow/shared/lead"
)

// Column is a reference to a CSV column, with the mapping line that made it,
// so that a column the export lacks is reported where it was written.
type Column struct {
	Name string
	Line int
}

// Outcome is how a historical lead ended.
type Outcome string

// Outcomes. Open leads have no outcome yet: the model skips them, the audit
// counts them apart.
const (
	OutcomeWon  Outcome = "won"
	OutcomeLost Outcome = "lost"
	OutcomeOpen Outcome = "open"
)

// OutcomeMapping maps a column's values to outcomes. A missing value is open;
// a value in none of the lists is a row error.
type OutcomeMapping struct {
	Column Column
	Won    []string
	Lost   []string
	Open   []string
}

// FieldMapping maps a column to a lead field. As is the lead role the value
// plays (persona, country, …); the field is also a categorical feature.
type FieldMapping struct {
	Name   string
	Column Column
	As     string
}

// Kind is the type of a model feature.
type Kind string

// Feature kinds.
const (
	Numeric     Kind = "numeric"
	Categorical Kind = "categorical"
)

// Transform is the transform applied to a numeric feature before it is
// standardised.
type Transform string

// Numeric transforms. Log1p tames the long tail of counts and durations; a
// negative value keeps its sign (sign(x)·log1p(|x|)).
const (
	Identity Transform = "identity"
	Log1p    Transform = "log1p"
)

// FeatureSpec declares one model feature: where its value comes from and how
// the model encodes it. Numeric features are transformed, standardised and
// given a missing indicator; Bins, when set, add a one-hot of the bands
// [-inf,b0), [b0,b1), …, [bn,+inf). Categorical features are one-hot encoded
// over the levels seen at least MinCount times in training, plus "other" and
// "missing". An interaction (Of set) is the categorical cross of two features
// (a numeric one contributes its band).
type FeatureSpec struct {
	Name      string    `json:"name"`
	Kind      Kind      `json:"kind"`
	Column    string    `json:"column,omitempty"`
	Transform Transform `json:"transform,omitempty"`
	Bins      []float64 `json:"bins,omitempty"`
	MinCount  int       `json:"min_count,omitempty"`
	Of        []string  `json:"of,omitempty"`
	Required  bool      `json:"required,omitempty"`
	Line      int       `json:"-"` // where the mapping declared it
}

// ModelOptions are the training options a mapping may set.
type ModelOptions struct {
	L2            float64 // ridge penalty on the coefficients (not the intercept)
	Cutoff        string  // "accuracy" or "youden"
	MinLevelCount int     // default MinCount of categorical features
}

// DurationUnit is the unit of a numeric duration column, or "duration" for
// Go duration strings ("4m30s").
type DurationUnit string

// BoolColumn maps a column to a boolean by its true and false tokens.
type BoolColumn struct {
	Column Column
	True   []string
	False  []string
}

// Mapping is a validated history mapping. Its column references are checked
// against a CSV header by Check.
type Mapping struct {
	File        string // where it was read from, for error positions
	ID          *Column
	CreatedAt   *Column
	TimeLayout  string // Go layout of CreatedAt, RFC 3339 by default
	Outcome     OutcomeMapping
	Source      *Column
	Fields      []FieldMapping
	Features    []FeatureSpec // in declaration order: source, fields, signals, categoricals, interactions
	Missing     []string
	Ignore      []Column
	Score       *Column
	Stage       *Column
	SpeedToLead *Column
	SpeedUnit   DurationUnit
	SLABreached *BoolColumn
	Model       ModelOptions
}

// SourceFeature is the feature name of the lead source.
const SourceFeature = "source"

// columns lists every column reference the mapping makes, with the role that
// makes it, in a stable order.
func (m *Mapping) columns() []struct {
	role string
	col  Column
} {
	type ref = struct {
		role string
		col  Column
	}
	var refs []ref
	add := func(role string, c *Column) {
		if c != nil {
			refs = append(refs, ref{role, *c})
		}
	}
	add("id", m.ID)
	add("created_at", m.CreatedAt)
	add("outcome", &m.Outcome.Column)
	add("source", m.Source)
	for i := range m.Fields {
		add("fields."+m.Fields[i].Name, &m.Fields[i].Column)
	}
	for _, f := range m.Features {
		if f.Column == "" || f.Name == SourceFeature && m.Source != nil || slices.ContainsFunc(m.Fields, func(fm FieldMapping) bool { return fm.Name == f.Name }) {
			continue
		}
		add(string(f.Kind)+"."+f.Name, &Column{Name: f.Column, Line: f.Line})
	}
	add("score", m.Score)
	add("stage", m.Stage)
	add("speed_to_lead", m.SpeedToLead)
	if m.SLABreached != nil {
		add("sla_breached", &m.SLABreached.Column)
	}
	return refs
}

// Check validates the mapping against a CSV header: every column it uses
// and every ignored column must exist, and no ignored column may be used.
// It returns an EINVALID error listing each problem at its file:line.
func (m *Mapping) Check(header []string) error {
	var errs []error
	bad := func(line int, format string, args ...any) {
		errs = append(errs, &lead.Error{Code: lead.EINVALID, Field: fmt.Sprintf("%s:%d", m.File, line), Message: fmt.Sprintf(format, args...)})
	}
	for _, ig := range m.Ignore {
		if !slices.Contains(header, ig.Name) {
			// A misspelt ignore would silently let a leaking column through.
			bad(ig.Line, "ignore: column %q is not in the file", ig.Name)
		}
	}
	for _, r := range m.columns() {
		if !slices.Contains(header, r.col.Name) {
			bad(r.col.Line, "%s: column %q is not in the file", r.role, r.col.Name)
		}
		if slices.ContainsFunc(m.Ignore, func(ig Column) bool { return ig.Name == r.col.Name }) {
			bad(r.col.Line, "%s: column %q is listed in ignore (it leaks the outcome) and must not be used", r.role, r.col.Name)
		}
	}
	return errors.Join(errs...)
}

// missing reports whether a cell holds no value: empty after trimming, or one
// of the mapping's missing tokens.
func (m *Mapping) missing(v string) bool {
	v = strings.TrimSpace(v)
	return v == "" || slices.Contains(m.Missing, v)
}
