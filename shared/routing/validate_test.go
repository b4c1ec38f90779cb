package routing

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/leadflow/leadflow/shared/lead"
)

func TestValidate(t *testing.T) {
	// Messages are for people; the table pins path and rule and checks the
	// message names the offending value.
	type want struct{ Path, Rule, Mentions string }
	tests := []struct {
		name string
		edit func(*Config)
		want []want
	}{
		{"demo roster is valid", func(*Config) {}, nil},
		{"unknown strategy", func(c *Config) { c.Order = []string{"territory", "random"} }, []want{{"order[1]", "random", `"random"`}}},
		{"strategy twice", func(c *Config) { c.Order = []string{"territory", "territory"} }, []want{{"order[1]", "territory", "twice"}}},
		{"unknown rep in team", func(c *Config) { c.Teams[1].Reps[0] = "ghost" }, []want{{"teams[1].reps[0]", "emea", `"ghost"`}}},
		{"rep twice in a team", func(c *Config) { c.Teams[1].Reps[2] = "emea-1" }, []want{{"teams[1].reps[2]", "emea", "twice"}}},
		{"rep in two teams is allowed", func(c *Config) { c.Teams[4].Reps = append(c.Teams[4].Reps, "east-1") }, nil},
		{"empty team", func(c *Config) { c.Teams[2].Reps = nil }, []want{{"teams[2].reps", "apac", "at least one rep"}}},
		{"unknown manager", func(c *Config) { c.Teams[0].Manager = "boss" }, []want{{"teams[0].manager", "us-east", `"boss"`}}},
		{"missing manager", func(c *Config) { c.Teams[0].Manager = "" }, []want{{"teams[0].manager", "us-east", "required"}}},
		{"bad assignment", func(c *Config) { c.Teams[3].Assignment = "random" }, []want{{"teams[3].assignment", "enterprise", `"random"`}}},
		{"duplicate team id", func(c *Config) { c.Teams[1].ID = "us-east" }, []want{{"teams[1].id", "us-east", "duplicate"}}},
		{"missing team id", func(c *Config) { c.Teams[4].ID = ""; c.Fallback = "us-east" }, []want{{"teams[4].id", "", "required"}}},
		{"bad country", func(c *Config) { c.Teams[2].Territory.Countries[0] = "Japan" }, []want{{"teams[2].territory.countries[0]", "apac", `"Japan"`}}},
		{"bad state", func(c *Config) { c.Teams[0].Territory.States[0] = "DE-BY" }, []want{{"teams[0].territory.states[0]", "us-east", `"DE-BY"`}}},
		{"unknown region", func(c *Config) { c.Teams[1].Territory.Regions[0] = "EUROPE" }, []want{{"teams[1].territory.regions[0]", "emea", `"EUROPE"`}}},
		{"empty territory", func(c *Config) { c.Teams[1].Territory = &Territory{} }, []want{{"teams[1].territory", "emea", "countries"}}},
		{"segment max below min", func(c *Config) { c.Teams[3].Segment.MaxEmployees = 10 }, []want{{"teams[3].segment.max_employees", "enterprise", "min_employees"}}},
		{"negative min employees", func(c *Config) { c.Teams[3].Segment.MinEmployees = -1 }, []want{{"teams[3].segment.min_employees", "enterprise", "0 or more"}}},
		{"empty segment", func(c *Config) { c.Teams[3].Segment = &Segment{} }, []want{{"teams[3].segment", "enterprise", "employee range"}}},
		{"rep slack member ID", func(c *Config) { c.Reps[0].Slack = "U024BE7LH" }, nil},
		{"rep slack handle", func(c *Config) { c.Reps[0].Slack = "@ana" }, []want{{"reps[0].slack", "east-1", `"@ana"`}}},
		{"manager slack display name", func(c *Config) { c.Managers[0].Slack = "Maria Carter" }, []want{{"managers[0].slack", "m-east", `"Maria Carter"`}}},
		{"duplicate rep id", func(c *Config) { c.Reps[1].ID = "east-1" }, []want{{"reps[1].id", "east-1", "duplicate"}, {"teams[0].reps[1]", "us-east", `"east-2"`}}},
		{"bad time zone", func(c *Config) { c.Reps[3].TimeZone = "Europe/Londn" }, []want{{"reps[3].time_zone", "emea-1", `"Europe/Londn"`}}},
		{"bad hours", func(c *Config) { c.Reps[0].Hours = "9-5" }, []want{{"reps[0].hours", "east-1", `"9-5"`}}},
		{"hours ending before they start", func(c *Config) { c.Reps[0].Hours = "17:00-09:00" }, []want{{"reps[0].hours", "east-1", "start before end"}}},
		{"bad day", func(c *Config) { c.Reps[0].Days = []string{"mon", "funday"} }, []want{{"reps[0].days[1]", "east-1", `"funday"`}}},
		{"day twice", func(c *Config) { c.Reps[0].Days = []string{"mon", "Mon"} }, []want{{"reps[0].days[1]", "east-1", "twice"}}},
		{"PTO from after to", func(c *Config) { c.Reps[2].PTO = []PTO{{From: "2025-07-10", To: "2025-07-01"}} }, []want{{"reps[2].pto[0]", "east-3", "after"}}},
		{"PTO bad date", func(c *Config) { c.Reps[2].PTO = []PTO{{From: "2025-07-01", To: "10/07/2025"}} }, []want{{"reps[2].pto[0].to", "east-3", `"10/07/2025"`}}},
		{"PTO missing from", func(c *Config) { c.Reps[2].PTO = []PTO{{To: "2025-07-01"}} }, []want{{"reps[2].pto[0].from", "east-3", `""`}}},
		{"negative capacity", func(c *Config) { c.Reps[9].Capacity = -1 }, []want{{"reps[9].capacity", "ent-1", "0"}}},
		{"negative weight", func(c *Config) { c.Reps[9].Weight = -2 }, []want{{"reps[9].weight", "ent-1", "positive"}}},
		{"duplicate manager", func(c *Config) { c.Managers[1].ID = "m-east" }, []want{{"managers[1].id", "m-east", "duplicate"}, {"teams[1].manager", "emea", `"m-emea"`}}},
		{"named account unknown owner", func(c *Config) { c.NamedAccounts[0].Owner = "ghost" }, []want{{"named_accounts[0].owner", "bigco.example", `"ghost"`}}},
		{"named account twice", func(c *Config) { c.NamedAccounts[1].Domain = "www.BIGCO.example" }, []want{{"named_accounts[1].domain", "bigco.example", "twice"}}},
		{"named account without domain", func(c *Config) { c.NamedAccounts[1].Domain = " " }, []want{{"named_accounts[1].domain", "", "required"}}},
		{"unknown fallback", func(c *Config) { c.Fallback = "nowhere" }, []want{{"fallback_team", "nowhere", `"nowhere"`}}},
		{"missing fallback", func(c *Config) { c.Fallback = "" }, []want{{"fallback_team", "", "required"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := demoConfig()
			tc.edit(&cfg)
			ps := Validate(cfg)
			var got []want
			for i, p := range ps {
				w := want{Path: p.Path, Rule: p.Rule}
				if i < len(tc.want) && strings.Contains(p.Message, tc.want[i].Mentions) {
					w.Mentions = tc.want[i].Mentions
				} else {
					w.Mentions = p.Message
				}
				got = append(got, w)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	cfg := demoConfig()
	cfg.Reps[0].TimeZone = "Mars/Olympus"
	cfg.Fallback = "nowhere"
	r, err := New(cfg)
	if r != nil {
		t.Errorf("New returned a router for an invalid config")
	}
	if code := lead.ErrorCode(err); code != lead.EINVALID {
		t.Fatalf("error code = %q, want %q (err: %v)", code, lead.EINVALID, err)
	}
	for _, want := range []string{"2 problem(s)", "reps[0].time_zone", "fallback_team"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestNewCopiesConfig: a router is unaffected by later edits to the config
// it was built from.
func TestNewCopiesConfig(t *testing.T) {
	cfg := demoConfig()
	cfg.Order = []string{StrategyTerritory, StrategySegment}
	r := mustRouter(t, cfg)
	cfg.Order[0] = StrategySegment
	d := r.Route(Input{Lead: newLead("US", "NY", 0, "", ""), Now: wed1500}, &MemCounters{}, nil)
	if d.Rule != StrategyTerritory {
		t.Errorf("rule = %q, want territory", d.Rule)
	}
}
