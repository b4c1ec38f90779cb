package config

import (
	"sort"
	"strings"

	"github.com/leadflow/leadflow/shared/scoring"
)

// RuleFields returns the lead fields some rule reads — scoring rules,
// nurture conditions and the lead fields templates merge, and the fields routing matches on —
// as their JSON names ("employees", "industry"), sorted. An account field
// counts as the lead field of the same name. Enrichment requests only
// these.
func (c *Config) RuleFields() []string {
	set := map[string]bool{}
	for _, f := range c.Scoring.Fields() {
		set[f] = true
	}
	for _, cad := range c.Nurture {
		for _, s := range cad.Steps {
			for _, x := range []*scoring.Expr{s.When, s.SkipIf} {
				if x != nil {
					for _, f := range x.Fields() {
						set[f] = true
					}
				}
			}
			for _, text := range []string{s.Subject, s.Body} {
				for _, m := range mergeRe.FindAllStringSubmatch(text, -1) {
					if contains(CanonicalFields, m[1]) {
						set["lead."+m[1]] = true
					}
				}
			}
		}
	}
	rc := c.RoutingConfig
	if len(rc.NamedAccounts) > 0 {
		set["lead.domain"] = true
	}
	for _, t := range rc.Teams {
		if t.Territory != nil {
			set["lead.country"] = true
			if len(t.Territory.States) > 0 {
				set["lead.state"] = true
			}
		}
		if t.Segment != nil {
			if t.Segment.MinEmployees > 0 || t.Segment.MaxEmployees > 0 {
				set["lead.employees"] = true
			}
			if len(t.Segment.Industries) > 0 {
				set["lead.industry"] = true
			}
		}
	}
	names := map[string]bool{}
	for f := range set {
		_, name, _ := strings.Cut(f, ".")
		names[name] = true
	}
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
