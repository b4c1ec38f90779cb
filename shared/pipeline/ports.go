// Package pipeline holds leadflow's application services (capture, enrich,
// score, route, notify, nurture, SLA, outcomes, erasure) and the ports they
// depend on. Adapters implement the ports; handlers decode an event, call one
// service and encode the result.
package pipeline

import (
	"context"
	"time"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/lead"
)

// Store is the durable state of leadflow. Every method is safe for
// concurrent use. Errors carry lead codes: ENOTFOUND for a missing item,
// ECONFLICT for a lost conditional write, EUNAVAILABLE for a transient
// backend failure.
type Store interface {
	// CreateLead stores a new lead (Version must be 0; it is stored as 1 and
	// set on l) and claims its normalised email. Returns ECONFLICT if the
	// email or the ID is already taken; nothing is written then.
	CreateLead(ctx context.Context, l *lead.Lead) error
	// GetLead returns the lead with id. Returns ENOTFOUND if there is none.
	GetLead(ctx context.Context, id string) (*lead.Lead, error)
	// LeadByEmail returns the lead holding the normalised email. Returns
	// ENOTFOUND if there is none.
	LeadByEmail(ctx context.Context, email string) (*lead.Lead, error)
	// UpdateLead replaces the lead if the stored Version equals l.Version,
	// then increments Version (on l too). Returns ECONFLICT if the versions
	// differ and ENOTFOUND if the lead does not exist. The email is immutable.
	UpdateLead(ctx context.Context, l *lead.Lead) error
	// DeleteLead erases every item of the lead: the lead, its email claim,
	// its activities and its idempotency records. Deleting a missing lead
	// returns ENOTFOUND.
	DeleteLead(ctx context.Context, id string) error

	// AddActivity stores an activity of a lead, idempotent by (LeadID, ID):
	// it reports false when the activity was already stored.
	AddActivity(ctx context.Context, a lead.Activity) (bool, error)
	// Activities returns the lead's activities, oldest first.
	Activities(ctx context.Context, leadID string) ([]lead.Activity, error)

	// GetAccount returns the account of a registrable domain. Returns
	// ENOTFOUND if there is none.
	GetAccount(ctx context.Context, domain string) (*lead.Account, error)
	// PutAccount creates or replaces an account's firmographics; it never
	// changes an owner already claimed.
	PutAccount(ctx context.Context, a *lead.Account) error
	// ClaimAccountOwner sets the account's owner if it has none (creating the
	// account if needed) and returns the owner now holding it: the first
	// claim wins.
	ClaimAccountOwner(ctx context.Context, domain, owner string) (string, error)

	// PutOnce records key with value unless key exists; it returns the value
	// stored under key and whether this call created it. Used for
	// idempotency keys and once-only side effects. A positive ttl lets the
	// record expire.
	PutOnce(ctx context.Context, key, value string, ttl time.Duration) (stored string, created bool, err error)
	// GetOnce returns the value PutOnce stored under key, and false when
	// there is none or it has expired.
	GetOnce(ctx context.Context, key string) (value string, ok bool, err error)
	// Increment atomically adds one to a named counter and returns the new
	// value (the first call returns 1). Used for fair round-robin.
	Increment(ctx context.Context, counter string) (int64, error)
	// AddCapped atomically adds delta (positive) to a named counter unless
	// limit is positive and the total would then exceed it; it returns the
	// total after the call and whether delta was added. Used for spend
	// limits that every process (every Lambda instance) must share.
	AddCapped(ctx context.Context, counter string, delta, limit int64) (total int64, added bool, err error)

	// OwnerQueue returns the open leads of an owner (stage sql or sal),
	// highest score first, at most limit (0 means no limit).
	OwnerQueue(ctx context.Context, owner string, limit int) ([]*lead.Lead, error)
	// OpenLeads counts the owner's open leads (those OwnerQueue lists)
	// without reading them: routing checks capacity on every decision.
	OpenLeads(ctx context.Context, owner string) (int, error)
	// InactiveSince pages through leads whose LastActivityAt is before t,
	// oldest first, at most limit per page; pass the returned cursor to get
	// the next page ("" when done). It never scans leads active since t.
	InactiveSince(ctx context.Context, t time.Time, cursor string, limit int) ([]*lead.Lead, string, error)
	// ScanLeads calls fn for every lead, in no particular order, until fn
	// returns an error. For audits, replays and exports, never the hot path.
	ScanLeads(ctx context.Context, fn func(*lead.Lead) error) error
}

// Publisher puts events on the bus. Publishing is at-least-once: on error
// the caller retries and consumers must be idempotent.
type Publisher interface {
	Publish(ctx context.Context, envs ...events.Envelope) error
}

// Timer kinds.
const (
	TimerSLA     = "sla"
	TimerNurture = "nurture"
)

// Timer is a durable wake-up: at At, the timer handler is called with it.
type Timer struct {
	// Key names the timer; scheduling the same key twice keeps one timer
	// (in AWS it is the Step Functions execution name).
	Key    string    `json:"key"`
	Kind   string    `json:"kind"`
	LeadID string    `json:"lead_id"`
	At     time.Time `json:"at"`
	Data   string    `json:"data,omitempty"`
}

// Check returns EINVALID, naming the field, for a timer without a key, a
// kind or a time: every Scheduler refuses those.
func (t Timer) Check() error {
	switch {
	case t.Key == "":
		return lead.FieldError("key", "timer has no key")
	case t.Kind == "":
		return lead.FieldError("kind", "timer %s has no kind", t.Key)
	case t.At.IsZero():
		return lead.FieldError("at", "timer %s has no time", t.Key)
	}
	return nil
}

// Scheduler starts durable timers. Schedule is idempotent by Timer.Key:
// while a timer is pending, scheduling its key again keeps the first.
// Cancel of an unknown key is not an error. Schedule returns EINVALID for a
// timer Check refuses. shared/timertest is the conformance suite.
type Scheduler interface {
	Schedule(ctx context.Context, t Timer) error
	Cancel(ctx context.Context, key string) error
}

// Notification kinds.
const (
	NotifyOwnerAssigned = "owner_assigned"
	NotifyManagerAlert  = "manager_alert"
	NotifySLAWarning    = "sla_warning"
	NotifyReassigned    = "reassigned"
	NotifyTask          = "task"
)

// Notification is a message to a rep or manager.
type Notification struct {
	// Key deduplicates: a notification with a key already sent is dropped
	// (by the outbox itself; Slack and SES through NotifyOnce).
	Key     string    `json:"key"`
	Kind    string    `json:"kind"`
	To      string    `json:"to"` // rep or manager id
	LeadID  string    `json:"lead_id"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	At      time.Time `json:"at"`
}

// Notifier tells people about leads (Slack, email, the local outbox).
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// Email is an outbound nurture email.
type Email struct {
	Key     string    `json:"key"` // deduplication key, as Notification.Key (SES through MailOnce)
	LeadID  string    `json:"lead_id"`
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	At      time.Time `json:"at"`
}

// Mailer sends nurture emails (SES, the local outbox).
type Mailer interface {
	Send(ctx context.Context, e Email) error
}

// LeadDeleter is implemented by a port adapter that keeps items naming a
// lead (the local outbox, timers and queues): Erase has it delete every
// entry of the lead. Deleting
// a lead without entries is not an error.
type LeadDeleter interface {
	Delete(ctx context.Context, leadID string) error
}

// EnrichRequest asks for the given fields of a lead.
type EnrichRequest struct {
	Lead   *lead.Lead
	Fields []string // the fields some rule reads; nothing else is requested
}

// EnrichResult is what the providers found. Failures are recorded, never
// fatal: scoring proceeds with what is known.
type EnrichResult struct {
	Values   map[string]any    // field → value
	Sources  map[string]string // field → provider
	Status   string            // lead.EnrichmentOK, Partial, Failed, Skipped
	Provider string            // providers that answered, comma-separated
	Error    string            // the last provider error, if any
}

// Enricher fills lead fields from providers.
type Enricher interface {
	Enrich(ctx context.Context, req EnrichRequest) (EnrichResult, error)
}

// Clock tells the time; tests and `leadflow dev --clock manual` inject one.
type Clock interface {
	Now() time.Time
}

// IDs generates unique, sortable identifiers.
type IDs interface {
	NewID() string
}

// Sender puts envelopes straight on one consumer's queue, bypassing the bus:
// the daily sweep sends its batches this way.
type Sender interface {
	Send(ctx context.Context, to events.Consumer, envs ...events.Envelope) error
}

// TimerResult tells the timer mechanism what to do next: stop, or wait until
// NextAt and call again (in AWS the state machine's Choice state reads it).
type TimerResult struct {
	Done   bool      `json:"done"`
	NextAt time.Time `json:"next_at,omitzero"`
}
