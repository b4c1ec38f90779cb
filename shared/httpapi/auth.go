package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>">" on signed webhooks (events, outcomes).
const SignatureHeader = "x-leadflow-signature"

// APIKeyHeader carries an API key, the alternative to a signature.
const APIKeyHeader = "x-api-key"

// Keys are the credentials of the signed routes, as the webhook secret
// holds them in JSON.
type Keys struct {
	HMACSecret     string   `json:"hmac_secret"`
	APIKeys        []string `json:"api_keys"`
	LinkedInSecret string   `json:"linkedin_secret"`
}

// FixedKeys is the key source of k.
func FixedKeys(k Keys) func(context.Context) (Keys, error) {
	return func(context.Context) (Keys, error) { return k, nil }
}

// Signer verifies signed webhooks: an HMAC over the timestamp and body within
// a time window, each signature accepted once (replays are refused), or one
// of the configured API keys; and LinkedIn's X-LI-Signature.
type Signer struct {
	// Keys returns the current keys: fixed ones locally; in AWS the webhook
	// secret through the secrets cache, so keys set or rotated after the
	// deploy apply within minutes, with no cold start.
	Keys   func(ctx context.Context) (Keys, error)
	Window time.Duration // default 5 minutes
	Clock  pipeline.Clock
	// Seen remembers signatures so a replay inside the window is refused.
	Seen pipeline.Store
}

// keys returns the current keys, or EUNAVAILABLE (the sender retries) when
// they cannot be read.
func (s *Signer) keys(ctx context.Context) (Keys, error) {
	k, err := s.Keys(ctx)
	if err != nil {
		return Keys{}, &lead.Error{Code: lead.EUNAVAILABLE, Message: "the webhook keys cannot be read; retry later", Err: err}
	}
	return k, nil
}

// Sign returns the signature header value for body at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify returns EUNAUTHORIZED unless the request carries a valid API key or
// a fresh, valid, never-seen signature.
func (s *Signer) Verify(ctx context.Context, req Request, body []byte) error {
	keys, err := s.keys(ctx)
	if err != nil {
		return err
	}
	if key := header(req, APIKeyHeader); key != "" {
		for _, k := range keys.APIKeys {
			if subtle.ConstantTimeCompare([]byte(key), []byte(k)) == 1 {
				return nil
			}
		}
		return lead.Errorf(lead.EUNAUTHORIZED, "invalid API key")
	}
	secret := []byte(keys.HMACSecret)
	sig := header(req, SignatureHeader)
	if sig == "" || len(secret) == 0 {
		return lead.Errorf(lead.EUNAUTHORIZED, "a signature (X-Leadflow-Signature) or API key (X-Api-Key) is required")
	}
	var ts, v1 string
	for _, part := range strings.Split(sig, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || v1 == "" {
		return lead.Errorf(lead.EUNAUTHORIZED, "malformed signature header")
	}
	window := s.Window
	if window == 0 {
		window = 5 * time.Minute
	}
	age := s.Clock.Now().Sub(time.Unix(sec, 0))
	if age > window || age < -window {
		return lead.Errorf(lead.EUNAUTHORIZED, "signature timestamp outside the %s window", window)
	}
	if !hmac.Equal([]byte(v1), []byte(mac(secret, ts, body))) {
		return lead.Errorf(lead.EUNAUTHORIZED, "invalid signature")
	}
	if s.Seen != nil {
		_, fresh, err := s.Seen.PutOnce(ctx, "sig:"+v1, ts, 2*window)
		if err != nil {
			return fmt.Errorf("record signature: %w", err)
		}
		if !fresh {
			// Spent even when that attempt failed: a sender signs each
			// attempt afresh, so an old request cannot be replayed over a
			// newer one (a later outcome undone).
			return lead.Errorf(lead.EUNAUTHORIZED, "signature already used (replay); sign each attempt with a fresh t")
		}
	}
	return nil
}

// LinkedInSignature returns the X-LI-Signature value for body.
func LinkedInSignature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "hmacsha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifyLinkedIn returns EUNAUTHORIZED unless got is LinkedIn's signature
// of body with the LinkedIn secret.
func (s *Signer) VerifyLinkedIn(ctx context.Context, got string, body []byte) error {
	keys, err := s.keys(ctx)
	if err != nil {
		return err
	}
	return verifyLinkedIn(keys.LinkedInSecret, got, body)
}

func verifyLinkedIn(secret, got string, body []byte) error {
	if secret == "" {
		return lead.Errorf(lead.EUNAUTHORIZED, "the LinkedIn source has no secret configured")
	}
	if got == "" || !hmac.Equal([]byte(got), []byte(LinkedInSignature(secret, body))) {
		return lead.Errorf(lead.EUNAUTHORIZED, "invalid X-LI-Signature")
	}
	return nil
}

// Limiter is a token bucket per client address.
type Limiter struct {
	Rate  float64 // tokens per second
	Burst float64
	Now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// Allow takes a token for addr and reports whether one was available.
func (l *Limiter) Allow(addr string) bool {
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	b, ok := l.buckets[addr]
	if !ok {
		if len(l.buckets) > 100_000 {
			l.evict(now)
		}
		b = &bucket{tokens: l.Burst, last: now}
		l.buckets[addr] = b
	}
	b.tokens = min(l.Burst, b.tokens+now.Sub(b.last).Seconds()*l.Rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// evict drops full buckets so the map stays bounded under many addresses.
func (l *Limiter) evict(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.Rate >= l.Burst {
			delete(l.buckets, k)
		}
	}
}
