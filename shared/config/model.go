package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/history"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/model"
	"github.com/leadflow/leadflow/shared/scoring"
)

// rawModel is the optional `model:` section: the predictive layer.
type rawModel struct {
	File     string            `yaml:"file"`
	Weight   float64           `yaml:"weight"`
	Required []string          `yaml:"required"`
	Top      *int              `yaml:"top"`
	Features map[string]string `yaml:"features"`
}

// defaultTop is how many contributing features a score names by default.
const defaultTop = 3

// CodeModel is the reason code carrying the predicted points; the reasons
// naming the top contributing features are "model:<feature>=<value>".
const CodeModel = "model"

// Predictive is the predictive layer of a config (SPEC §5): a model trained
// by `leadflow model train`, the points its probability is worth, and how
// each of its features is read from a lead, its account and its activities.
// It implements scoring.Predictor; it is immutable and safe for concurrent
// use.
//
// A feature source is one of
//
//	lead.<field>            a lead field by JSON name (title, country, source, employees, …)
//	lead.extras.<key>       a free-form field, e.g. one kept by a history import
//	account.<field>         domain, name, industry, country or employees
//	count(<type>)           the number of the lead's activities of a type
//	count(<type>, <window>) the same, only those younger than the window (e.g. 30d)
//
// A numeric feature needs a numeric source (employees, a count, or an extra
// holding a number); a categorical feature takes any source, numbers as
// text. An empty field, a zero head count or an extra that is absent (or not
// a number, for a numeric feature) is missing, which the model encodes as
// such.
type Predictive struct {
	File   string
	Model  *model.Model
	Weight float64
	// Required lists the features a prediction needs (the model's own
	// required features and the config's): without one the predicted points
	// do not count towards sql.
	Required []string
	Top      int // contributing features named in reasons
	features []featureReader
}

var _ scoring.Predictor = (*Predictive)(nil)

// featureReader reads one model feature from a lead.
type featureReader struct {
	name    string
	numeric bool // the model encodes it as a number
	read    func(l *lead.Lead, a *lead.Account, acts []lead.Activity, now time.Time) (text string, x float64, ok bool)
}

// Predict implements scoring.Predictor: the probability times Weight as
// points (to the cent), one reason carrying them, the Top features with the
// largest share of the log-odds as zero-point reasons, and the required
// features the lead lacks.
func (p *Predictive) Predict(l *lead.Lead, a *lead.Account, acts []lead.Activity, now time.Time) scoring.Prediction {
	f := p.Features(l, a, acts, now)
	prob, contribs := p.Model.Predict(f)
	points := math.Round(prob*p.Weight*100) / 100
	reasons := []lead.Reason{{Code: CodeModel, Points: points, Layer: lead.LayerPredicted, Detail: fmt.Sprintf("p %.3f × weight %g", prob, p.Weight)}}
	for _, c := range contribs[:min(p.Top, len(contribs))] {
		reasons = append(reasons, lead.Reason{Code: "model:" + c.Feature + "=" + c.Value, Layer: lead.LayerPredicted, Detail: fmt.Sprintf("log-odds %+.2f", c.Weight)})
	}
	var missing []string
	for _, r := range p.Required {
		if _, num := f.Numeric[r]; !num && f.Categorical[r] == "" {
			missing = append(missing, r)
		}
	}
	return scoring.Prediction{Points: points, Reasons: reasons, Missing: missing}
}

// Features reads the model's features from a lead as the declared sources
// say; missing values are absent from the result.
func (p *Predictive) Features(l *lead.Lead, a *lead.Account, acts []lead.Activity, now time.Time) history.Features {
	f := history.Features{Numeric: map[string]float64{}, Categorical: map[string]string{}}
	for _, r := range p.features {
		text, x, ok := r.read(l, a, acts, now)
		switch {
		case !ok:
		case r.numeric:
			f.Numeric[r.name] = x
		default:
			f.Categorical[r.name] = text
		}
	}
	return f
}

// predictor returns the compiled predictive layer as a scoring.Predictor,
// nil (not a typed nil) when the config has none.
func (b *builder) predictor() scoring.Predictor {
	if b.c.Model == nil {
		return nil
	}
	return b.c.Model
}

// model loads and checks the model section: the file must be a model, every
// feature it uses must have a source of a fitting kind and nothing else may
// be mapped, so a renamed feature fails here rather than silently scoring
// every lead as missing it.
func (b *builder) model() {
	rm := b.raw.Model
	if rm == nil {
		return
	}
	p := &Predictive{File: rm.File, Weight: rm.Weight, Top: defaultTop}
	ok := true
	bad := func(path, format string, args ...any) {
		b.ix.at(path, format, args...)
		ok = false
	}
	if !(rm.Weight > 0) || math.IsInf(rm.Weight, 0) {
		bad("model.weight", "must be a positive number: the points a probability of 1 is worth")
	}
	if rm.Top != nil {
		p.Top = *rm.Top
		if p.Top < 0 || p.Top > 20 {
			bad("model.top", "must be between 0 and 20")
		}
	}
	if rm.File == "" {
		bad("model.file", "missing: the model JSON written by `leadflow model train`")
		return
	}
	m, err := b.readModel(rm.File)
	if err != nil {
		bad("model.file", "%v", err)
		return
	}
	p.Model = m
	kinds := map[string]history.Kind{}
	var names []string
	for _, t := range m.Transforms {
		if t.Of != nil {
			continue // an interaction: derived from its parts
		}
		kinds[t.Feature] = t.Kind
		names = append(names, t.Feature)
		if t.Required {
			p.Required = append(p.Required, t.Feature)
		}
	}
	for _, name := range names {
		src, mapped := rm.Features[name]
		if !mapped {
			bad("model.features", "no source for the model's %s feature %q", kinds[name], name)
			continue
		}
		r, err := compileFeature(name, src, kinds[name] == history.Numeric)
		if err != nil {
			bad("model.features."+name, "%v", err)
			continue
		}
		p.features = append(p.features, r)
	}
	for _, name := range sortedNames(rm.Features) {
		if _, known := kinds[name]; !known {
			bad("model.features."+name, "the model has no feature %q (it has %s)", name, strings.Join(names, ", "))
		}
	}
	for i, r := range rm.Required {
		switch {
		case kinds[r] == "":
			bad(fmt.Sprintf("model.required[%d]", i), "the model has no feature %q", r)
		case !slices.Contains(p.Required, r):
			p.Required = append(p.Required, r)
		}
	}
	if ok {
		b.c.Model = p
	}
}

// readModel reads the model file, relative to the config's directory.
func (b *builder) readModel(file string) (*model.Model, error) {
	var data []byte
	var err error
	if filepath.IsAbs(file) {
		data, err = os.ReadFile(file)
	} else {
		data, err = fs.ReadFile(b.c.FS, filepath.ToSlash(filepath.Clean(file)))
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot read %s: %v", file, err)
	}
	var m model.Model
	if err := m.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	return &m, nil
}

var countRe = regexp.MustCompile(`^count\(\s*([a-z_]+)\s*(?:,\s*([0-9]+[a-z]+)\s*)?\)$`)

// compileFeature turns a feature source into a reader. Returns an error
// naming what is wrong: an unknown field or activity type, a bad window, a
// text source for a numeric feature.
func compileFeature(name, src string, numeric bool) (featureReader, error) {
	src = strings.TrimSpace(src)
	r := featureReader{name: name, numeric: numeric}
	text := func(get func(*lead.Lead, *lead.Account) string) func(*lead.Lead, *lead.Account, []lead.Activity, time.Time) (string, float64, bool) {
		return func(l *lead.Lead, a *lead.Account, _ []lead.Activity, _ time.Time) (string, float64, bool) {
			v := get(l, a)
			if !numeric {
				return v, 0, v != ""
			}
			x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return v, x, err == nil && !math.IsNaN(x) && !math.IsInf(x, 0)
		}
	}
	number := func(get func(*lead.Lead, *lead.Account) int) func(*lead.Lead, *lead.Account, []lead.Activity, time.Time) (string, float64, bool) {
		return func(l *lead.Lead, a *lead.Account, _ []lead.Activity, _ time.Time) (string, float64, bool) {
			n := get(l, a)
			return strconv.Itoa(n), float64(n), n != 0
		}
	}
	switch {
	case strings.HasPrefix(src, "lead.extras."):
		key := strings.TrimPrefix(src, "lead.extras.")
		if key == "" {
			return r, errors.New("lead.extras needs a key, e.g. lead.extras.campaign")
		}
		r.read = text(func(l *lead.Lead, _ *lead.Account) string { return l.Extras[key] })
		return r, nil
	case strings.HasPrefix(src, "lead."):
		field := strings.TrimPrefix(src, "lead.")
		if field == "employees" {
			r.read = number(func(l *lead.Lead, _ *lead.Account) int { return l.Employees })
			return r, nil
		}
		get, ok := leadText[field]
		if !ok {
			return r, fmt.Errorf("unknown lead field %q (known: employees, extras.<key>, %s)", field, strings.Join(sortedNames(leadText), ", "))
		}
		if numeric {
			return r, fmt.Errorf("%s is text, but the model's feature %q is numeric", src, name)
		}
		r.read = text(func(l *lead.Lead, _ *lead.Account) string { return get(l) })
		return r, nil
	case strings.HasPrefix(src, "account."):
		field := strings.TrimPrefix(src, "account.")
		if field == "employees" {
			r.read = number(func(_ *lead.Lead, a *lead.Account) int {
				if a == nil {
					return 0
				}
				return a.Employees
			})
			return r, nil
		}
		get, ok := accountText[field]
		if !ok {
			return r, fmt.Errorf("unknown account field %q (known: employees, %s)", field, strings.Join(sortedNames(accountText), ", "))
		}
		if numeric {
			return r, fmt.Errorf("%s is text, but the model's feature %q is numeric", src, name)
		}
		r.read = text(func(_ *lead.Lead, a *lead.Account) string {
			if a == nil {
				return ""
			}
			return get(a)
		})
		return r, nil
	}
	m := countRe.FindStringSubmatch(src)
	if m == nil {
		return r, fmt.Errorf("%q is not lead.<field>, lead.extras.<key>, account.<field> or count(<activity type>[, <window>])", src)
	}
	typ := lead.ActivityType(m[1])
	if !slices.Contains(lead.ActivityTypes, typ) && typ != lead.ActivityFormSubmit {
		return r, fmt.Errorf("count: unknown activity type %q", m[1])
	}
	var window time.Duration
	if m[2] != "" {
		d, err := parseDuration(m[2])
		if err != nil || d <= 0 {
			return r, fmt.Errorf("count: bad window %q: want e.g. 30d or 720h", m[2])
		}
		window = d
	}
	r.read = func(_ *lead.Lead, _ *lead.Account, acts []lead.Activity, now time.Time) (string, float64, bool) {
		n := 0
		for i := range acts {
			if acts[i].Type == typ && (window == 0 || now.Sub(acts[i].OccurredAt) < window) {
				n++
			}
		}
		return strconv.Itoa(n), float64(n), true
	}
	return r, nil
}

// leadText are the lead's text fields a feature may read.
var leadText = map[string]func(*lead.Lead) string{
	"title": func(l *lead.Lead) string { return l.Title }, "company": func(l *lead.Lead) string { return l.Company },
	"country": func(l *lead.Lead) string { return l.Country }, "state": func(l *lead.Lead) string { return l.State },
	"industry": func(l *lead.Lead) string { return l.Industry }, "domain": func(l *lead.Lead) string { return l.Domain },
	"email_domain": func(l *lead.Lead) string { return l.EmailDomain }, "seniority": func(l *lead.Lead) string { return l.Seniority },
	"function": func(l *lead.Lead) string { return l.Function }, "source": func(l *lead.Lead) string { return l.Source },
	"form": func(l *lead.Lead) string { return l.Form }, "consent": func(l *lead.Lead) string { return string(l.Consent) },
	"free_email":       func(l *lead.Lead) string { return strconv.FormatBool(l.FreeEmail) },
	"disposable_email": func(l *lead.Lead) string { return strconv.FormatBool(l.DisposableEmail) },
}

// accountText are the account's text fields a feature may read.
var accountText = map[string]func(*lead.Account) string{
	"domain": func(a *lead.Account) string { return a.Domain }, "name": func(a *lead.Account) string { return a.Name },
	"industry": func(a *lead.Account) string { return a.Industry }, "country": func(a *lead.Account) string { return a.Country },
}
