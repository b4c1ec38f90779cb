package enrich

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// keyPlaceholder marks where the credential goes in an auth_header value
// template ("Authorization: Bearer ${KEY}").
const keyPlaceholder = "${KEY}"

// maxBody bounds a provider's response: a company record is a few KB.
const maxBody = 1 << 20

// httpSource is a JSON API mapped by config: a URL template, an optional
// credential header and a dot path per field.
type httpSource struct {
	url    string
	client *http.Client
	clock  pipeline.Clock
	paths  map[string][]string // field → path segments

	header string // "" when the API takes no credential
	value  string // header value template holding keyPlaceholder
	cred   *credential
}

func newHTTPSource(pc *config.Provider, opts Options) (*httpSource, error) {
	s := &httpSource{url: pc.URL, clock: opts.Clock, paths: make(map[string][]string, len(pc.ResponseFields))}
	if s.clock == nil {
		s.clock = systemClock{}
	}
	base := opts.HTTPClient
	if base == nil {
		base = &http.Client{}
	}
	c := *base
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.client = &c
	for f, p := range pc.ResponseFields {
		s.paths[f] = strings.Split(p, ".")
	}
	if pc.AuthHeader == "" {
		return s, nil
	}
	name, value, templated := strings.Cut(pc.AuthHeader, ":")
	s.header, s.value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !templated {
		s.value = keyPlaceholder
	}
	if !httpguts.ValidHeaderFieldName(s.header) || !strings.Contains(s.value, keyPlaceholder) {
		return nil, lead.Errorf(lead.EINVALID, "auth_header must be a header name or \"Name: value with %s\"", keyPlaceholder)
	}
	s.cred = &credential{env: pc.AuthEnv, secret: pc.Secret, getenv: opts.Getenv, secrets: opts.Secrets}
	switch {
	case pc.Secret != "" && opts.Secrets == nil:
		return nil, lead.Errorf(lead.EINVALID, "secret %q needs a secret reader (Options.Secrets)", pc.Secret)
	case pc.Secret == "" && pc.AuthEnv == "":
		return nil, lead.Errorf(lead.EINVALID, "auth_header needs auth_env or secret")
	}
	if s.cred.getenv == nil {
		s.cred.getenv = os.Getenv
	}
	return s, nil
}

// key renders the request URL for l, or "" when it needs a domain or an
// email the lead lacks.
func (s *httpSource) key(l *lead.Lead) string {
	d, e := domainOf(l), l.Email
	if (d == "" && strings.Contains(s.url, "{domain}")) || (e == "" && strings.Contains(s.url, "{email}")) {
		return ""
	}
	return strings.NewReplacer("{domain}", url.QueryEscape(d), "{email}", url.QueryEscape(e)).Replace(s.url)
}

// fetch GETs u once. 404 and 204 are "no data"; 408, 429 and 5xx are
// transient; any other status, a body that is not JSON and a missing
// credential are permanent.
func (s *httpSource) fetch(ctx context.Context, u string) (record, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &fetchError{reason: "bad request URL"}
	}
	req.Header.Set("Accept", "application/json")
	if s.cred != nil {
		key, err := s.cred.get(ctx)
		if err != nil {
			return nil, err
		}
		v := strings.ReplaceAll(s.value, keyPlaceholder, key)
		if !httpguts.ValidHeaderFieldValue(v) {
			return nil, &fetchError{reason: "credential is not a valid header value"}
		}
		req.Header.Set(s.header, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		// The client's error quotes the URL, which may hold an email: only
		// its kind is kept.
		if ctx.Err() != nil {
			return nil, ctxError(ctx.Err())
		}
		return nil, &fetchError{reason: "connection failed", transient: true}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxError(ctx.Err())
		}
		return nil, &fetchError{reason: "response cut short", transient: true}
	}
	switch code := resp.StatusCode; {
	case code == http.StatusNotFound || code == http.StatusNoContent:
		return record{}, nil
	case code == http.StatusTooManyRequests:
		return nil, &fetchError{reason: "rate limited (429)", transient: true, retryAfter: s.retryAfter(resp)}
	case code == http.StatusRequestTimeout || code >= 500:
		return nil, &fetchError{reason: "status " + strconv.Itoa(code), transient: true, retryAfter: s.retryAfter(resp)}
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		if s.cred != nil {
			s.cred.forget()
		}
		return nil, &fetchError{reason: "status " + strconv.Itoa(code) + ": credential refused"}
	case code < 200 || code > 299:
		return nil, &fetchError{reason: "status " + strconv.Itoa(code)}
	}
	if len(body) > maxBody {
		return nil, &fetchError{reason: "response too large"}
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, &fetchError{reason: "response is not JSON"}
	}
	rec := record{}
	for f, path := range s.paths {
		// A value of the wrong shape is treated as absent: the other fields
		// of the answer are still good.
		if v, err := coerce(f, walk(doc, path)); err == nil && v != nil {
			rec[f] = v
		}
	}
	return rec, nil
}

// retryAfter reads a Retry-After header in seconds or as an HTTP date.
func (s *httpSource) retryAfter(resp *http.Response) time.Duration {
	h := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil {
		return time.Duration(max(n, 0)) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(s.clock.Now()), 0)
	}
	return 0
}

// walk follows a dot path through decoded JSON; a numeric segment indexes
// an array. It returns nil when the path leads nowhere.
func walk(v any, path []string) any {
	for _, seg := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// credential reads an http provider's key from the environment or a
// secret; a secret is read once and again after the provider refused it.
type credential struct {
	env, secret string
	getenv      func(string) string
	secrets     func(context.Context, string) (string, error)

	mu     sync.Mutex
	cached string
}

func (c *credential) get(ctx context.Context) (string, error) {
	if c.secret == "" {
		if v := c.getenv(c.env); v != "" {
			return v, nil
		}
		return "", &fetchError{reason: fmt.Sprintf("credential missing: %s is not set", c.env)}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cached != "" {
		return c.cached, nil
	}
	v, err := c.secrets(ctx, c.secret)
	switch {
	case err != nil && ctx.Err() != nil:
		return "", ctxError(ctx.Err())
	case err != nil:
		return "", &fetchError{reason: "credential unavailable", transient: lead.Retryable(err)}
	case v == "":
		return "", &fetchError{reason: "credential unavailable: the secret is empty"}
	}
	c.cached = v
	return v, nil
}

func (c *credential) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cached = ""
}

// domainOf returns the lead's company domain (its account key).
func domainOf(l *lead.Lead) string {
	if l.Domain != "" {
		return l.Domain
	}
	if d := lead.AccountKey(l.Email); d != "" {
		return d
	}
	return lead.AccountKey(l.Website)
}
