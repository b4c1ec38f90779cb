// Package config loads and validates leadflow's one config file: forms and
// source field maps, scoring rules and thresholds, the routing roster, SLA,
// nurture cadences, enrichment providers and the scenarios that test them.
// Loading checks everything — unknown keys, types, CEL rules against the
// domain types, references between sections — and reports every problem
// with its file, line and rule, so a bad config never reaches production.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/routing"
	"github.com/leadflow/leadflow/shared/scoring"
)

// Config is a loaded, validated config with its engines compiled.
type Config struct {
	File        string // the name errors use
	Version     string
	CORSOrigins []string
	Forms       map[string]*Form
	Sources     map[string]*Source
	Scoring     *scoring.Model
	Routing     *routing.Router
	// RoutingConfig is the routing section as written.
	RoutingConfig routing.Config
	SLA           SLA
	Nurture       []*Cadence
	Enrichment    Enrichment
	CRM           CRM
	Scenarios     []Scenario
	// FS resolves the relative paths the config names (datasets): the
	// config file's directory, or the embedded files for Default.
	FS fs.FS

	// Model is the predictive layer the scoring adds; nil without one.
	Model *Predictive
}

// Form is a capture form: its field map, required fields and honeypot.
type Form struct {
	Name string
	// Source is the lead source recorded for submissions (web_form by
	// default; import for webinar lists).
	Source   string
	Required []string
	// FieldMap maps submitted field names to canonical lead fields.
	FieldMap map[string]string
	// Honeypot is a field humans never fill: a submission with it set is
	// accepted and dropped.
	Honeypot string
}

// Source is a lead source with its own field names (LinkedIn Lead Gen).
type Source struct {
	Name     string
	FieldMap map[string]string
}

// SLA holds the owner response timers, SPEC §6.
type SLA struct {
	AlertAfter    time.Duration // alert the owner's manager
	ReassignAfter time.Duration // reassign to the next eligible rep
}

// Canonical lead fields a field map may target, SPEC §3.
var CanonicalFields = []string{"email", "first_name", "last_name", "title", "company", "website", "phone", "country", "state", "employees", "industry", "consent"}

// Lead sources a form may declare.
var knownSources = []string{"web_form", "linkedin", "import", "api"}

// Canonical maps submitted fields through the form's field map. Names
// without a mapping pass through unchanged (canonical names and extras);
// matching is exact first, then case-insensitive. The honeypot is dropped.
func (f *Form) Canonical(in map[string]string) map[string]string {
	return mapFields(f.FieldMap, in, f.Honeypot)
}

// Canonical maps a source's field names to canonical lead fields, like
// Form.Canonical.
func (s *Source) Canonical(in map[string]string) map[string]string {
	return mapFields(s.FieldMap, in, "")
}

func mapFields(fm map[string]string, in map[string]string, drop string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		if k == drop && drop != "" {
			continue
		}
		to, ok := fm[k]
		if !ok {
			for from, t := range fm {
				if strings.EqualFold(from, k) {
					to, ok = t, true
					break
				}
			}
		}
		if !ok {
			to = k
		}
		// A mapped value never overwrites one already given under the
		// canonical name itself.
		if _, dup := out[to]; dup && !ok {
			continue
		}
		out[to] = v
	}
	return out
}

// Load reads and validates the config file at path, compiling its rule
// expressions with compile (celrules.Compile; a deployed function loads the
// compiled form instead, LoadCompiled). Relative paths inside it resolve
// against its directory. Returns Errors listing every problem, or an error
// wrapping the read failure.
func Load(path string, compile scoring.Compiler) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return parse(path, data, os.DirFS(filepath.Dir(path)), compile)
}

// Parse validates config data named name (used in errors) as Load does;
// relative paths resolve against name's directory. Returns Errors listing
// every problem.
func Parse(name string, data []byte, compile scoring.Compiler) (*Config, error) {
	return parse(name, data, os.DirFS(filepath.Dir(name)), compile)
}

// Default returns the shipped default config. It fails only if the
// embedded file is broken, which its tests rule out.
func Default(compile scoring.Compiler) (*Config, error) {
	return parse(leadflow.DefaultConfigName, leadflow.DefaultConfig, leadflow.FS, compile)
}

func parse(name string, data []byte, fsys fs.FS, compile scoring.Compiler) (*Config, error) {
	c, _, err := parseRaw(name, data, fsys, compile)
	return c, err
}

// parseRaw is parse that also returns the decoded file.
func parseRaw(name string, data []byte, fsys fs.FS, compile scoring.Compiler) (*Config, *rawConfig, error) {
	file := filepath.Base(name)
	ix := newIndex(file, data)
	var raw rawConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var typeErr *yaml.TypeError
	switch err := dec.Decode(&raw); {
	case errors.Is(err, io.EOF):
		ix.errs = append(ix.errs, Error{File: file, Line: 1, Message: "empty config"})
		return nil, nil, ix.errs
	case errors.As(err, &typeErr):
		// Values of the wrong type decode as zero; the rest is still checked.
		ix.decodeError(err)
	case err != nil:
		ix.decodeError(err) // a syntax error: nothing to check
		return nil, nil, ix.errs
	}
	c, err := assemble(ix, &raw, fsys, compile, (*builder).scenarios)
	return c, &raw, err
}

// assemble checks a decoded file and compiles its engines, then runs
// extra (the scenarios, where the file is written: LoadCompiled passes
// none, so a function links no lead parser for tests it never runs);
// errors are recorded in ix, after those it already holds (the decoder's).
func assemble(ix *index, raw *rawConfig, fsys fs.FS, compile scoring.Compiler, extra ...func(*builder)) (*Config, error) {
	decoded := len(ix.errs)
	c := &Config{File: ix.file, FS: fsys}
	b := builder{ix: ix, c: c, raw: raw, compile: compile}
	b.build()
	for _, f := range extra {
		f(&b)
	}
	ix.dropEchoes(decoded)
	if len(ix.errs) > 0 {
		sort.SliceStable(ix.errs, func(i, j int) bool { return ix.errs[i].Line < ix.errs[j].Line })
		return nil, ix.errs
	}
	return c, nil
}

// compiledForm is what Compile writes: the file as decoded and its rules
// as checked.
type compiledForm struct {
	File   string
	Config *rawConfig
	Rules  *scoring.Compiled
}

// Compile loads and validates the config file at path as Load does, and
// also returns its compiled form: the file as decoded and its rule
// expressions as compile checked them. LoadCompiled builds the same Config
// from that form without a YAML parser or a rule checker — what `cdk synth`
// ships to the functions, which then start faster and link neither. The
// form leaves out the scenarios: they are checked here and run by
// `leadflow test`, never by a function.
// Returns Load's errors.
func Compile(path string, compile scoring.Compiler) (*Config, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load config: %w", err)
	}
	var rules scoring.Compiled
	c, raw, err := parseRaw(path, data, os.DirFS(filepath.Dir(path)), rules.Record(compile))
	if err != nil {
		return nil, nil, err
	}
	// The scenarios were run through the checks above; they are the
	// config's tests, not something a function runs.
	shipped := *raw
	shipped.Scenarios = nil
	form, err := json.Marshal(compiledForm{File: c.File, Config: &shipped, Rules: &rules})
	if err != nil {
		return nil, nil, fmt.Errorf("compile config: %w", err)
	}
	return c, form, nil
}

// LoadCompiled builds the Config from the compiled form Compile wrote at
// path; the config's relative paths (datasets) resolve against path's
// directory. Returns EUNAVAILABLE when the file cannot be read or decoded,
// or Errors (without lines) if it does not build — a form written by
// another version of leadflow, say.
func LoadCompiled(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, lead.Errorf(lead.EUNAVAILABLE, "load compiled config: %v", err)
	}
	var form compiledForm
	if err := json.Unmarshal(data, &form); err != nil || form.Config == nil || form.Rules == nil {
		return nil, lead.Errorf(lead.EUNAVAILABLE, "load compiled config %s: not a compiled config (%v)", path, err)
	}
	ix := &index{file: form.File}
	return assemble(ix, form.Config, os.DirFS(filepath.Dir(path)), form.Rules.Compiler())
}

// builder turns the decoded file into a Config, recording problems.
type builder struct {
	ix      *index
	c       *Config
	raw     *rawConfig
	compile scoring.Compiler
}

func (b *builder) build() {
	r := b.raw
	if strings.TrimSpace(r.Version) == "" {
		b.ix.at("version", "missing: the config version is recorded on every score")
	}
	b.c.Version = r.Version
	b.cors()
	b.forms()
	b.sources()
	b.model()
	b.scoring()
	b.routing()
	b.sla()
	b.nurture()
	b.enrichment()
	b.crm()
}

func (b *builder) cors() {
	for i, o := range b.raw.CORSOrigins {
		if err := checkOrigin(o); err != nil {
			b.ix.at(fmt.Sprintf("cors_origins[%d]", i), "%v", err)
		}
	}
	b.c.CORSOrigins = b.raw.CORSOrigins
}

func checkOrigin(o string) error {
	if o == "*" {
		return nil
	}
	scheme, host, ok := strings.Cut(o, "://")
	if !ok || (scheme != "https" && scheme != "http") || host == "" || strings.ContainsAny(host, "/?#") {
		return fmt.Errorf("origin %q must be * or scheme://host[:port] with no path", o)
	}
	return nil
}

func (b *builder) forms() {
	b.c.Forms = map[string]*Form{}
	for _, name := range sortedNames(b.raw.Forms) {
		rf := b.raw.Forms[name]
		p := "forms." + name
		f := &Form{Name: name, Source: rf.Source, Required: rf.Required, FieldMap: rf.FieldMap, Honeypot: rf.Honeypot}
		if f.Source == "" {
			f.Source = "web_form"
		}
		if !contains(knownSources, f.Source) {
			b.ix.at(p+".source", "unknown source %q (want one of %s)", f.Source, strings.Join(knownSources, ", "))
		}
		b.fieldMap(p+".field_map", rf.FieldMap)
		for i, req := range rf.Required {
			if !contains(CanonicalFields, req) {
				b.ix.at(fmt.Sprintf("%s.required[%d]", p, i), "unknown field %q (want a canonical field: %s)", req, strings.Join(CanonicalFields, ", "))
			}
		}
		if !contains(rf.Required, "email") {
			b.ix.at(p+".required", "must include email: a lead is keyed by its email")
		}
		if _, clash := rf.FieldMap[rf.Honeypot]; clash && rf.Honeypot != "" {
			b.ix.at(p+".honeypot", "%q is also a mapped field", rf.Honeypot)
		}
		if contains(CanonicalFields, rf.Honeypot) {
			b.ix.at(p+".honeypot", "%q is a real lead field", rf.Honeypot)
		}
		b.c.Forms[name] = f
	}
}

func (b *builder) fieldMap(p string, fm map[string]string) {
	for _, from := range sortedNames(fm) {
		if to := fm[from]; !contains(CanonicalFields, to) {
			b.ix.at(p+"."+from, "unknown target field %q (want one of %s)", to, strings.Join(CanonicalFields, ", "))
		}
	}
}

func (b *builder) sources() {
	b.c.Sources = map[string]*Source{}
	for _, name := range sortedNames(b.raw.Sources) {
		b.fieldMap("sources."+name+".field_map", b.raw.Sources[name].FieldMap)
		b.c.Sources[name] = &Source{Name: name, FieldMap: b.raw.Sources[name].FieldMap}
	}
}

func (b *builder) scoring() {
	rs := b.raw.Scoring
	spec := scoring.Spec{
		Version: b.raw.Version, Window: rs.Window.D(), DecayEvery: rs.DecayEvery.D(), Predictor: b.predictor(), Compile: b.compile,
		Thresholds: scoring.Thresholds{
			Engaged: rs.Thresholds.Engaged, MQL: rs.Thresholds.MQL, MQLFloor: rs.Thresholds.MQLFloor,
			SQL: rs.Thresholds.SQL, SQLMinFit: rs.Thresholds.SQLMinFit, FastTrack: rs.Thresholds.SQLFastTrack,
		},
	}
	for i, rr := range rs.Rules {
		r := scoring.Rule{Code: rr.Code, Layer: lead.Layer(rr.Layer), Points: rr.Points, When: rr.When, Activity: rr.Activity, Cap: rr.Cap, MinCount: rr.MinCount, NoDecay: rr.Decay != nil && !*rr.Decay}
		modes := 0
		if rr.Each {
			r.Count, modes = scoring.CountEach, modes+1
		}
		if rr.Once {
			r.Count, modes = scoring.CountOnce, modes+1
		}
		if rr.MinCount != 0 {
			r.Count, modes = scoring.CountMin, modes+1
		}
		if modes > 1 {
			b.ix.at(fmt.Sprintf("scoring.rules[%d]", i), "each, once and min_count exclude each other")
		}
		if rr.Decay != nil && rr.Activity == "" {
			b.ix.at(fmt.Sprintf("scoring.rules[%d].decay", i), "applies to activity rules only")
			r.NoDecay = false
		}
		spec.Rules = append(spec.Rules, r)
	}
	m, err := scoring.New(spec)
	var ps scoring.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			if p.Expr != nil {
				b.ix.atExpr("scoring."+p.Path, *p.Expr)
				continue
			}
			b.ix.at("scoring."+p.Path, "%s", p.Message)
		}
		return
	}
	if err != nil {
		b.ix.at("scoring", "%v", err)
		return
	}
	b.c.Scoring = m
}

func (b *builder) routing() {
	b.c.RoutingConfig = b.raw.Routing
	probs := routing.Validate(b.raw.Routing)
	for _, p := range probs {
		b.ix.at("routing."+p.Path, "%s", p.Message)
	}
	if len(probs) > 0 {
		return
	}
	r, err := routing.New(b.raw.Routing)
	if err != nil {
		b.ix.at("routing", "%v", err)
		return
	}
	b.c.Routing = r
}

func (b *builder) sla() {
	s := b.raw.SLA
	b.c.SLA = SLA{AlertAfter: s.AlertAfter.D(), ReassignAfter: s.ReassignAfter.D()}
	if s.AlertAfter <= 0 {
		b.ix.at("sla.alert_after", "must be a positive duration")
	}
	if s.ReassignAfter <= s.AlertAfter {
		b.ix.at("sla.reassign_after", "must be later than alert_after (%s)", s.AlertAfter.D())
	}
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
