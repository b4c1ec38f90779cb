// Package crm implements the CRM port with a signed outbound webhook: each
// stage change, owner assignment, disqualification and erasure is posted as
// JSON to the configured endpoint, with the lead's values under the HubSpot
// or Salesforce property names of the config, an HMAC-SHA256 signature over
// the timestamp and body (the scheme leadflow's own signed webhooks verify)
// and the event id as idempotency key.
package crm

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/internal/backoff"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// Request headers.
const (
	// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256 of
	// "<t>.<body>">", as httpapi.Sign makes it.
	SignatureHeader = "X-Leadflow-Signature"
	// IdempotencyHeader carries the event id: a redelivered event has the
	// same key, so the CRM applies it once.
	IdempotencyHeader = "Idempotency-Key"
	// EventHeader carries the detail type of the event.
	EventHeader = "X-Leadflow-Event"
)

// Payload actions.
const (
	ActionUpsert = "upsert" // create or update the record with Properties
	ActionErase  = "erase"  // delete the record holding the lead id
)

// MaxRetryAfter is the longest Retry-After a delivery waits for; a CRM asking
// for more gets the event back through the queue instead.
const MaxRetryAfter = 10 * time.Second

// Payload is the JSON body of every request.
type Payload struct {
	// ID is the idempotency key, as in IdempotencyHeader.
	ID     string            `json:"id"`
	Action string            `json:"action"`
	Event  events.DetailType `json:"event"`
	System string            `json:"system"` // config.CRMHubSpot or config.CRMSalesforce
	LeadID string            `json:"lead_id"`
	// LeadVersion grows with every write of the lead: a receiver may drop a
	// payload older than one it applied. Zero for an erasure.
	LeadVersion int64     `json:"lead_version,omitempty"`
	At          time.Time `json:"at"` // when the state was written or the lead erased
	// Properties maps CRM property names to values. An erasure carries the
	// lead id property only.
	Properties map[string]any `json:"properties"`
}

// Options are a Client's dependencies; zero values are replaced by the
// defaults each field names.
type Options struct {
	// HTTPClient sends the requests (nil: a client without overall timeout;
	// each attempt is bounded by the config's timeout).
	HTTPClient *http.Client
	// Getenv reads the secret of a config with secret_env (nil: os.Getenv).
	Getenv func(string) string
	// Secrets reads the secret of a config with secret (a Secrets Manager id);
	// a caching reader picks up rotations. Required for such a config.
	Secrets func(ctx context.Context, name string) (string, error)
	// Clock stamps signatures (nil: the wall clock).
	Clock pipeline.Clock
	// Sleep waits between attempts (nil: a real wait that ctx cancels).
	Sleep func(context.Context, time.Duration) error
	// Log records retries, never a body, a URL or a lead value (nil:
	// slog.Default()).
	Log *slog.Logger
}

// Client posts lead changes to one CRM endpoint. It is safe for concurrent
// use.
type Client struct {
	cfg    config.CRM
	opts   Options
	secret func(ctx context.Context) (string, error)
}

var _ pipeline.CRM = (*Client)(nil)

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// New returns a Client for an enabled CRM config. Returns EINVALID when the
// config has no URL, no secret or no lead_id or stage property (a loaded
// config always has them), or names a secret and Options.Secrets is nil. A secret_env variable is read when a request is signed.
func New(cfg config.CRM, opts Options) (*Client, error) {
	if !cfg.Enabled() {
		return nil, lead.Errorf(lead.EINVALID, "crm: no url configured")
	}
	for _, f := range []string{config.CRMFieldLeadID, config.CRMFieldStage} {
		if cfg.Fields[f] == "" {
			return nil, lead.Errorf(lead.EINVALID, "crm: fields.%s is not mapped to a CRM property", f)
		}
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Clock == nil {
		opts.Clock = wallClock{}
	}
	if opts.Sleep == nil {
		opts.Sleep = backoff.Sleep
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if cfg.Attempts < 1 {
		cfg.Attempts = config.DefaultCRMAttempts
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = config.DefaultCRMTimeout
	}
	c := &Client{cfg: cfg, opts: opts}
	switch {
	case cfg.Secret != "":
		if opts.Secrets == nil {
			return nil, lead.Errorf(lead.EINVALID, "crm: secret %q needs a secret reader (Options.Secrets)", cfg.Secret)
		}
		c.secret = func(ctx context.Context) (string, error) { return opts.Secrets(ctx, cfg.Secret) }
	case cfg.SecretEnv != "":
		// Read on each request, not here: an unset variable then fails the
		// CRM records only (to the dead-letter queue, with this message),
		// not the start of every function sharing the wiring.
		c.secret = func(context.Context) (string, error) {
			if v := opts.Getenv(cfg.SecretEnv); v != "" {
				return v, nil
			}
			return "", lead.Errorf(lead.EINVALID, "%s is not set: it holds the secret that signs CRM requests", cfg.SecretEnv)
		}
	default:
		return nil, lead.Errorf(lead.EINVALID, "crm: needs secret_env or secret to sign requests")
	}
	return c, nil
}

// Upsert posts the lead's state under the config's property names. Returns
// EINVALID, before sending, when the stage or the owner has no CRM value in
// the config, and the delivery's error otherwise (see deliver).
func (c *Client) Upsert(ctx context.Context, u pipeline.CRMUpdate) error {
	props, err := c.properties(u)
	if err != nil {
		return err
	}
	return c.deliver(ctx, Payload{
		ID: u.Key, Action: ActionUpsert, Event: u.Event, System: c.cfg.System,
		LeadID: u.LeadID, LeadVersion: u.Version, At: u.UpdatedAt, Properties: props,
	}, false)
}

// Erase posts a deletion request naming the lead by id alone. A 404 or 410
// answer means there is nothing left to delete and is a success. Returns the
// delivery's error otherwise (see deliver).
func (c *Client) Erase(ctx context.Context, e pipeline.CRMErasure) error {
	return c.deliver(ctx, Payload{
		ID: e.Key, Action: ActionErase, Event: events.LeadErased, System: c.cfg.System,
		LeadID: e.LeadID, At: e.At.UTC(), Properties: map[string]any{c.cfg.Fields[config.CRMFieldLeadID]: e.LeadID},
	}, true)
}

// properties maps an update to the configured CRM properties. An owner is
// left out while the lead has none (a CRM keeps its own owner then, and some
// refuse an empty one); other values are sent even when empty, so that a
// cleared value is cleared in the CRM too.
func (c *Client) properties(u pipeline.CRMUpdate) (map[string]any, error) {
	values := map[string]any{
		config.CRMFieldLeadID:           u.LeadID,
		config.CRMFieldTeam:             u.Team,
		config.CRMFieldQueue:            u.Queue,
		config.CRMFieldScore:            u.Score,
		config.CRMFieldDisqualifyReason: u.DisqualifyReason,
		config.CRMFieldOutcome:          u.Outcome,
		config.CRMFieldUpdatedAt:        u.UpdatedAt.UTC().Format(time.RFC3339Nano),
	}
	if u.Email != "" {
		values[config.CRMFieldEmail] = u.Email
	}
	stage, ok := c.cfg.Stages[u.Stage]
	if !ok {
		return nil, lead.Errorf(lead.EINVALID, "crm: stage %q has no CRM value in crm.stages", u.Stage)
	}
	values[config.CRMFieldStage] = stage
	if u.Owner != "" {
		owner := u.Owner
		if len(c.cfg.Owners) > 0 {
			if owner, ok = c.cfg.Owners[u.Owner]; !ok {
				return nil, lead.Errorf(lead.EINVALID, "crm: rep %q has no CRM owner id in crm.owners", u.Owner)
			}
		}
		values[config.CRMFieldOwner] = owner
	}
	props := make(map[string]any, len(c.cfg.Fields))
	for field, prop := range c.cfg.Fields {
		if v, ok := values[field]; ok {
			props[prop] = v
		}
	}
	return props, nil
}

// errRetry marks an attempt worth repeating.
var errRetry = errors.New("retryable")

// deliver posts p, signed, retrying a failed connection, a timeout, a 408,
// a 429 or a 5xx with jittered backoff up to the configured attempts (a
// 429's Retry-After is honoured up to MaxRetryAfter). Errors name the event
// and status only: never the URL, the body or the CRM's answer, which may
// hold lead data. Returns EUNAVAILABLE when the attempts run out or the
// secret is unavailable for now, ERATELIMIT when the CRM asks to wait longer
// than MaxRetryAfter, and EINVALID when the CRM refuses the request (any
// other 4xx) or the secret is missing.
func (c *Client) deliver(ctx context.Context, p Payload, gone404 bool) error {
	op := fmt.Sprintf("crm: %s %s of lead %s", p.Action, p.Event, p.LeadID)
	body, err := json.Marshal(p)
	if err != nil {
		return &lead.Error{Code: lead.EINVALID, Message: op + ": encode payload", Err: err}
	}
	secret, err := c.secret(ctx)
	switch {
	case err != nil && lead.Retryable(err):
		return &lead.Error{Code: lead.EUNAVAILABLE, Message: op + ": signing secret unavailable", Err: err}
	case err != nil:
		return &lead.Error{Code: lead.EINVALID, Message: op + ": signing secret", Err: err}
	case secret == "":
		return lead.Errorf(lead.EINVALID, "%s: the signing secret is empty", op)
	}
	var last error
	for attempt := 1; ; attempt++ {
		wait, err := c.post(ctx, p, []byte(secret), body, gone404)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errRetry) {
			return &lead.Error{Code: lead.ErrorCode(err), Message: op, Err: err}
		}
		last = err
		if attempt >= c.cfg.Attempts {
			break
		}
		if ctx.Err() != nil {
			// The answer raced the cancellation: the invocation is ending,
			// and the queue retries, not this call.
			return &lead.Error{Code: lead.EUNAVAILABLE, Message: op + ": request abandoned", Err: ctx.Err()}
		}
		if wait > MaxRetryAfter {
			return &lead.Error{Code: lead.ERATELIMIT, Message: fmt.Sprintf("%s: the CRM asks to wait %s", op, wait), Err: err}
		}
		if wait == 0 {
			wait = backoff.Delay(attempt)
		}
		c.opts.Log.WarnContext(ctx, "crm request retried", "event", string(p.Event), "key", p.ID, "attempt", attempt, "wait", wait.String(), "err", err.Error())
		if err := c.opts.Sleep(ctx, wait); err != nil {
			return &lead.Error{Code: lead.EUNAVAILABLE, Message: op, Err: err}
		}
	}
	return &lead.Error{Code: lead.EUNAVAILABLE, Message: fmt.Sprintf("%s: %d attempts failed", op, c.cfg.Attempts), Err: last}
}

// post makes one attempt, signed at the time of the attempt so that a late
// retry stays inside the receiver's replay window. A retryable failure wraps
// errRetry and comes with the wait the CRM asked for (0 if none).
func (c *Client) post(parent context.Context, p Payload, secret, body []byte, gone404 bool) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(parent, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(body))
	if err != nil {
		// The error quotes the URL, which may hold a token: not kept.
		return 0, lead.Errorf(lead.EINVALID, "bad CRM URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "leadflow-crmsync")
	req.Header.Set(SignatureHeader, Sign(secret, c.opts.Clock.Now(), body))
	req.Header.Set(IdempotencyHeader, p.ID)
	req.Header.Set(EventHeader, string(p.Event))
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		if parent.Err() != nil {
			// The invocation is ending: the queue retries, not this call.
			return 0, &lead.Error{Code: lead.EUNAVAILABLE, Message: "request abandoned", Err: parent.Err()}
		}
		if ctx.Err() != nil {
			return 0, fmt.Errorf("no answer within %s (%w)", c.cfg.Timeout, errRetry)
		}
		// The client's error quotes the URL: only its kind is kept.
		return 0, fmt.Errorf("connection failed (%w)", errRetry)
	}
	// The answer is not read: it may echo lead data. Draining a little lets
	// the connection be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return 0, nil
	case gone404 && (code == http.StatusNotFound || code == http.StatusGone):
		return 0, nil
	case code == http.StatusTooManyRequests:
		return retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("status 429 (%w)", errRetry)
	case code == http.StatusRequestTimeout || code >= 500:
		return retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("status %d (%w)", code, errRetry)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return 0, lead.Errorf(lead.EINVALID, "refused with status %d: check the signing secret", code)
	}
	return 0, lead.Errorf(lead.EINVALID, "refused with status %d", resp.StatusCode)
}

// Sign returns the SignatureHeader value for body at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// retryAfter reads a Retry-After header given in seconds; a date or a bad
// value counts as none.
func retryAfter(h string) time.Duration {
	s, err := strconv.Atoi(h)
	if err != nil || s < 0 {
		return 0
	}
	return time.Duration(s) * time.Second
}
