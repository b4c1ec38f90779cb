// Package config is leadflow's one config, checked: forms and source field
// maps, scoring rules and thresholds, the routing roster, SLA, nurture
// cadences, enrichment providers and the scenarios that test them. Build
// checks a decoded file — CEL rules against the domain types, references
// between sections — and reports every problem with its file, line and
// rule, so a bad config never reaches production; package configfile reads
// the YAML file (unknown keys, types) into it. A deployed function loads
// the compiled form instead (LoadCompiled), without a YAML parser.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

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

// Input is a config file as a reader decoded it; package configfile reads
// the YAML into one.
type Input struct {
	File string // the file's name, for errors
	FS   fs.FS  // resolves the relative paths inside the file (datasets)
	Doc  *Document
	// Locator places paths in the file for errors; nil: no positions.
	Locator Locator
	// ReadErrors are the reader's own (values of the wrong type). Build
	// lists its own after them, leaving out those about the same items: a
	// wrong value decodes as zero, and checking that zero would only echo
	// the error.
	ReadErrors Errors
}

// Build checks a decoded config file — required values, references
// between sections, rule expressions (compiled with compile, e.g.
// celrules.Compile), scenarios — and compiles its engines. Returns Errors
// listing every problem in file order.
func Build(in Input, compile scoring.Compiler) (*Config, error) {
	return assemble(in, compile, (*builder).scenarios)
}

// assemble is Build with extra checks run after the engines are built (the
// scenarios: LoadCompiled passes none, so a function links no lead parser
// for tests it never runs).
func assemble(in Input, compile scoring.Compiler, extra ...func(*builder)) (*Config, error) {
	ix := &index{file: in.File, loc: in.Locator, errs: in.ReadErrors}
	if ix.loc == nil {
		ix.loc = nowhere{}
	}
	c := &Config{File: in.File, FS: in.FS}
	b := builder{ix: ix, c: c, raw: in.Doc, compile: compile}
	b.build()
	for _, f := range extra {
		f(&b)
	}
	ix.dropEchoes(len(in.ReadErrors))
	if len(ix.errs) > 0 {
		sort.SliceStable(ix.errs, func(i, j int) bool { return ix.errs[i].Line < ix.errs[j].Line })
		return nil, ix.errs
	}
	return c, nil
}

// compiledForm is the compiled form of a config file: the file as decoded
// and its rules as checked.
type compiledForm struct {
	File   string
	Config *Document
	Rules  *scoring.Compiled
}

// EncodeCompiled returns the compiled form of the config file named file:
// doc as decoded and rules, its rule expressions as the checker compiled
// them (scoring.Compiled.Record). LoadCompiled builds the same Config from
// it without a YAML parser or a rule checker — what `cdk synth` ships to
// the functions, which then start faster and link neither. The form leaves
// out the scenarios: they are checked where the file is written and run by
// `leadflow test`, never by a function.
func EncodeCompiled(file string, doc *Document, rules *scoring.Compiled) ([]byte, error) {
	shipped := *doc
	shipped.Scenarios = nil
	form, err := json.Marshal(compiledForm{File: file, Config: &shipped, Rules: rules})
	if err != nil {
		return nil, fmt.Errorf("compile config: %w", err)
	}
	return form, nil
}

// LoadCompiled builds the Config from the compiled form EncodeCompiled
// wrote at path; the config's relative paths (datasets) resolve against
// path's directory. Returns EUNAVAILABLE when the file cannot be read or
// decoded, or Errors (without lines) if it does not build — a form written
// by another version of leadflow, say.
func LoadCompiled(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, lead.Errorf(lead.EUNAVAILABLE, "load compiled config: %v", err)
	}
	var form compiledForm
	if err := json.Unmarshal(data, &form); err != nil || form.Config == nil || form.Rules == nil {
		return nil, lead.Errorf(lead.EUNAVAILABLE, "load compiled config %s: not a compiled config (%v)", path, err)
	}
	return assemble(Input{File: form.File, FS: os.DirFS(filepath.Dir(path)), Doc: form.Config}, form.Rules.Compiler())
}

// builder turns the decoded file into a Config, recording problems.
type builder struct {
	ix      *index
	c       *Config
	raw     *Document
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
		Version: b.raw.Version, Window: b.duration("scoring.window", rs.Window), DecayEvery: b.duration("scoring.decay_every", rs.DecayEvery), Predictor: b.predictor(), Compile: b.compile,
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
	written := len(b.ix.errs)
	sla := SLA{AlertAfter: b.duration("sla.alert_after", s.AlertAfter), ReassignAfter: b.duration("sla.reassign_after", s.ReassignAfter)}
	b.c.SLA = sla
	if len(b.ix.errs) > written {
		return // a bad duration, reported; comparing its zero would only echo it
	}
	if sla.AlertAfter <= 0 {
		b.ix.at("sla.alert_after", "must be a positive duration")
	}
	if sla.ReassignAfter <= sla.AlertAfter {
		b.ix.at("sla.reassign_after", "must be later than alert_after (%s)", sla.AlertAfter)
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
