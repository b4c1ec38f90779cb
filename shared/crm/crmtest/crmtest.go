// Package crmtest is a fake CRM endpoint for tests: an httptest server on
// 127.0.0.1 that checks each request's signature the way leadflow's own
// signed webhooks are checked (httpapi.Sign), records what it received and
// answers with scripted statuses.
package crmtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/crm"
	"github.com/leadflow/leadflow/shared/httpapi"
)

// Request is one request the fake CRM received.
type Request struct {
	Header  http.Header
	Body    []byte
	Payload crm.Payload
	// SignatureValid reports whether SignatureHeader holds the HMAC of the
	// body under the server's secret.
	SignatureValid bool
}

// Response is a scripted answer. Hang makes the server answer only once the
// client has given up (a timeout).
type Response struct {
	Status     int
	RetryAfter string
	Hang       bool
}

// Server is the fake CRM. Its methods are safe for concurrent use.
type Server struct {
	URL    string
	secret []byte

	mu        sync.Mutex
	script    map[string][]Response // by lead id; "" answers any lead
	requests  []Request
	onRequest func(Request)
}

// NewServer starts a fake CRM checking signatures with secret; it closes
// when the test ends. Unscripted requests are answered 200.
func NewServer(t testing.TB, secret string) *Server {
	t.Helper()
	s := &Server{secret: []byte(secret)}
	ts := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(ts.Close)
	s.URL = ts.URL + "/leadflow"
	return s
}

// Script queues answers for the next requests about leadID, in order; ""
// means any lead (a lead's own script is used first).
func (s *Server) Script(leadID string, rs ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.script == nil {
		s.script = map[string][]Response{}
	}
	s.script[leadID] = append(s.script[leadID], rs...)
}

// OnRequest sets a function run for each request before it is answered.
func (s *Server) OnRequest(fn func(Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onRequest = fn
}

// Requests returns what the server received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Reset forgets the requests received so far.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	req := Request{Header: r.Header.Clone(), Body: body, SignatureValid: s.valid(r.Header.Get(crm.SignatureHeader), body)}
	if err := json.Unmarshal(body, &req.Payload); err != nil {
		http.Error(w, "bad JSON", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	resp := Response{Status: http.StatusOK}
	for _, id := range []string{req.Payload.LeadID, ""} {
		if q := s.script[id]; len(q) > 0 {
			resp, s.script[id] = q[0], q[1:]
			break
		}
	}
	hook := s.onRequest
	s.mu.Unlock()
	if hook != nil {
		hook(req)
	}
	if resp.Hang {
		<-r.Context().Done()
		return
	}
	if !req.SignatureValid {
		resp.Status = http.StatusUnauthorized
	}
	if resp.RetryAfter != "" {
		w.Header().Set("Retry-After", resp.RetryAfter)
	}
	w.WriteHeader(resp.Status)
}

// valid checks "t=<unix>,v1=<hex>" against httpapi.Sign, leadflow's own
// signing of webhooks: a receiver verifying leadflow webhooks verifies these.
func (s *Server) valid(header string, body []byte) bool {
	ts, _, ok := strings.Cut(strings.TrimPrefix(header, "t="), ",")
	if !ok {
		return false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	return header == httpapi.Sign(s.secret, time.Unix(sec, 0), body)
}
