package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

// CRM systems a crm section may name. The system decides how property names
// and owner ids are checked and tells the receiving endpoint which API its
// properties are for.
const (
	CRMHubSpot    = "hubspot"
	CRMSalesforce = "salesforce"
)

// CRM fields: the lead values the sync can send, each under the CRM property
// the config maps it to.
const (
	CRMFieldLeadID           = "lead_id"
	CRMFieldEmail            = "email"
	CRMFieldStage            = "stage"
	CRMFieldOwner            = "owner"
	CRMFieldTeam             = "team"
	CRMFieldQueue            = "queue"
	CRMFieldScore            = "score"
	CRMFieldDisqualifyReason = "disqualify_reason"
	CRMFieldOutcome          = "outcome"
	CRMFieldUpdatedAt        = "updated_at"
)

// CRMFields lists every field a crm section may map. No other personal data
// is sent: the CRM matches the record by lead id (or email).
var CRMFields = []string{CRMFieldLeadID, CRMFieldEmail, CRMFieldStage, CRMFieldOwner, CRMFieldTeam, CRMFieldQueue, CRMFieldScore, CRMFieldDisqualifyReason, CRMFieldOutcome, CRMFieldUpdatedAt}

// crmRequired are the fields every crm section maps: the record key and what
// the CRM must show as leadflow does.
var crmRequired = []string{CRMFieldLeadID, CRMFieldStage, CRMFieldOwner}

// CRM defaults and bounds.
const (
	DefaultCRMTimeout  = 5 * time.Second
	DefaultCRMAttempts = 3
	maxCRMTimeout      = 30 * time.Second
	maxCRMAttempts     = 10
)

// CRM configures the outbound CRM sync: stage, owner and disqualification
// changes are posted, signed, to URL with the lead's fields under the CRM's
// property names. The zero value (no crm section) is a disabled sync.
type CRM struct {
	System string // CRMHubSpot or CRMSalesforce
	// URL receives the signed webhook; empty disables the sync (the
	// consumer then acknowledges without sending).
	URL string
	// SecretEnv names the environment variable holding the HMAC secret
	// (local runs); Secret is its Secrets Manager id (AWS). URL set means
	// exactly one of them is.
	SecretEnv string
	Secret    string
	Timeout   time.Duration // per attempt
	Attempts  int           // per delivery; the queue redelivers after
	// Fields maps a CRMFields name to the CRM property it is sent as.
	Fields map[string]string
	// Stages maps every leadflow stage to the CRM's value of the stage
	// property.
	Stages map[lead.Stage]string
	// Owners maps a rep id to the CRM owner id. Empty: rep ids are the CRM's
	// owner ids and are sent as they are.
	Owners map[string]string
}

// Enabled reports whether changes are sent to a CRM.
func (c CRM) Enabled() bool { return c.URL != "" }

type rawCRM struct {
	System    string            `yaml:"system"`
	URL       string            `yaml:"url"`
	SecretEnv string            `yaml:"secret_env"`
	Secret    string            `yaml:"secret"`
	Timeout   Duration          `yaml:"timeout"`
	Attempts  int               `yaml:"attempts"`
	Fields    map[string]string `yaml:"fields"`
	Stages    map[string]string `yaml:"stages"`
	Owners    map[string]string `yaml:"owners"`
}

// crmSystem holds what differs between CRMs: the shape of a property name
// and of an owner id.
type crmSystem struct {
	property, owner func() *regexp.Regexp
	propertyHint    string
	ownerHint       string
}

var crmSystems = map[string]crmSystem{
	// HubSpot internal property names are lower-case; owner ids are numbers.
	CRMHubSpot: {
		property: lazyRegexp(`^[a-z][a-z0-9_]*$`), propertyHint: "a HubSpot internal property name (lower-case letters, digits, _)",
		owner: lazyRegexp(`^[0-9]+$`), ownerHint: "a numeric HubSpot owner id",
	},
	// Salesforce field API names (custom ones end in __c); user ids are 15
	// or 18 characters starting 005.
	CRMSalesforce: {
		property: lazyRegexp(`^[A-Za-z][A-Za-z0-9_]*$`), propertyHint: "a Salesforce field API name",
		owner: lazyRegexp(`^005[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$`), ownerHint: "a Salesforce user id (005…, 15 or 18 characters)",
	},
}

var envNameRe = lazyRegexp(`^[A-Za-z_][A-Za-z0-9_]*$`)

// crm checks the crm section. An absent section is a disabled sync; a
// present one is checked whole, URL or not, so an example mapping cannot
// rot before it is switched on.
func (b *builder) crm() {
	var r rawCRM
	if b.raw.CRM != nil {
		r = *b.raw.CRM
	}
	c := CRM{System: r.System, URL: r.URL, SecretEnv: r.SecretEnv, Secret: r.Secret, Timeout: b.duration("crm.timeout", r.Timeout), Attempts: r.Attempts, Fields: r.Fields, Owners: r.Owners}
	if c.Timeout == 0 {
		c.Timeout = DefaultCRMTimeout
	}
	if c.Attempts == 0 {
		c.Attempts = DefaultCRMAttempts
	}
	defer func() { b.c.CRM = c }()
	if b.raw.CRM == nil {
		return
	}
	sys, ok := crmSystems[r.System]
	if !ok {
		b.ix.at("crm.system", "unknown system %q (want %s or %s)", r.System, CRMHubSpot, CRMSalesforce)
	}
	if r.URL != "" {
		if err := checkCRMURL(r.URL); err != nil {
			b.ix.at("crm.url", "%v", err)
		}
		if (r.SecretEnv == "") == (r.Secret == "") {
			b.ix.at("crm", "needs exactly one of secret_env (local) or secret (a Secrets Manager id) to sign requests")
		}
	}
	if r.SecretEnv != "" && !envNameRe().MatchString(r.SecretEnv) {
		b.ix.at("crm.secret_env", "%q is not an environment variable name", r.SecretEnv)
	}
	if c.Timeout < 0 || c.Timeout > maxCRMTimeout {
		b.ix.at("crm.timeout", "must be between 0 and %s", maxCRMTimeout)
	}
	if r.Attempts < 0 || r.Attempts > maxCRMAttempts {
		b.ix.at("crm.attempts", "must be between 1 and %d", maxCRMAttempts)
	}
	b.crmFields(r, sys, ok)
	c.Stages = b.crmStages(r)
	b.crmOwners(r, sys, ok)
}

// checkCRMURL allows https anywhere and plain http only to this machine:
// the body carries lead data.
func checkCRMURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return fmt.Errorf("must be an absolute http(s) URL without credentials")
	}
	if u.Scheme == "http" {
		host := u.Hostname()
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("must be https (plain http only to localhost)")
		}
	}
	return nil
}

func (b *builder) crmFields(r rawCRM, sys crmSystem, known bool) {
	for _, f := range crmRequired {
		if r.Fields[f] == "" {
			b.ix.at("crm.fields."+f, "missing: the CRM property for %s", f)
		}
	}
	seen := map[string]string{}
	for _, f := range sortedNames(r.Fields) {
		p, prop := "crm.fields."+f, r.Fields[f]
		switch {
		case !contains(CRMFields, f):
			b.ix.at(p, "unknown field %q (want one of %s)", f, strings.Join(CRMFields, ", "))
		case prop == "":
			b.ix.at(p, "missing: the CRM property for %s", f)
		case known && !sys.property().MatchString(prop):
			b.ix.at(p, "%q is not %s", prop, sys.propertyHint)
		case seen[prop] != "":
			b.ix.at(p, "property %q is also the target of %s", prop, seen[prop])
		}
		seen[prop] = f
	}
}

func (b *builder) crmStages(r rawCRM) map[lead.Stage]string {
	out := make(map[lead.Stage]string, len(r.Stages))
	for _, name := range sortedNames(r.Stages) {
		p := "crm.stages." + name
		switch {
		case !lead.Stage(name).Valid():
			b.ix.at(p, "unknown stage %q", name)
		case r.Stages[name] == "":
			b.ix.at(p, "missing: the CRM value of stage %s", name)
		}
		out[lead.Stage(name)] = r.Stages[name]
	}
	var missing []string
	for _, s := range lead.Stages {
		if _, ok := r.Stages[string(s)]; !ok {
			missing = append(missing, string(s))
		}
	}
	if len(missing) > 0 {
		b.ix.at("crm.stages", "no CRM value for %s: the CRM must show every stage leadflow sets", strings.Join(missing, ", "))
	}
	return out
}

func (b *builder) crmOwners(r rawCRM, sys crmSystem, known bool) {
	reps := repIDs(b.raw.Routing)
	if len(r.Owners) == 0 {
		// Rep ids are sent as they are: they must be owner ids of the CRM.
		for _, id := range reps {
			if known && !sys.owner().MatchString(id) {
				b.ix.at("crm.owners", "missing: rep %q is not %s, so every rep needs its CRM owner id here", id, sys.ownerHint)
				return
			}
		}
		return
	}
	for _, id := range sortedNames(r.Owners) {
		p, owner := "crm.owners."+id, r.Owners[id]
		switch {
		case !contains(reps, id):
			b.ix.at(p, "unknown rep %q", id)
		case known && !sys.owner().MatchString(owner):
			b.ix.at(p, "%q is not %s", owner, sys.ownerHint)
		}
	}
	var missing []string
	for _, id := range reps {
		if _, ok := r.Owners[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		b.ix.at("crm.owners", "no CRM owner id for rep %s: the CRM must show every owner leadflow assigns", strings.Join(missing, ", "))
	}
}
