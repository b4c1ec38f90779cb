package config

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

// Provider kinds.
const (
	ProviderDataset    = "dataset"    // a CSV company file: domain,name,industry,employees,country,state,tech
	ProviderHTTP       = "http"       // a JSON API mapped by response_fields
	ProviderHeuristics = "heuristics" // guesses from the email domain
)

// EnrichableFields are the lead fields a provider may supply.
var EnrichableFields = []string{"company", "industry", "employees", "country", "state", "tech", "website"}

// Enrichment configures the provider waterfall and its budget, SPEC §4.
type Enrichment struct {
	Providers []*Provider
	CacheTTL  time.Duration // per-domain cache lifetime
	// MaxAge is how old enrichment may be before a nurture start refreshes it.
	MaxAge         time.Duration
	PerLeadCostCap float64 // 0: no cap
	MonthlyBudget  float64 // 0: no budget
}

// Provider is one enrichment source, tried in config order per field.
type Provider struct {
	Name   string
	Kind   string
	Fields []string
	// Dataset is the CSV path inside Config.FS (relative to the config file).
	Dataset string
	// URL is the http provider's URL template; {domain} and {email} are
	// replaced, query-escaped.
	URL string
	// AuthHeader carries the credential read from the environment variable
	// AuthEnv or the secret named Secret.
	AuthHeader string
	AuthEnv    string
	Secret     string
	// ResponseFields maps a lead field to a dot path in the JSON response
	// ("company.metrics.employees").
	ResponseFields map[string]string
	Timeout        time.Duration
	Retries        int
	RatePerSecond  float64 // 0: unlimited
	CostPerCall    float64
	// Wins lets the provider's values replace values the lead submitted;
	// otherwise form values win.
	Wins bool
}

// Provider defaults.
const (
	DefaultProviderTimeout = 2 * time.Second
	DefaultCacheTTL        = 30 * 24 * time.Hour
	DefaultEnrichMaxAge    = 90 * 24 * time.Hour
)

func (b *builder) enrichment() {
	re := b.raw.Enrichment
	e := Enrichment{CacheTTL: b.duration("enrichment.cache_ttl", re.CacheTTL), MaxAge: b.duration("enrichment.max_age", re.MaxAge), PerLeadCostCap: re.PerLeadCostCap, MonthlyBudget: re.MonthlyBudget}
	if e.CacheTTL == 0 {
		e.CacheTTL = DefaultCacheTTL
	}
	if e.MaxAge == 0 {
		e.MaxAge = DefaultEnrichMaxAge
	}
	if re.PerLeadCostCap < 0 {
		b.ix.at("enrichment.per_lead_cost_cap", "must not be negative")
	}
	if re.MonthlyBudget < 0 {
		b.ix.at("enrichment.monthly_budget", "must not be negative")
	}
	names := map[string]bool{}
	for i, rp := range re.Providers {
		p := fmt.Sprintf("enrichment.providers[%d]", i)
		switch {
		case rp.Name == "":
			b.ix.at(p+".name", "missing")
		case names[rp.Name]:
			b.ix.at(p+".name", "duplicate provider name")
		}
		names[rp.Name] = true
		e.Providers = append(e.Providers, b.provider(p, rp))
	}
	b.c.Enrichment = e
}

func (b *builder) provider(p string, rp rawProvider) *Provider {
	pr := &Provider{
		Name: rp.Name, Kind: rp.Kind, Fields: rp.Fields, Dataset: rp.Dataset, URL: rp.URL,
		AuthHeader: rp.AuthHeader, AuthEnv: rp.AuthEnv, Secret: rp.Secret, ResponseFields: rp.ResponseFields,
		Timeout: b.duration(p+".timeout", rp.Timeout), Retries: rp.Retries, RatePerSecond: rp.RatePerSecond, CostPerCall: rp.CostPerCall, Wins: rp.Wins,
	}
	if pr.Timeout == 0 {
		pr.Timeout = DefaultProviderTimeout
	}
	if len(rp.Fields) == 0 {
		b.ix.at(p+".fields", "missing: the fields the provider supplies")
	}
	for j, f := range rp.Fields {
		if !contains(EnrichableFields, f) {
			b.ix.at(fmt.Sprintf("%s.fields[%d]", p, j), "unknown field %q (want one of %s)", f, strings.Join(EnrichableFields, ", "))
		}
	}
	if pr.Timeout < 0 || rp.Retries < 0 || rp.RatePerSecond < 0 || rp.CostPerCall < 0 {
		b.ix.at(p, "timeout, retries, rate_per_second and cost_per_call must not be negative")
	}
	switch rp.Kind {
	case ProviderDataset:
		b.dataset(p+".dataset", rp.Dataset)
	case ProviderHTTP:
		if !strings.HasPrefix(rp.URL, "https://") && !strings.HasPrefix(rp.URL, "http://") {
			b.ix.at(p+".url", "must be an http(s) URL template, e.g. https://api.example.com/v1/companies?domain={domain}")
		} else if !strings.Contains(rp.URL, "{domain}") && !strings.Contains(rp.URL, "{email}") {
			b.ix.at(p+".url", "must contain {domain} or {email}")
		}
		if rp.AuthHeader != "" && (rp.AuthEnv == "") == (rp.Secret == "") {
			b.ix.at(p+".auth_header", "needs exactly one of auth_env or secret")
		}
		keys := make([]string, 0, len(rp.ResponseFields))
		for k := range rp.ResponseFields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !contains(rp.Fields, k) {
				b.ix.at(p+".response_fields."+k, "maps %q, which is not in the provider's fields", k)
			}
		}
		for _, f := range rp.Fields {
			if _, ok := rp.ResponseFields[f]; !ok {
				b.ix.at(p+".response_fields", "no response path for field %q", f)
			}
		}
	case ProviderHeuristics:
	default:
		b.ix.at(p+".kind", "unknown kind %q (want dataset, http or heuristics)", rp.Kind)
	}
	return pr
}

// dataset checks that a dataset file exists beside the config.
func (b *builder) dataset(p, name string) {
	if name == "" {
		b.ix.at(p, "missing: the CSV file, relative to the config file")
		return
	}
	if path.IsAbs(name) || !fs.ValidPath(name) {
		b.ix.at(p, "%q must be a relative path inside the config's directory", name)
		return
	}
	if _, err := fs.Stat(b.c.FS, name); err != nil {
		if os.IsNotExist(err) {
			b.ix.at(p, "file %q not found beside the config", name)
			return
		}
		b.ix.at(p, "%v", err)
	}
}
