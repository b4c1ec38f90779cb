// Package events holds leadflow's event contracts: the versioned detail
// types published on the bus, one constant per detail-type, and the single
// routing table that says which consumer queue each event type feeds. The CDK
// stack builds its EventBridge rules from Routes; the local runtime routes
// with it too.
package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

// Source is the EventBridge source of every leadflow event.
const Source = "leadflow"

// Version is the current version of every detail type.
const Version = 1

// DetailType names an event type.
type DetailType string

// Detail types, SPEC §1.
const (
	LeadCaptured         DetailType = "lead.captured"
	LeadEnriched         DetailType = "lead.enriched"
	LeadActivityRecorded DetailType = "lead.activity_recorded"
	LeadScored           DetailType = "lead.scored"
	LeadStageChanged     DetailType = "lead.stage_changed"
	LeadRouted           DetailType = "lead.routed"
	LeadReassigned       DetailType = "lead.reassigned"
	LeadNurtureTouch     DetailType = "lead.nurture_touch"
	LeadOutcomeRecorded  DetailType = "lead.outcome_recorded"
	LeadErased           DetailType = "lead.erased"
	// LeadEnrichRequested is sent straight to the enrich queue (never on the
	// bus) by the inactivity sweep and before a nurture cadence starts.
	LeadEnrichRequested DetailType = "lead.enrich_requested"
)

// DetailTypes lists every detail type.
var DetailTypes = []DetailType{LeadCaptured, LeadEnriched, LeadActivityRecorded, LeadScored, LeadStageChanged, LeadRouted, LeadReassigned, LeadNurtureTouch, LeadOutcomeRecorded, LeadErased, LeadEnrichRequested}

// Header is carried by every detail.
type Header struct {
	LeadID        string    `json:"lead_id"`
	OccurredAt    time.Time `json:"occurred_at"`
	Version       int       `json:"version"`
	CorrelationID string    `json:"correlation_id,omitempty"`
}

// Head returns the header; it lets any detail be handled as a Detail.
func (h Header) Head() Header { return h }

// Detail is implemented by every detail type.
type Detail interface {
	Head() Header
	Type() DetailType
}

// Captured: a lead was created or a known lead submitted again.
type Captured struct {
	Header
	Source     string `json:"source"`
	Form       string `json:"form,omitempty"`
	Created    bool   `json:"created"`
	ActivityID string `json:"activity_id,omitempty"`
}

// Enriched: enrichment finished (successfully or not); scoring may go on.
type Enriched struct {
	Header
	Status    string   `json:"status"`
	Providers []string `json:"providers,omitempty"`
	Trigger   string   `json:"trigger,omitempty"` // new, sweep, nurture
}

// ActivityRecorded: a behaviour event was stored for the lead.
type ActivityRecorded struct {
	Header
	ActivityID   string            `json:"activity_id"`
	ActivityType lead.ActivityType `json:"activity_type"`
}

// Scored: the lead's score was recomputed.
type Scored struct {
	Header
	Total         float64    `json:"total"`
	Fit           float64    `json:"fit"`
	Intent        float64    `json:"intent"`
	Timing        float64    `json:"timing"`
	Stage         lead.Stage `json:"stage"`
	ConfigVersion string     `json:"config_version,omitempty"`
}

// StageChanged: the lead moved between lifecycle stages.
type StageChanged struct {
	Header
	From  lead.Stage `json:"from"`
	To    lead.Stage `json:"to"`
	Cause string     `json:"cause"`
}

// Routed: the lead got its first owner (or a team queue).
type Routed struct {
	Header
	Owner        string `json:"owner,omitempty"`
	Team         string `json:"team,omitempty"`
	Queue        string `json:"queue,omitempty"`
	Rule         string `json:"rule"`
	ManagerAlert bool   `json:"manager_alert,omitempty"`
}

// Reassigned: the lead moved to another owner (SLA or explicit action).
type Reassigned struct {
	Header
	From   string `json:"from"`
	To     string `json:"to"`
	Team   string `json:"team,omitempty"`
	Reason string `json:"reason"`
}

// NurtureTouch: a nurture touch was sent or assigned.
type NurtureTouch struct {
	Header
	Cadence string `json:"cadence"`
	Step    int    `json:"step"`
	Channel string `json:"channel"`
}

// OutcomeRecorded: a CRM outcome arrived for the lead.
type OutcomeRecorded struct {
	Header
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
}

// EnrichRequested: re-enrich the lead (trigger sweep or nurture).
type EnrichRequested struct {
	Header
	Trigger string `json:"trigger"`
}

// Erased: every item of the lead was deleted on request.
type Erased struct {
	Header
}

func (Captured) Type() DetailType         { return LeadCaptured }
func (Enriched) Type() DetailType         { return LeadEnriched }
func (ActivityRecorded) Type() DetailType { return LeadActivityRecorded }
func (Scored) Type() DetailType           { return LeadScored }
func (StageChanged) Type() DetailType     { return LeadStageChanged }
func (Routed) Type() DetailType           { return LeadRouted }
func (Reassigned) Type() DetailType       { return LeadReassigned }
func (NurtureTouch) Type() DetailType     { return LeadNurtureTouch }
func (OutcomeRecorded) Type() DetailType  { return LeadOutcomeRecorded }
func (Erased) Type() DetailType           { return LeadErased }
func (EnrichRequested) Type() DetailType  { return LeadEnrichRequested }

// New returns an empty detail of type t, or an error for an unknown type.
func New(t DetailType) (Detail, error) {
	switch t {
	case LeadCaptured:
		return &Captured{}, nil
	case LeadEnriched:
		return &Enriched{}, nil
	case LeadActivityRecorded:
		return &ActivityRecorded{}, nil
	case LeadScored:
		return &Scored{}, nil
	case LeadStageChanged:
		return &StageChanged{}, nil
	case LeadRouted:
		return &Routed{}, nil
	case LeadReassigned:
		return &Reassigned{}, nil
	case LeadNurtureTouch:
		return &NurtureTouch{}, nil
	case LeadOutcomeRecorded:
		return &OutcomeRecorded{}, nil
	case LeadErased:
		return &Erased{}, nil
	case LeadEnrichRequested:
		return &EnrichRequested{}, nil
	}
	return nil, lead.Errorf(lead.EINVALID, "unknown detail-type %q", t)
}

// Envelope is an event as EventBridge delivers it to an SQS target: the body
// of every consumer message, locally and in AWS.
type Envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType DetailType      `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account,omitempty"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region,omitempty"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// MaxSize is the largest event the bus carries, in bytes: EventBridge's
// entry and SQS's message limit. The local bus enforces it too, so an event
// too large for AWS fails in `leadflow dev` first.
const MaxSize = 256 * 1024

// Check returns EINVALID unless the bus can carry e: it needs a
// detail-type and a detail that is a JSON object, as EventBridge requires.
func (e Envelope) Check() error {
	if e.DetailType == "" {
		return lead.Errorf(lead.EINVALID, "event %s: no detail-type", e.ID)
	}
	if d := bytes.TrimLeft(e.Detail, " \t\r\n"); len(d) == 0 || d[0] != '{' || !json.Valid(d) {
		return lead.Errorf(lead.EINVALID, "event %s (%s): the detail is not a JSON object", e.ID, e.DetailType)
	}
	return nil
}

// Encode returns e as the JSON body a consumer's queue carries. Returns
// EINVALID for an envelope Check refuses or that does not encode, ETOOLARGE
// for one over MaxSize.
func Encode(e Envelope) ([]byte, error) {
	if err := e.Check(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(e)
	if err != nil {
		return nil, &lead.Error{Code: lead.EINVALID, Message: fmt.Sprintf("encode event %s", e.ID), Err: err}
	}
	if len(body) > MaxSize {
		return nil, lead.Errorf(lead.ETOOLARGE, "event %s (%s) of %d bytes exceeds %d", e.ID, e.DetailType, len(body), MaxSize)
	}
	return body, nil
}

// Wrap encodes d into an envelope with the given id.
func Wrap(id string, d Detail) (Envelope, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return Envelope{}, fmt.Errorf("encode %s: %w", d.Type(), err)
	}
	return Envelope{Version: "0", ID: id, DetailType: d.Type(), Source: Source, Time: d.Head().OccurredAt.UTC(), Resources: []string{}, Detail: raw}, nil
}

// Decode parses an envelope's detail into its typed struct. Returns an
// EINVALID error for an unknown type, malformed JSON or a missing lead_id.
func Decode(env Envelope) (Detail, error) {
	d, err := New(env.DetailType)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(env.Detail, d); err != nil {
		return nil, &lead.Error{Code: lead.EINVALID, Message: fmt.Sprintf("decode %s detail", env.DetailType), Err: err}
	}
	if d.Head().LeadID == "" {
		return nil, lead.Errorf(lead.EINVALID, "%s detail has no lead_id", env.DetailType)
	}
	return d, nil
}

// ParseEnvelope decodes an SQS message body into an envelope and its detail.
func ParseEnvelope(body []byte) (Envelope, Detail, error) {
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return env, nil, &lead.Error{Code: lead.EINVALID, Message: "decode event envelope", Err: err}
	}
	d, err := Decode(env)
	return env, d, err
}
