// Package mappingfile reads history mapping files: the YAML that maps a CRM
// export's columns to leads, outcomes and model features (package history
// holds the mapping itself). Apart from history so that what only scores
// with a trained model links no YAML parser.
package mappingfile

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/leadflow/leadflow/shared/history"
	"github.com/leadflow/leadflow/shared/lead"
)

// Lead roles a field may play. A closed list so that a typo is caught at
// load time rather than producing a lead without its persona.
var fieldRoles = []string{"persona", "title", "company", "industry", "country", "state", "city", "employees", "form", "campaign"}

// Defaults of the model options.
const (
	defaultMinLevelCount = 10
	defaultL2            = 1.0
)

// Load reads and validates the mapping file at path. It returns an
// EINVALID error listing every problem with its file:line position (unknown
// keys, wrong types, unknown roles, duplicate names); an unreadable file
// returns the os error wrapped.
func Load(path string) (*history.Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mapping: %w", err)
	}
	return Parse(filepath.Base(path), data)
}

// Parse validates a mapping read from file (a name used in error
// positions). Errors are as for Load.
func Parse(file string, data []byte) (*history.Mapping, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, &lead.Error{Code: lead.EINVALID, Field: file, Message: "not valid YAML", Err: err}
	}
	p := &parser{file: file, declared: map[string]int{}}
	m := &history.Mapping{File: file, TimeLayout: "2006-01-02T15:04:05Z07:00", Model: history.ModelOptions{L2: defaultL2, Cutoff: "accuracy", MinLevelCount: defaultMinLevelCount}}
	if len(doc.Content) == 0 {
		return nil, &lead.Error{Code: lead.EINVALID, Field: file, Message: "empty mapping"}
	}
	p.parse(doc.Content[0], m)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return m, nil
}

// parser walks the YAML node tree, collecting every problem rather than
// stopping at the first, so one run shows the whole list.
type parser struct {
	file     string
	errs     []error
	declared map[string]int // feature name → line of its declaration
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, &lead.Error{Code: lead.EINVALID, Field: fmt.Sprintf("%s:%d", p.file, n.Line), Message: fmt.Sprintf(format, args...)})
}

// object calls keys[k] for each key k of the mapping node n; an unknown or
// repeated key is an error. It reports whether n was a mapping.
func (p *parser) object(n *yaml.Node, where string, keys map[string]func(*yaml.Node)) bool {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: expected a mapping", where)
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			p.errorf(k, "%s: key %q repeated", where, k.Value)
			continue
		}
		seen[k.Value] = true
		fn, ok := keys[k.Value]
		if !ok {
			p.errorf(k, "%s: unknown key %q (known: %s)", where, k.Value, strings.Join(sortedKeys(keys), ", "))
			continue
		}
		fn(v)
	}
	return true
}

// entries iterates a mapping of name → object in document order.
func (p *parser) entries(n *yaml.Node, where string, each func(name string, key, val *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: expected a mapping of names", where)
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		each(n.Content[i].Value, n.Content[i], n.Content[i+1])
	}
}

func (p *parser) str(n *yaml.Node, where string) string {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "%s: expected a string", where)
		return ""
	}
	return n.Value
}

func (p *parser) strs(n *yaml.Node, where string) []string {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s: expected a list", where)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, p.str(c, where))
	}
	return out
}

func (p *parser) number(n *yaml.Node, where string) float64 {
	f, err := strconv.ParseFloat(p.str(n, where), 64)
	if n.Kind == yaml.ScalarNode && (err != nil || math.IsNaN(f) || math.IsInf(f, 0)) {
		p.errorf(n, "%s: %q is not a number", where, n.Value)
	}
	return f
}

func (p *parser) count(n *yaml.Node, where string) int {
	i, err := strconv.Atoi(p.str(n, where))
	if n.Kind == yaml.ScalarNode && (err != nil || i < 1) {
		p.errorf(n, "%s: %q is not a positive integer", where, n.Value)
	}
	return i
}

func (p *parser) boolean(n *yaml.Node, where string) bool {
	b, err := strconv.ParseBool(p.str(n, where))
	if n.Kind == yaml.ScalarNode && err != nil {
		p.errorf(n, "%s: %q is not true or false", where, n.Value)
	}
	return b
}

// column parses {column: NAME}, the form every single-column role takes.
func (p *parser) column(n *yaml.Node, where string, extra map[string]func(*yaml.Node)) *history.Column {
	var c *history.Column
	keys := map[string]func(*yaml.Node){"column": func(v *yaml.Node) {
		c = &history.Column{Name: p.str(v, where+".column"), Line: v.Line}
	}}
	for k, fn := range extra {
		keys[k] = fn
	}
	if p.object(n, where, keys) && c == nil {
		p.errorf(n, "%s: column is required", where)
	}
	return c
}

func (p *parser) parse(root *yaml.Node, m *history.Mapping) {
	var signals, categoricals, interactions *yaml.Node
	var sourceLine int
	outcomeSeen := false
	p.object(root, "mapping", map[string]func(*yaml.Node){
		"id": func(v *yaml.Node) { m.ID = p.column(v, "id", nil) },
		"created_at": func(v *yaml.Node) {
			m.CreatedAt = p.column(v, "created_at", map[string]func(*yaml.Node){"layout": func(l *yaml.Node) { m.TimeLayout = p.str(l, "created_at.layout") }})
		},
		"outcome": func(v *yaml.Node) { outcomeSeen = true; p.outcome(v, m) },
		"source":  func(v *yaml.Node) { m.Source = p.column(v, "source", nil); sourceLine = v.Line },
		"fields":  func(v *yaml.Node) { p.fields(v, m) },
		"signals": func(v *yaml.Node) { signals = v },
		"categoricals": func(v *yaml.Node) {
			categoricals = v
		},
		"interactions": func(v *yaml.Node) { interactions = v },
		"missing":      func(v *yaml.Node) { m.Missing = p.strs(v, "missing") },
		"ignore": func(v *yaml.Node) {
			if v.Kind != yaml.SequenceNode {
				p.errorf(v, "ignore: expected a list of columns")
				return
			}
			for _, c := range v.Content {
				m.Ignore = append(m.Ignore, history.Column{Name: p.str(c, "ignore"), Line: c.Line})
			}
		},
		"score": func(v *yaml.Node) { m.Score = p.column(v, "score", nil) },
		"stage": func(v *yaml.Node) { m.Stage = p.column(v, "stage", nil) },
		"speed_to_lead": func(v *yaml.Node) {
			m.SpeedUnit = "seconds"
			m.SpeedToLead = p.column(v, "speed_to_lead", map[string]func(*yaml.Node){"unit": func(u *yaml.Node) {
				m.SpeedUnit = history.DurationUnit(p.str(u, "speed_to_lead.unit"))
				if !slices.Contains([]history.DurationUnit{"seconds", "minutes", "hours", "duration"}, m.SpeedUnit) {
					p.errorf(u, "speed_to_lead.unit: %q is not seconds, minutes, hours or duration", u.Value)
				}
			}})
		},
		"sla_breached": func(v *yaml.Node) { p.slaBreached(v, m) },
		"model":        func(v *yaml.Node) { p.modelOptions(v, m) },
	})
	if !outcomeSeen {
		p.errorf(root, "mapping: outcome is required")
	}
	// Features are assembled after the model options so that the default
	// level count applies whatever the key order in the file.
	if m.Source != nil {
		p.addFeature(m, history.FeatureSpec{Name: history.SourceFeature, Kind: history.Categorical, Column: m.Source.Name, MinCount: m.Model.MinLevelCount}, sourceLine)
	}
	for _, f := range m.Fields {
		p.addFeature(m, history.FeatureSpec{Name: f.Name, Kind: history.Categorical, Column: f.Column.Name, MinCount: m.Model.MinLevelCount}, f.Column.Line)
	}
	if signals != nil {
		p.signals(signals, m)
	}
	if categoricals != nil {
		p.categoricals(categoricals, m)
	}
	if interactions != nil {
		p.interactions(interactions, m)
	}
}

func (p *parser) addFeature(m *history.Mapping, f history.FeatureSpec, line int) {
	if _, dup := p.declared[f.Name]; dup {
		p.errs = append(p.errs, &lead.Error{Code: lead.EINVALID, Field: fmt.Sprintf("%s:%d", p.file, line), Message: fmt.Sprintf("feature %q declared twice", f.Name)})
		return
	}
	p.declared[f.Name] = line
	f.Line = line
	m.Features = append(m.Features, f)
}

func (p *parser) outcome(n *yaml.Node, m *history.Mapping) {
	c := p.column(n, "outcome", map[string]func(*yaml.Node){
		"won":  func(v *yaml.Node) { m.Outcome.Won = p.strs(v, "outcome.won") },
		"lost": func(v *yaml.Node) { m.Outcome.Lost = p.strs(v, "outcome.lost") },
		"open": func(v *yaml.Node) { m.Outcome.Open = p.strs(v, "outcome.open") },
	})
	if c != nil {
		m.Outcome.Column = *c
	}
	if len(m.Outcome.Won) == 0 || len(m.Outcome.Lost) == 0 {
		p.errorf(n, "outcome: won and lost tokens are required")
	}
	for _, w := range m.Outcome.Won {
		if slices.Contains(m.Outcome.Lost, w) || slices.Contains(m.Outcome.Open, w) {
			p.errorf(n, "outcome: token %q is in more than one list", w)
		}
	}
	for _, l := range m.Outcome.Lost {
		if slices.Contains(m.Outcome.Open, l) {
			p.errorf(n, "outcome: token %q is in more than one list", l)
		}
	}
}

func (p *parser) fields(n *yaml.Node, m *history.Mapping) {
	p.entries(n, "fields", func(name string, key, val *yaml.Node) {
		where := "fields." + name
		f := history.FieldMapping{Name: name}
		c := p.column(val, where, map[string]func(*yaml.Node){"as": func(v *yaml.Node) {
			f.As = p.str(v, where+".as")
			if !slices.Contains(fieldRoles, f.As) {
				p.errorf(v, "%s.as: unknown role %q (known: %s)", where, f.As, strings.Join(fieldRoles, ", "))
			}
		}})
		if c == nil {
			return
		}
		f.Column = *c
		m.Fields = append(m.Fields, f)
	})
}

func (p *parser) signals(n *yaml.Node, m *history.Mapping) {
	p.entries(n, "signals", func(name string, key, val *yaml.Node) {
		where := "signals." + name
		f := history.FeatureSpec{Name: name, Kind: history.Numeric, Transform: history.Log1p}
		c := p.column(val, where, map[string]func(*yaml.Node){
			"transform": func(v *yaml.Node) {
				f.Transform = history.Transform(p.str(v, where+".transform"))
				if f.Transform != history.Log1p && f.Transform != history.Identity {
					p.errorf(v, "%s.transform: %q is not log1p or identity", where, v.Value)
				}
			},
			"bins": func(v *yaml.Node) {
				if v.Kind != yaml.SequenceNode {
					p.errorf(v, "%s.bins: expected a list of numbers", where)
					return
				}
				for _, b := range v.Content {
					f.Bins = append(f.Bins, p.number(b, where+".bins"))
				}
				if !slices.IsSorted(f.Bins) || len(slices.Compact(slices.Clone(f.Bins))) != len(f.Bins) {
					p.errorf(v, "%s.bins: edges must be strictly increasing", where)
				}
			},
			"required": func(v *yaml.Node) { f.Required = p.boolean(v, where+".required") },
		})
		if c == nil {
			return
		}
		f.Column = c.Name
		p.addFeature(m, f, c.Line)
	})
}

func (p *parser) categoricals(n *yaml.Node, m *history.Mapping) {
	p.entries(n, "categoricals", func(name string, key, val *yaml.Node) {
		where := "categoricals." + name
		f := history.FeatureSpec{Name: name, Kind: history.Categorical, MinCount: m.Model.MinLevelCount}
		c := p.column(val, where, map[string]func(*yaml.Node){
			"min_count": func(v *yaml.Node) { f.MinCount = p.count(v, where+".min_count") },
			"required":  func(v *yaml.Node) { f.Required = p.boolean(v, where+".required") },
		})
		if c == nil {
			return
		}
		f.Column = c.Name
		p.addFeature(m, f, c.Line)
	})
}

func (p *parser) interactions(n *yaml.Node, m *history.Mapping) {
	p.entries(n, "interactions", func(name string, key, val *yaml.Node) {
		where := "interactions." + name
		f := history.FeatureSpec{Name: name, Kind: history.Categorical, MinCount: m.Model.MinLevelCount}
		ofLine := val.Line
		p.object(val, where, map[string]func(*yaml.Node){
			"of": func(v *yaml.Node) {
				f.Of = p.strs(v, where+".of")
				ofLine = v.Line
			},
			"min_count": func(v *yaml.Node) { f.MinCount = p.count(v, where+".min_count") },
		})
		if len(f.Of) != 2 {
			p.errorf(val, "%s.of: expected two feature names", where)
			return
		}
		for _, of := range f.Of {
			i := slices.IndexFunc(m.Features, func(g history.FeatureSpec) bool { return g.Name == of })
			switch {
			case i < 0:
				p.errs = append(p.errs, &lead.Error{Code: lead.EINVALID, Field: fmt.Sprintf("%s:%d", p.file, ofLine), Message: fmt.Sprintf("%s.of: unknown feature %q", where, of)})
			case m.Features[i].Of != nil:
				p.errs = append(p.errs, &lead.Error{Code: lead.EINVALID, Field: fmt.Sprintf("%s:%d", p.file, ofLine), Message: fmt.Sprintf("%s.of: %q is itself an interaction", where, of)})
			case m.Features[i].Kind == history.Numeric && len(m.Features[i].Bins) == 0:
				p.errs = append(p.errs, &lead.Error{Code: lead.EINVALID, Field: fmt.Sprintf("%s:%d", p.file, ofLine), Message: fmt.Sprintf("%s.of: numeric feature %q has no bins to cross", where, of)})
			}
		}
		p.addFeature(m, f, key.Line)
	})
}

func (p *parser) slaBreached(n *yaml.Node, m *history.Mapping) {
	b := &history.BoolColumn{True: []string{"true", "yes", "1"}, False: []string{"false", "no", "0"}}
	c := p.column(n, "sla_breached", map[string]func(*yaml.Node){
		"true":  func(v *yaml.Node) { b.True = p.strs(v, "sla_breached.true") },
		"false": func(v *yaml.Node) { b.False = p.strs(v, "sla_breached.false") },
	})
	if c == nil {
		return
	}
	b.Column = *c
	m.SLABreached = b
}

func (p *parser) modelOptions(n *yaml.Node, m *history.Mapping) {
	p.object(n, "model", map[string]func(*yaml.Node){
		"l2": func(v *yaml.Node) {
			m.Model.L2 = p.number(v, "model.l2")
			if m.Model.L2 <= 0 {
				p.errorf(v, "model.l2: must be positive")
			}
		},
		"cutoff": func(v *yaml.Node) {
			m.Model.Cutoff = p.str(v, "model.cutoff")
			if m.Model.Cutoff != "accuracy" && m.Model.Cutoff != "youden" {
				p.errorf(v, "model.cutoff: %q is not accuracy or youden", v.Value)
			}
		},
		"min_level_count": func(v *yaml.Node) { m.Model.MinLevelCount = p.count(v, "model.min_level_count") },
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// LoadDataset imports the CSV file at csvPath through the mapping file at
// mappingPath: Load, then history.Load. Errors are theirs.
func LoadDataset(csvPath, mappingPath string) (*history.Dataset, error) {
	m, err := Load(mappingPath)
	if err != nil {
		return nil, err
	}
	return history.Load(csvPath, m)
}
