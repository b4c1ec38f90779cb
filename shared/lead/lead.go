// Package lead holds the domain types of leadflow: leads, accounts,
// activities, lifecycle stages, consent and explainable scores. It imports no
// AWS or storage package; adapters translate to and from these types.
package lead

import (
	"encoding/json"
	"time"
)

// Stage is a lifecycle stage of a lead.
type Stage string

// Lifecycle stages, SPEC §5. Automation moves a lead up to StageSQL; the
// later stages come from rep actions and CRM outcomes.
const (
	StageNew          Stage = "new"
	StageEngaged      Stage = "engaged"
	StageMQL          Stage = "mql"
	StageSQL          Stage = "sql"
	StageSAL          Stage = "sal"
	StageOpportunity  Stage = "opportunity"
	StageCustomer     Stage = "customer"
	StageDisqualified Stage = "disqualified"
	StageClosedLost   Stage = "closed_lost"
)

// Stages lists every stage in funnel order.
var Stages = []Stage{StageNew, StageEngaged, StageMQL, StageSQL, StageSAL, StageOpportunity, StageCustomer, StageDisqualified, StageClosedLost}

// Rank orders the funnel stages (new=0 … customer=6). Disqualified and
// closed_lost sit outside the funnel and rank -1; an unknown stage ranks -2.
func (s Stage) Rank() int {
	switch s {
	case StageNew:
		return 0
	case StageEngaged:
		return 1
	case StageMQL:
		return 2
	case StageSQL:
		return 3
	case StageSAL:
		return 4
	case StageOpportunity:
		return 5
	case StageCustomer:
		return 6
	case StageDisqualified, StageClosedLost:
		return -1
	}
	return -2
}

// Valid reports whether s is a known stage.
func (s Stage) Valid() bool { return s.Rank() > -2 }

// Consent is a lead's permission for outreach.
type Consent string

// Consent states. Unsubscribed suppresses all outreach at once; scoring may
// still record engagement.
const (
	ConsentUnknown      Consent = "unknown"
	ConsentGranted      Consent = "granted"
	ConsentDenied       Consent = "denied"
	ConsentUnsubscribed Consent = "unsubscribed"
)

// Lead is one person, deduplicated by normalised email.
type Lead struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Title     string `json:"title,omitempty"`
	Company   string `json:"company,omitempty"`
	Website   string `json:"website,omitempty"`
	Phone     string `json:"phone,omitempty"`   // E.164 when it could be parsed, as given otherwise
	Country   string `json:"country,omitempty"` // ISO 3166-1 alpha-2
	State     string `json:"state,omitempty"`   // ISO 3166-2 subdivision code for US/CA (e.g. "NY")
	Employees int    `json:"employees,omitempty"`
	Industry  string `json:"industry,omitempty"` // lower-case

	// Derived by normalisation.
	Domain          string `json:"domain,omitempty"` // registrable company domain: the account key
	EmailDomain     string `json:"email_domain,omitempty"`
	Seniority       string `json:"seniority,omitempty"` // c_level, vp, head, director, manager, individual
	Function        string `json:"function,omitempty"`  // sales, marketing, revenue, growth, engineering, …
	FreeEmail       bool   `json:"free_email,omitempty"`
	DisposableEmail bool   `json:"disposable_email,omitempty"`

	Source  string            `json:"source,omitempty"` // web_form, linkedin, import, api
	Form    string            `json:"form,omitempty"`   // the form of the first capture
	Consent Consent           `json:"consent,omitempty"`
	Extras  map[string]string `json:"extras,omitempty"` // free-form fields kept as given

	Stage            Stage      `json:"stage"`
	Score            Score      `json:"score"`
	Owner            string     `json:"owner,omitempty"` // rep id; empty while unrouted
	Team             string     `json:"team,omitempty"`
	Queue            string     `json:"queue,omitempty"` // team queue when no rep was eligible
	Routing          *Routing   `json:"routing,omitempty"`
	Enrichment       Enrichment `json:"enrichment"`
	DisqualifyReason string     `json:"disqualify_reason,omitempty"`
	Outcome          string     `json:"outcome,omitempty"` // the last CRM outcome
	Touches          []Touch    `json:"touches,omitempty"`
	History          []Change   `json:"history,omitempty"`
	// Nurture is the lead's current (or last) nurture cadence; nil when the
	// lead was never nurtured.
	Nurture *NurtureState `json:"nurture,omitempty"`

	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	LastActivityAt time.Time `json:"last_activity_at"`
	RoutedAt       time.Time `json:"routed_at,omitzero"`
	ContactedAt    time.Time `json:"contacted_at,omitzero"`
	OutcomeAt      time.Time `json:"outcome_at,omitzero"`

	// Pending holds encoded events written in the same conditional update as
	// the state change that caused them and cleared once published: a crash
	// between the write and the publish loses no event (a transactional
	// outbox on the lead item).
	Pending []json.RawMessage `json:"pending,omitempty"`

	// Version is the optimistic-concurrency counter: stores accept an update
	// only when it matches the stored value, then increment it.
	Version int64 `json:"version"`
}

// Suppressed reports whether outreach to the lead is forbidden.
func (l *Lead) Suppressed() bool {
	return l.Consent == ConsentUnsubscribed || l.Consent == ConsentDenied
}

// Routed reports whether the lead has an owner or sits in a team queue.
func (l *Lead) Routed() bool { return l.Owner != "" || l.Queue != "" }

// Score is an explainable score: the total is the sum of the reasons' points.
type Score struct {
	Total         float64   `json:"total"`
	Fit           float64   `json:"fit"`
	Intent        float64   `json:"intent"`
	Timing        float64   `json:"timing"`
	Predicted     float64   `json:"predicted,omitempty"`
	Reasons       []Reason  `json:"reasons"`
	ConfigVersion string    `json:"config_version,omitempty"`
	At            time.Time `json:"at,omitzero"`
}

// Layer names the score layer a rule contributes to.
type Layer string

// Score layers, SPEC §5.
const (
	LayerFit       Layer = "fit"
	LayerIntent    Layer = "intent"
	LayerTiming    Layer = "timing"
	LayerPredicted Layer = "predicted"
)

// Reason is one rule's contribution to a score.
type Reason struct {
	Code   string  `json:"code"`
	Points float64 `json:"points"`
	Layer  Layer   `json:"layer"`
	Count  int     `json:"count,omitempty"`  // activities counted, for per-activity rules
	Detail string  `json:"detail,omitempty"` // e.g. decay applied, top model feature
}

// Routing records the decision that assigned the lead.
type Routing struct {
	Rule        string    `json:"rule"` // the strategy that matched, e.g. "territory"
	Team        string    `json:"team,omitempty"`
	Owner       string    `json:"owner,omitempty"`
	Queue       string    `json:"queue,omitempty"`
	Explanation []string  `json:"explanation,omitempty"`
	At          time.Time `json:"at"`
}

// Enrichment status values.
const (
	EnrichmentPending = "pending"
	EnrichmentOK      = "ok"
	EnrichmentPartial = "partial"
	EnrichmentFailed  = "failed"
	EnrichmentSkipped = "skipped"
)

// Enrichment records the last enrichment of a lead.
type Enrichment struct {
	Status   string            `json:"status,omitempty"`
	Provider string            `json:"provider,omitempty"` // providers that supplied data, comma-separated
	Error    string            `json:"error,omitempty"`
	Sources  map[string]string `json:"sources,omitempty"` // field → provider that set it
	At       time.Time         `json:"at,omitzero"`
}

// Touch is one nurture touch that was sent or assigned.
type Touch struct {
	Cadence  string    `json:"cadence"`
	Step     int       `json:"step"`
	Channel  string    `json:"channel"`
	Template string    `json:"template,omitempty"`
	At       time.Time `json:"at"`
	StepID   string    `json:"step_id,omitempty"`
	// Key is the touch's deduplication key (the email or task key): it names
	// the cadence run, the repeat cycle and the step, so each is sent once.
	Key string `json:"key,omitempty"`
}

// NurtureState is where a lead stands in a nurture cadence. The decision of
// the next touch is a pure function of it (package nurture); the state only
// records what was decided.
type NurtureState struct {
	Cadence string `json:"cadence"`
	// Run counts the cadences started for the lead; it names the run's timer
	// and touch keys, which are single-use.
	Run int `json:"run"`
	// Stage is the stage that started the cadence: a later cadence replaces
	// it only for a lead that moved up the funnel.
	Stage     Stage     `json:"stage"`
	StartedAt time.Time `json:"started_at"`
	// Cycle counts the completed repeats of a repeating cadence.
	Cycle int `json:"cycle,omitempty"`
	// Next is the index of the next step to decide in the cadence's steps.
	Next        int       `json:"next"`
	LastTouchAt time.Time `json:"last_touch_at,omitzero"`
	// NextAt is when the next step falls due (the timer's next wake-up).
	NextAt     time.Time `json:"next_at,omitzero"`
	ExitReason string    `json:"exit_reason,omitempty"`
	ExitedAt   time.Time `json:"exited_at,omitzero"`
}

// Running reports whether the cadence is still under way.
func (n *NurtureState) Running() bool { return n != nil && n.ExitedAt.IsZero() }

// Change is one entry of a lead's history: a stage change, a score change,
// an owner change, an enrichment, with its cause.
type Change struct {
	At    time.Time `json:"at"`
	Kind  string    `json:"kind"` // stage, score, owner, enrichment, consent, outcome
	From  string    `json:"from,omitempty"`
	To    string    `json:"to,omitempty"`
	Cause string    `json:"cause"`
}

// Account groups leads by registrable domain.
type Account struct {
	Domain    string    `json:"domain"`
	Name      string    `json:"name,omitempty"`
	Industry  string    `json:"industry,omitempty"`
	Employees int       `json:"employees,omitempty"`
	Country   string    `json:"country,omitempty"`
	Tech      []string  `json:"tech,omitempty"`
	Owner     string    `json:"owner,omitempty"` // set once, by the first routed lead
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// ActivityType is a behaviour event type, SPEC §9.
type ActivityType string

// Activity types. FormSubmit is recorded by capture for every submission.
const (
	ActivityPageView        ActivityType = "page_view"
	ActivityEmailOpen       ActivityType = "email_open"
	ActivityEmailClick      ActivityType = "email_click"
	ActivityEmailReply      ActivityType = "email_reply"
	ActivityEmailBounce     ActivityType = "email_bounce"
	ActivityContentDownload ActivityType = "content_download"
	ActivityWebinarAttended ActivityType = "webinar_attended"
	ActivityMeetingBooked   ActivityType = "meeting_booked"
	ActivityUnsubscribe     ActivityType = "unsubscribe"
	ActivityFormSubmit      ActivityType = "form_submit"
)

// ActivityTypes lists the types accepted on the behaviour-event endpoint.
var ActivityTypes = []ActivityType{ActivityPageView, ActivityEmailOpen, ActivityEmailClick, ActivityEmailReply, ActivityEmailBounce, ActivityContentDownload, ActivityWebinarAttended, ActivityMeetingBooked, ActivityUnsubscribe}

// Activity is one behaviour event of a lead.
type Activity struct {
	ID         string            `json:"id"` // unique per lead; recording is idempotent by ID
	LeadID     string            `json:"lead_id"`
	Type       ActivityType      `json:"type"`
	OccurredAt time.Time         `json:"occurred_at"`
	URL        string            `json:"url,omitempty"`
	Form       string            `json:"form,omitempty"` // for form_submit
	Properties map[string]string `json:"properties,omitempty"`
}
