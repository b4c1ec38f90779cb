package local

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/console"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/outbox"
)

// Handler serves the API routes through the same handler API Gateway
// invokes, local-only operator routes under /v1/_ (token required), and the
// operator console under /console/ (GET / redirects there).
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "config_version": a.Config.Version})
	})
	mux.HandleFunc("POST /v1/_clock/advance", a.internal(a.advanceClock))
	mux.HandleFunc("GET /v1/_clock", a.internal(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"now": a.clock.Now().UTC(), "manual": a.manual != nil})
	}))
	mux.HandleFunc("GET /v1/_dlq", a.internal(a.listDLQ))
	mux.HandleFunc("POST /v1/_dlq/redrive", a.internal(a.redriveDLQ))
	mux.HandleFunc("GET /v1/_outbox", a.internal(a.listOutbox))
	mux.HandleFunc("GET /v1/_stats", a.internal(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"queues": a.Bus.Stats()})
	}))
	mux.HandleFunc("POST /v1/_sweep", a.internal(a.sweep))
	mux.HandleFunc("POST /v1/_settle", a.internal(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 60*time.Second)
		defer cancel()
		if err := a.Settle(ctx); err != nil {
			writeError(w, lead.Errorf(lead.EUNAVAILABLE, "pipeline did not settle"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "idle"})
	}))
	// The operator console (token login) at /; everything else is the API.
	mux.Handle(console.Prefix, console.New(console.Options{Service: a.Service, Config: a.Config, ConfigPath: a.opts.ConfigPath, Timers: a.Timers, DLQ: a.Bus, Token: a.opts.Token, Log: a.opts.Log}))
	mux.Handle("GET /{$}", http.RedirectHandler(console.Prefix, http.StatusFound))
	mux.Handle("/", http.HandlerFunc(a.serveAPI))
	return mux
}

// serveAPI turns a net/http request into an API Gateway HTTP API v2 event and
// calls the handler the Lambdas run.
func (a *App) serveAPI(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, httpapi.MaxBody+1))
	if err != nil {
		writeError(w, lead.Errorf(lead.EINVALID, "could not read the body"))
		return
	}
	if len(body) > httpapi.MaxBody {
		writeError(w, lead.Errorf(lead.ETOOLARGE, "body exceeds %d bytes", httpapi.MaxBody))
		return
	}
	resp, _ := a.API.Handle(r.Context(), a.toRequest(r, body))
	writeResponse(w, resp)
}

// toRequest builds the payload API Gateway would send: lower-cased header
// names, repeated values joined by commas, the query parsed.
func (a *App) toRequest(r *http.Request, body []byte) httpapi.Request {
	headers := make(map[string]string, len(r.Header))
	for k, vs := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	query := map[string]string{}
	for k, vs := range r.URL.Query() {
		query[k] = strings.Join(vs, ",")
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	return httpapi.Request{
		Version:               "2.0",
		RouteKey:              "$default",
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Headers:               headers,
		QueryStringParameters: query,
		Body:                  string(body),
		RequestContext: awsevents.APIGatewayV2HTTPRequestContext{
			RequestID: a.Service.IDs.NewID(),
			Stage:     "$default",
			TimeEpoch: time.Now().UnixMilli(),
			HTTP: awsevents.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: ip, UserAgent: r.UserAgent(),
			},
		},
	}
}

func (a *App) internal(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.opts.Token)) != 1 {
			writeError(w, lead.Errorf(lead.EUNAUTHORIZED, "a valid bearer token is required"))
			return
		}
		h(w, r)
	}
}

// advanceClock moves the manual clock, fires every timer due by then, and
// answers once the pipeline is idle again.
func (a *App) advanceClock(w http.ResponseWriter, r *http.Request) {
	if a.manual == nil {
		writeError(w, lead.Errorf(lead.EUNPROCESSABLE, "the clock is not manual; start with --clock manual"))
		return
	}
	var body struct {
		By string `json:"by"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&body); err != nil {
		writeError(w, &lead.Error{Code: lead.EINVALID, Field: "by", Message: `body must be {"by": "72h"}`})
		return
	}
	by, err := time.ParseDuration(body.By)
	if err != nil || by < 0 {
		writeError(w, &lead.Error{Code: lead.EINVALID, Field: "by", Message: "must be a positive duration such as 90m or 72h"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Minute)
	defer cancel()
	if err := a.Advance(ctx, by); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"now": a.clock.Now().UTC()})
}

// Advance moves the manual clock forward by d in steps, so timers fire in
// order and each sees the time it was due: the pipeline settles after every
// step. Returns EUNPROCESSABLE unless the clock is manual.
func (a *App) Advance(ctx context.Context, d time.Duration) error {
	if a.manual == nil {
		return lead.Errorf(lead.EUNPROCESSABLE, "the clock is not manual")
	}
	target := a.manual.Now().Add(d)
	for {
		if err := a.Settle(ctx); err != nil {
			return err
		}
		next, ok := a.Timers.NextDue()
		if !ok || next.After(target) {
			break
		}
		if next.After(a.manual.Now()) {
			a.manual.Set(next)
		}
		if err := a.Timers.Fire(ctx, a.manual.Now()); err != nil {
			return err
		}
	}
	a.manual.Set(target)
	if err := a.Timers.Fire(ctx, target); err != nil {
		return err
	}
	return a.Settle(ctx)
}

func (a *App) listDLQ(w http.ResponseWriter, r *http.Request) {
	dl, err := a.Bus.DeadLetters(events.Consumer(r.URL.Query().Get("consumer")))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"dead_letters": dl})
}

func (a *App) redriveDLQ(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Consumer string   `json:"consumer"`
		IDs      []string `json:"ids"`
	}
	if r.ContentLength != 0 {
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
			writeError(w, lead.Errorf(lead.EINVALID, `body must be {"consumer": "...", "ids": [...]}`))
			return
		}
	}
	consumers := []events.Consumer{events.Consumer(body.Consumer)}
	if body.Consumer == "" {
		consumers = consumers[:0]
		for _, rt := range events.Routes {
			consumers = append(consumers, rt.Consumer)
		}
	}
	total := 0
	for _, c := range consumers {
		n, err := a.Bus.Redrive(r.Context(), c, body.IDs...)
		if err != nil {
			writeError(w, err)
			return
		}
		total += n
	}
	writeJSON(w, http.StatusOK, map[string]int{"redriven": total})
}

func (a *App) listOutbox(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	entries, err := a.Outbox.List(r.Context(), outbox.Filter{LeadID: q.Get("lead_id"), To: q.Get("to"), Kind: q.Get("kind")})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
}

func (a *App) sweep(w http.ResponseWriter, r *http.Request) {
	n, err := a.Service.Sweep(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"requested": n})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with the API's JSON error for err.
func writeError(w http.ResponseWriter, err error) { writeResponse(w, httpapi.ErrorResponse(err)) }

// writeResponse copies an API Gateway response onto w.
func writeResponse(w http.ResponseWriter, resp httpapi.Response) {
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.WriteString(w, resp.Body)
}
