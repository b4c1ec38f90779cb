// Package slack implements the Notifier port with a Slack incoming webhook.
package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/shared/internal/backoff"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// Defaults of a Notifier.
const (
	DefaultTimeout       = 5 * time.Second
	DefaultAttempts      = 4
	DefaultMaxRetryAfter = 30 * time.Second
)

// Notifier posts notifications to one incoming webhook. It is safe for
// concurrent use.
type Notifier struct {
	webhook       Webhook
	roster        Roster
	client        *http.Client
	timeout       time.Duration
	attempts      int
	maxRetryAfter time.Duration
	sleep         func(context.Context, time.Duration) error
}

var _ pipeline.Notifier = (*Notifier)(nil)

// Option configures a Notifier.
type Option func(*Notifier)

// WithTimeout bounds each attempt (default DefaultTimeout).
func WithTimeout(d time.Duration) Option { return func(n *Notifier) { n.timeout = d } }

// WithAttempts bounds the attempts per notification (default
// DefaultAttempts).
func WithAttempts(k int) Option { return func(n *Notifier) { n.attempts = max(k, 1) } }

// WithMaxRetryAfter is the longest Retry-After the notifier waits for
// (default DefaultMaxRetryAfter); asked to wait longer, it gives up.
func WithMaxRetryAfter(d time.Duration) Option { return func(n *Notifier) { n.maxRetryAfter = d } }

// Roster looks up a recipient (a rep or manager id): the name to show and
// the Slack member ID to mention, either may be empty; false if unknown.
type Roster func(id string) (name, member string, ok bool)

// WithRoster addresses each post to its recipient: an incoming webhook
// posts to one channel the whole team reads, so a post says whom it is
// for, mentioning the member (which notifies them) when the roster has
// their member ID. Without a roster, posts carry no addressee.
func WithRoster(r Roster) Option { return func(n *Notifier) { n.roster = r } }

// WithSleep replaces the wait between attempts (tests pass one that records
// the waits instead of waiting).
func WithSleep(sleep func(context.Context, time.Duration) error) Option {
	return func(n *Notifier) { n.sleep = sleep }
}

// Webhook returns the incoming-webhook URL to post to. The functions read
// it through the secrets cache at each notification, so a URL set or
// rotated after the deploy is used within the cache's TTL, with no cold
// start.
type Webhook func(ctx context.Context) (string, error)

// Fixed is the Webhook of one URL.
func Fixed(url string) Webhook { return func(context.Context) (string, error) { return url, nil } }

// New returns a Notifier posting to the URL webhook returns. client is
// shared (nil means http.DefaultClient).
func New(webhook Webhook, client *http.Client, opts ...Option) *Notifier {
	if client == nil {
		client = http.DefaultClient
	}
	n := &Notifier{webhook: webhook, client: client, timeout: DefaultTimeout, attempts: DefaultAttempts, maxRetryAfter: DefaultMaxRetryAfter, sleep: backoff.Sleep}
	for _, o := range opts {
		o(n)
	}
	return n
}

// message is the webhook payload; the text is the notification's subject
// and body as the pipeline wrote them, nothing more.
type message struct {
	Text string `json:"text"`
}

// errRetry marks an attempt worth repeating.
var errRetry = errors.New("retryable")

// Notify posts n's subject and body. A 5xx, a 429 or a failed or timed-out
// request is retried with backoff (a 429's Retry-After is honoured), a
// bounded number of times. Deduplication by the notification key is the
// caller's. Errors never contain the webhook URL, which is a secret.
// Returns EUNAVAILABLE when the attempts run out, ERATELIMIT when Slack
// asks to wait longer than the notifier may, EINVALID when Slack refuses the
// post for good (a revoked webhook, a bad payload).
func (n *Notifier) Notify(ctx context.Context, note pipeline.Notification) error {
	body, err := json.Marshal(message{Text: n.addressee(note.To) + note.Subject + "\n" + note.Body})
	if err != nil {
		return &lead.Error{Code: lead.EINVALID, Message: "slack: encode notification " + note.Key, Err: err}
	}
	op := fmt.Sprintf("slack: notify %s of %s", note.To, note.Kind)
	webhook, err := n.webhook(ctx)
	if err != nil {
		return &lead.Error{Code: lead.ErrorCode(err), Message: op + ": read the webhook URL", Err: err}
	}
	var last error
	for attempt := 1; attempt <= n.attempts; attempt++ {
		wait, err := n.post(ctx, webhook, body)
		if err == nil {
			return nil
		}
		last = err
		if !errors.Is(err, errRetry) {
			return &lead.Error{Code: lead.ErrorCode(err), Message: op, Err: err}
		}
		if attempt == n.attempts {
			break
		}
		if wait > n.maxRetryAfter {
			return &lead.Error{Code: lead.ERATELIMIT, Message: fmt.Sprintf("%s: rate limited for %s", op, wait), Err: err}
		}
		if wait == 0 {
			wait = backoff.Delay(attempt)
		}
		if err := n.sleep(ctx, wait); err != nil {
			return &lead.Error{Code: lead.EUNAVAILABLE, Message: op, Err: err}
		}
	}
	return &lead.Error{Code: lead.EUNAVAILABLE, Message: fmt.Sprintf("%s: %d attempts failed", op, n.attempts), Err: last}
}

// addressee opens a post to the recipient id: "<@member> ", "*Name*: ",
// or the id itself when the roster does not know it.
func (n *Notifier) addressee(id string) string {
	if n.roster == nil || id == "" {
		return ""
	}
	name, member, ok := n.roster(id)
	switch {
	case member != "":
		return "<@" + member + "> "
	case ok && name != "":
		return "*" + name + "*: "
	}
	return id + ": "
}

// post makes one attempt. A retryable failure wraps errRetry and comes with
// the wait Slack asked for (0 if none).
func (n *Notifier) post(ctx context.Context, webhook string, body []byte) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhook, bytes.NewReader(body))
	if err != nil {
		// NewRequest quotes the URL in its error: keep only the cause.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return 0, &lead.Error{Code: lead.EINVALID, Message: "slack: bad webhook URL", Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return 0, fmt.Errorf("post: %w (%w)", err, errRetry)
	}
	defer resp.Body.Close()
	// Slack's answer is a short word ("ok", "invalid_token"); read a little
	// for the error and drain the rest so the connection is reused.
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, resp.Body)
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return 0, nil
	case resp.StatusCode == http.StatusTooManyRequests:
		return retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("status 429 (%w)", errRetry)
	case resp.StatusCode >= 500:
		return 0, fmt.Errorf("status %d: %q (%w)", resp.StatusCode, reply, errRetry)
	}
	return 0, lead.Errorf(lead.EINVALID, "webhook refused the post: status %d: %q", resp.StatusCode, reply)
}

// retryAfter reads a Retry-After header in seconds; Slack sends no dates.
func retryAfter(h string) time.Duration {
	s, err := strconv.Atoi(h)
	if err != nil || s < 0 {
		return 0
	}
	return time.Duration(s) * time.Second
}
