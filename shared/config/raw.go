package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/routing"
)

// Document is a config file as written, decoded (by package configfile,
// from YAML) but not yet checked: Build checks it and compiles the engines
// from it. It is also what the compiled form carries.
type Document struct {
	Version     string               `yaml:"version"`
	CORSOrigins []string             `yaml:"cors_origins"`
	Forms       map[string]rawForm   `yaml:"forms"`
	Sources     map[string]rawSource `yaml:"sources"`
	Scoring     rawScoring           `yaml:"scoring"`
	Model       *rawModel            `yaml:"model"`
	Routing     routing.Config       `yaml:"routing"`
	SLA         rawSLA               `yaml:"sla"`
	Nurture     rawNurture           `yaml:"nurture"`
	Enrichment  rawEnrichment        `yaml:"enrichment"`
	CRM         *rawCRM              `yaml:"crm"` // nil: no crm section
	Scenarios   []rawScenario        `yaml:"scenarios"`
}

type rawForm struct {
	Source   string            `yaml:"source"`
	Required []string          `yaml:"required"`
	FieldMap map[string]string `yaml:"field_map"`
	Honeypot string            `yaml:"honeypot"`
}

type rawSource struct {
	FieldMap map[string]string `yaml:"field_map"`
}

type rawScoring struct {
	Window     Duration      `yaml:"window"`
	DecayEvery Duration      `yaml:"decay_every"`
	Thresholds rawThresholds `yaml:"thresholds"`
	Rules      []rawRule     `yaml:"rules"`
}

type rawThresholds struct {
	Engaged      float64  `yaml:"engaged"`
	MQL          float64  `yaml:"mql"`
	MQLFloor     float64  `yaml:"mql_floor"`
	SQL          float64  `yaml:"sql"`
	SQLMinFit    float64  `yaml:"sql_min_fit"`
	SQLFastTrack []string `yaml:"sql_fast_track"`
}

type rawRule struct {
	Code     string  `yaml:"code"`
	Layer    string  `yaml:"layer"`
	Points   float64 `yaml:"points"`
	Doc      string  `yaml:"doc"`
	When     string  `yaml:"when"`
	Activity string  `yaml:"activity"`
	Each     bool    `yaml:"each"`
	Once     bool    `yaml:"once"`
	Cap      int     `yaml:"cap"`
	MinCount int     `yaml:"min_count"`
	Decay    *bool   `yaml:"decay"`
}

type rawSLA struct {
	AlertAfter    Duration `yaml:"alert_after"`
	ReassignAfter Duration `yaml:"reassign_after"`
}

type rawNurture struct {
	Cadences []rawCadence `yaml:"cadences"`
}

type rawCadence struct {
	Name            string    `yaml:"name"`
	Trigger         []string  `yaml:"trigger"`
	RequiresConsent bool      `yaml:"requires_consent"`
	Repeat          Duration  `yaml:"repeat"`
	Steps           []rawStep `yaml:"steps"`
}

type rawStep struct {
	ID        string            `yaml:"id"`
	Day       int               `yaml:"day"`
	Channel   string            `yaml:"channel"`
	Template  string            `yaml:"template"`
	Subject   string            `yaml:"subject"`
	Body      string            `yaml:"body"`
	Fallbacks map[string]string `yaml:"fallbacks"`
	When      string            `yaml:"when"`
	SkipIf    string            `yaml:"skip_if"`
}

type rawEnrichment struct {
	CacheTTL       Duration      `yaml:"cache_ttl"`
	MaxAge         Duration      `yaml:"max_age"`
	PerLeadCostCap float64       `yaml:"per_lead_cost_cap"`
	MonthlyBudget  float64       `yaml:"monthly_budget"`
	Providers      []rawProvider `yaml:"providers"`
}

type rawProvider struct {
	Name           string            `yaml:"name"`
	Kind           string            `yaml:"kind"`
	Fields         []string          `yaml:"fields"`
	Dataset        string            `yaml:"dataset"`
	URL            string            `yaml:"url"`
	AuthHeader     string            `yaml:"auth_header"`
	AuthEnv        string            `yaml:"auth_env"`
	Secret         string            `yaml:"secret"`
	ResponseFields map[string]string `yaml:"response_fields"`
	Timeout        Duration          `yaml:"timeout"`
	Retries        int               `yaml:"retries"`
	RatePerSecond  float64           `yaml:"rate_per_second"`
	CostPerCall    float64           `yaml:"cost_per_call"`
	Wins           bool              `yaml:"wins"`
}

type rawScenario struct {
	Name         string            `yaml:"name"`
	At           string            `yaml:"at"`
	Form         string            `yaml:"form"`
	Stage        string            `yaml:"stage"`
	Routed       bool              `yaml:"routed"`
	AccountOwner string            `yaml:"account_owner"`
	Fields       map[string]string `yaml:"fields"`
	Account      *rawAccount       `yaml:"account"`
	Activities   []rawActivity     `yaml:"activities"`
	Expect       rawExpect         `yaml:"expect"`
}

type rawAccount struct {
	Name      string   `yaml:"name"`
	Industry  string   `yaml:"industry"`
	Employees int      `yaml:"employees"`
	Country   string   `yaml:"country"`
	Tech      []string `yaml:"tech"`
}

type rawActivity struct {
	Type    string   `yaml:"type"`
	URL     string   `yaml:"url"`
	Form    string   `yaml:"form"`
	Age     Duration `yaml:"age"`
	DaysAgo *int     `yaml:"days_ago"`
}

type rawExpect struct {
	Stage   string         `yaml:"stage"`
	Total   *float64       `yaml:"total"`
	Fit     *float64       `yaml:"fit"`
	Intent  *float64       `yaml:"intent"`
	Reasons *[]string      `yaml:"reasons"`
	Routing *ExpectedRoute `yaml:"routing"`
}

// Duration is a config duration as written: Go syntax ("4h", "90m") or
// whole days ("90d"). Build checks it where it is used, so a bad one is
// reported with its line like any other problem.
type Duration string

// duration returns the duration written at path ("" is zero), recording an
// error when it is not one.
func (b *builder) duration(path string, d Duration) time.Duration {
	if d == "" {
		return 0
	}
	v, err := parseDuration(string(d))
	if err != nil {
		b.ix.at(path, "bad duration %q: want e.g. 4h, 30m or 90d", string(d))
		return 0
	}
	return v
}

func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad day count %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}
