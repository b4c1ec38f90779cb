package routing

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

// Strategy names accepted in Config.Order, and the rule reported when the
// fallback team was used.
const (
	StrategyNamedAccount = "named_account"
	StrategyAccountOwner = "account_owner"
	StrategyTerritory    = "territory"
	StrategySegment      = "segment"
	RuleFallback         = "fallback"
)

// Assignment modes of a team.
const (
	AssignRoundRobin = "round_robin"
	AssignCapacity   = "capacity"
)

// DefaultOrder returns the strategy order used when Config.Order is empty.
func DefaultOrder() []string {
	return []string{StrategyNamedAccount, StrategyAccountOwner, StrategyTerritory, StrategySegment}
}

// Problem is one defect of a routing config.
type Problem struct {
	Path    string // where, in the config file's names: "teams[1].reps[0]", "reps[3].time_zone"
	Rule    string // the id of the team, rep, manager or account (domain) at fault
	Message string
}

// String renders the problem as one line for logs and CLI output.
func (p Problem) String() string {
	if p.Rule == "" {
		return p.Path + ": " + p.Message
	}
	return p.Path + " (" + p.Rule + "): " + p.Message
}

// Validate checks a routing config and returns every problem found, in
// config order; none means New will accept it. It never fails otherwise.
//
// Decisions it encodes: a rep may belong to several teams (a rep covering
// two territories); TeamOf then reports the first. Every team needs a
// manager, since the queue path alerts one, and at least one rep. A
// fallback team is required. Time zones must load with time.LoadLocation;
// an empty time zone means UTC, empty hours mean 09:00-17:00, no days mean
// mon-fri. A PTO without "to" is a single day.
func Validate(cfg Config) []Problem {
	v := validator{}
	v.order(cfg.Order)
	reps := v.reps(cfg.Reps)
	managers := v.managers(cfg.Managers)
	teams := v.teams(cfg.Teams, reps, managers)
	v.namedAccounts(cfg.NamedAccounts, reps)
	switch {
	case cfg.Fallback == "":
		v.add("fallback_team", "", "a fallback team is required for leads no territory or segment matches")
	case !teams[cfg.Fallback]:
		v.add("fallback_team", cfg.Fallback, "unknown team "+strconv.Quote(cfg.Fallback))
	}
	return v.problems
}

type validator struct{ problems []Problem }

func (v *validator) add(path, rule, msg string) {
	v.problems = append(v.problems, Problem{Path: path, Rule: rule, Message: msg})
}

func index(base string, i int) string { return base + "[" + strconv.Itoa(i) + "]" }

func (v *validator) order(order []string) {
	seen := map[string]bool{}
	for i, s := range order {
		p := index("order", i)
		switch s {
		case StrategyNamedAccount, StrategyAccountOwner, StrategyTerritory, StrategySegment:
		default:
			v.add(p, s, "unknown strategy "+strconv.Quote(s)+"; known: "+strings.Join(DefaultOrder(), ", "))
			continue
		}
		if seen[s] {
			v.add(p, s, "strategy listed twice")
		}
		seen[s] = true
	}
}

// ids checks one id and records it, reporting empty and duplicate ids.
func (v *validator) id(path, id string, seen map[string]bool) {
	switch {
	case id == "":
		v.add(path, "", "id is required")
	case seen[id]:
		v.add(path, id, "duplicate id "+strconv.Quote(id))
	}
	seen[id] = true
}

func (v *validator) reps(reps []Rep) map[string]bool {
	seen := map[string]bool{}
	for i, r := range reps {
		p := index("reps", i)
		v.id(p+".id", r.ID, seen)
		v.slack(p+".slack", r.ID, r.Slack)
		if _, err := loadLocation(r.TimeZone); err != nil {
			v.add(p+".time_zone", r.ID, "unknown time zone "+strconv.Quote(r.TimeZone))
		}
		if _, _, ok := parseHours(orDefault(r.Hours, defaultHours)); !ok {
			v.add(p+".hours", r.ID, "hours must look like 09:00-17:00 with start before end, got "+strconv.Quote(r.Hours))
		}
		days := map[string]bool{}
		for j, d := range r.Days {
			name := strings.ToLower(strings.TrimSpace(d))
			if _, ok := weekdays[name]; !ok {
				v.add(index(p+".days", j), r.ID, "unknown day "+strconv.Quote(d)+"; use mon, tue, wed, thu, fri, sat, sun")
			} else if days[name] {
				v.add(index(p+".days", j), r.ID, "day listed twice")
			}
			days[name] = true
		}
		for j, a := range r.PTO {
			pp := index(p+".pto", j)
			from, ok := parseDate(a.From)
			if !ok {
				v.add(pp+".from", r.ID, "date must look like 2006-01-02, got "+strconv.Quote(a.From))
				continue
			}
			if a.To == "" {
				continue
			}
			to, ok := parseDate(a.To)
			switch {
			case !ok:
				v.add(pp+".to", r.ID, "date must look like 2006-01-02, got "+strconv.Quote(a.To))
			case from > to:
				v.add(pp, r.ID, "from "+a.From+" is after to "+a.To)
			}
		}
		if r.Capacity < 0 {
			v.add(p+".capacity", r.ID, "capacity must be 0 (no limit) or more")
		}
		if r.Weight < 0 {
			v.add(p+".weight", r.ID, "weight must be positive (0 means 1)")
		}
	}
	return seen
}

func (v *validator) managers(ms []Manager) map[string]bool {
	seen := map[string]bool{}
	for i, m := range ms {
		v.id(index("managers", i)+".id", m.ID, seen)
		v.slack(index("managers", i)+".slack", m.ID, m.Slack)
	}
	return seen
}

// slackMember is a Slack member ID (U… or W…), what a mention needs; a
// display name or handle would post as plain text and notify nobody.
var slackMember = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)

func (v *validator) slack(path, id, member string) {
	if member != "" && !slackMember.MatchString(member) {
		v.add(path, id, "must be a Slack member ID such as U024BE7LH (profile → Copy member ID), got "+strconv.Quote(member))
	}
}

func (v *validator) teams(teams []Team, reps, managers map[string]bool) map[string]bool {
	seen := map[string]bool{}
	for i, t := range teams {
		p := index("teams", i)
		v.id(p+".id", t.ID, seen)
		switch {
		case t.Manager == "":
			v.add(p+".manager", t.ID, "a manager is required: the team queue alerts one")
		case !managers[t.Manager]:
			v.add(p+".manager", t.ID, "unknown manager "+strconv.Quote(t.Manager))
		}
		switch t.Assignment {
		case "", AssignRoundRobin, AssignCapacity:
		default:
			v.add(p+".assignment", t.ID, "assignment must be round_robin or capacity, got "+strconv.Quote(t.Assignment))
		}
		if len(t.Reps) == 0 {
			v.add(p+".reps", t.ID, "a team needs at least one rep")
		}
		members := map[string]bool{}
		for j, r := range t.Reps {
			switch {
			case !reps[r]:
				v.add(index(p+".reps", j), t.ID, "unknown rep "+strconv.Quote(r))
			case members[r]:
				v.add(index(p+".reps", j), t.ID, "rep "+strconv.Quote(r)+" listed twice")
			}
			members[r] = true
		}
		if t.Territory != nil {
			v.territory(p+".territory", t.ID, t.Territory)
		}
		if t.Segment != nil {
			v.segment(p+".segment", t.ID, t.Segment)
		}
	}
	return seen
}

func (v *validator) territory(p, team string, t *Territory) {
	if len(t.Countries)+len(t.States)+len(t.Regions) == 0 {
		v.add(p, team, "a territory needs countries, states or regions")
	}
	for i, c := range t.Countries {
		if !isAlpha2(strings.ToUpper(strings.TrimSpace(c))) {
			v.add(index(p+".countries", i), team, "country must be an ISO 3166-1 alpha-2 code, got "+strconv.Quote(c))
		}
	}
	for i, s := range t.States {
		if stateCode(s) == "" {
			v.add(index(p+".states", i), team, "state must be a US/CA subdivision code like NY or US-NY, got "+strconv.Quote(s))
		}
	}
	for i, r := range t.Regions {
		if !knownRegions[strings.ToUpper(strings.TrimSpace(r))] {
			v.add(index(p+".regions", i), team, "unknown region "+strconv.Quote(r)+"; known: NA, LATAM, EMEA, APAC")
		}
	}
}

func (v *validator) segment(p, team string, s *Segment) {
	if s.MinEmployees < 0 {
		v.add(p+".min_employees", team, "min_employees must be 0 or more")
	}
	if s.MaxEmployees < 0 || (s.MaxEmployees > 0 && s.MaxEmployees < s.MinEmployees) {
		v.add(p+".max_employees", team, "max_employees must be 0 (no upper bound) or at least min_employees")
	}
	if s.MinEmployees == 0 && s.MaxEmployees == 0 && len(s.Industries) == 0 {
		v.add(p, team, "a segment needs an employee range or industries")
	}
}

func (v *validator) namedAccounts(nas []NamedAccount, reps map[string]bool) {
	seen := map[string]bool{}
	for i, na := range nas {
		p := index("named_accounts", i)
		domain := normDomain(na.Domain)
		switch {
		case domain == "":
			v.add(p+".domain", "", "domain is required")
		case seen[domain]:
			v.add(p+".domain", domain, "domain listed twice")
		}
		seen[domain] = true
		if !reps[na.Owner] {
			v.add(p+".owner", domain, "unknown rep "+strconv.Quote(na.Owner))
		}
	}
}

// knownRegions are the sales regions lead.Region returns.
var knownRegions = map[string]bool{lead.RegionNA: true, lead.RegionLATAM: true, lead.RegionEMEA: true, lead.RegionAPAC: true}

// locations caches loaded zones: reps share a handful, and each load reads
// and parses the zone's file.
var locations sync.Map // name → *time.Location

// loadLocation loads an IANA zone; empty means UTC.
func loadLocation(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, loc)
	return loc, nil
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func isAlpha2(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// stateCode normalises "ny", "NY" or "US-NY" to "NY"; "" if malformed.
func stateCode(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if c, sub, ok := strings.Cut(s, "-"); ok {
		if c != "US" && c != "CA" {
			return ""
		}
		s = sub
	}
	if len(s) < 2 || len(s) > 3 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < 'A' || s[i] > 'Z') && (s[i] < '0' || s[i] > '9') {
			return ""
		}
	}
	return s
}

// normDomain lower-cases a domain and strips a leading "www.".
func normDomain(d string) string {
	return strings.TrimPrefix(strings.ToLower(strings.TrimSpace(d)), "www.")
}
