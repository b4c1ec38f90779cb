// Package routing decides who owns a lead: named accounts, account
// ownership, territory, segment, then round-robin or capacity-weighted
// assignment within a team, honouring working hours and PTO, with a team
// queue and a manager alert when nobody is eligible. Decisions are pure
// functions of the lead, the roster, the clock and two small lookups
// (rotation counters and open-lead counts).
package routing

// Config is the routing section of the config file.
type Config struct {
	// Order lists the strategies tried, first match wins. Known strategies:
	// named_account, account_owner, territory, segment. Omitted: that order.
	Order         []string       `yaml:"order"`
	NamedAccounts []NamedAccount `yaml:"named_accounts"`
	Teams         []Team         `yaml:"teams"`
	Reps          []Rep          `yaml:"reps"`
	Managers      []Manager      `yaml:"managers"`
	// Fallback is the team used when no territory or segment matches.
	Fallback string `yaml:"fallback_team"`
}

// NamedAccount sends every contact of a domain to one rep.
type NamedAccount struct {
	Domain string `yaml:"domain"`
	Owner  string `yaml:"owner"`
}

// Team is a pool of reps with a territory or segment and a manager.
type Team struct {
	ID      string `yaml:"id"`
	Name    string `yaml:"name"`
	Manager string `yaml:"manager"`
	// Queue is where leads wait when no rep of the team is eligible.
	Queue string `yaml:"queue"`
	// Assignment is round_robin (default) or capacity (fewest open leads).
	Assignment string     `yaml:"assignment"`
	Territory  *Territory `yaml:"territory"`
	Segment    *Segment   `yaml:"segment"`
	Reps       []string   `yaml:"reps"`
}

// Territory matches a lead by country, US/CA state or region.
type Territory struct {
	Countries []string `yaml:"countries"` // ISO alpha-2
	States    []string `yaml:"states"`    // subdivision codes, e.g. NY
	Regions   []string `yaml:"regions"`   // named groups, e.g. EMEA (expanded by the config)
}

// Segment matches a lead by headcount and industry.
type Segment struct {
	MinEmployees int      `yaml:"min_employees"`
	MaxEmployees int      `yaml:"max_employees"` // 0: no upper bound
	Industries   []string `yaml:"industries"`
}

// Rep is a sales rep.
type Rep struct {
	ID       string `yaml:"id"`
	Name     string `yaml:"name"`
	Email    string `yaml:"email"`
	Slack    string `yaml:"slack"`
	TimeZone string `yaml:"time_zone"` // IANA, e.g. America/New_York
	// Hours are the working hours in the rep's time zone, e.g. "09:00-17:00".
	Hours string   `yaml:"hours"`
	Days  []string `yaml:"days"` // mon…sun; default mon-fri
	PTO   []PTO    `yaml:"pto"`
	// Capacity is the most open leads the rep may hold; 0 means no limit.
	Capacity int `yaml:"capacity"`
	// Weight scales the rep's share in capacity assignment; default 1.
	Weight float64 `yaml:"weight"`
}

// PTO is an absence, inclusive dates (YYYY-MM-DD) in the rep's time zone.
type PTO struct {
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// Manager receives alerts for a team.
type Manager struct {
	ID    string `yaml:"id"`
	Name  string `yaml:"name"`
	Email string `yaml:"email"`
	Slack string `yaml:"slack"`
}
