// Package httpapi serves the HTTP API of SPEC §9 as an API Gateway HTTP API
// (payload v2) handler. The capture and api Lambdas run it behind API
// Gateway; `leadflow dev` converts net/http requests into the same events
// and calls the same code.
package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	awsevents "github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// MaxBody is the largest request body accepted (413 above it).
const MaxBody = 64 << 10

// Request and Response are the API Gateway HTTP API payload v2 types.
type (
	Request  = awsevents.APIGatewayV2HTTPRequest
	Response = awsevents.APIGatewayV2HTTPResponse
)

// Access says who may call a route.
type Access int

// Route access levels.
const (
	Public   Access = iota // anyone (forms)
	Signed                 // HMAC signature or API key (webhooks from other systems)
	Internal               // the IAM/JWT authorizer in AWS, the bearer token locally
)

// API serves the routes of SPEC §9.
type API struct {
	Service *pipeline.Service
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// internal routes and accepted on signed ones (local mode). In AWS it is
	// empty: the HTTP API's authorizer guards internal routes.
	Token string
	// Signer verifies webhook signatures and API keys on signed routes, and
	// X-LI-Signature on the LinkedIn route; nil refuses them all.
	Signer *Signer
	// Limiter rate-limits public routes per source IP; nil: no limit.
	Limiter *Limiter
	// Serve restricts the API to some routes (a Lambda serves a subset);
	// nil serves them all.
	Serve func(r Route) bool
	Log   *slog.Logger
}

// Route is one HTTP route.
type Route struct {
	Method  string
	Pattern string // segments; {name} captures
	Access  Access
	handle  func(a *API, ctx context.Context, c *call) (int, any, error)
}

// call is one request being served.
type call struct {
	req    Request
	params map[string]string
	body   []byte
}

// Routes lists every route of the API, SPEC §9. The CDK stack builds the
// HTTP API's routes from it.
var Routes = []Route{
	{"POST", "/v1/forms/{form}", Public, (*API).postForm},
	{"POST", "/v1/sources/linkedin", Signed, (*API).postLinkedIn},
	{"POST", "/v1/events", Signed, (*API).postEvents},
	{"POST", "/v1/outcomes", Signed, (*API).postOutcome},
	{"GET", "/v1/leads/{id}", Internal, (*API).getLead},
	{"GET", "/v1/leads", Internal, (*API).findLead},
	{"DELETE", "/v1/leads/{id}", Internal, (*API).deleteLead},
	{"GET", "/v1/owners/{owner}/queue", Internal, (*API).getQueue},
	{"POST", "/v1/leads/{id}/contacted", Internal, (*API).postContacted},
	{"POST", "/v1/leads/{id}/disqualify", Internal, (*API).postDisqualify},
	{"POST", "/v1/leads/{id}/reassign", Internal, (*API).postReassign},
}

// Handle serves one request. It never returns an error: every failure is a
// JSON error response, and bad input always gets a 4xx.
func (a *API) Handle(ctx context.Context, req Request) (resp Response, _ error) {
	defer func() {
		if p := recover(); p != nil {
			a.log().ErrorContext(ctx, "panic serving request", "route", req.RequestContext.HTTP.Path, "panic", p)
			resp = ErrorResponse(&lead.Error{Code: lead.EINTERNAL, Message: "internal error"})
		}
	}()
	method := req.RequestContext.HTTP.Method
	path := req.RawPath
	if path == "" {
		path = req.RequestContext.HTTP.Path
	}
	route, params, allowed := a.match(method, path)
	if route == nil {
		if allowed {
			return ErrorResponse(lead.Errorf(lead.EINVALID, "method %s not allowed here", method)), nil
		}
		return ErrorResponse(lead.Errorf(lead.ENOTFOUND, "no such route")), nil
	}
	body, err := decodeBody(req)
	if err != nil {
		return ErrorResponse(err), nil
	}
	c := &call{req: req, params: params, body: body}
	if err := a.authorize(ctx, route, c); err != nil {
		return ErrorResponse(err), nil
	}
	status, out, err := route.handle(a, ctx, c)
	if err != nil {
		if code := lead.ErrorCode(err); code == lead.EINTERNAL || code == lead.EUNAVAILABLE || code == lead.ECONFLICT {
			a.log().ErrorContext(ctx, "request failed", "route", route.Pattern, "code", code, "err", err.Error())
		}
		return ErrorResponse(err), nil
	}
	return jsonResponse(status, out), nil
}

func (a *API) match(method, path string) (*Route, map[string]string, bool) {
	allowed := false
	for i := range Routes {
		r := &Routes[i]
		if a.Serve != nil && !a.Serve(*r) {
			continue
		}
		params, ok := matchPattern(r.Pattern, path)
		if !ok {
			continue
		}
		if r.Method != method {
			allowed = true
			continue
		}
		return r, params, true
	}
	return nil, nil, allowed
}

func matchPattern(pattern, path string) (map[string]string, bool) {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) != len(xs) {
		return nil, false
	}
	var params map[string]string
	for i, p := range ps {
		if strings.HasPrefix(p, "{") {
			if xs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[strings.Trim(p, "{}")] = xs[i]
			continue
		}
		if p != xs[i] {
			return nil, false
		}
	}
	return params, true
}

func decodeBody(req Request) ([]byte, error) {
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return nil, lead.Errorf(lead.EINVALID, "body is not valid base64")
		}
		body = b
	}
	if len(body) > MaxBody {
		return nil, lead.Errorf(lead.ETOOLARGE, "body exceeds %d bytes", MaxBody)
	}
	return body, nil
}

func (a *API) authorize(ctx context.Context, r *Route, c *call) error {
	switch r.Access {
	case Public:
		// Trusted callers (the import command) are not rate-limited.
		trusted := a.Token != "" && a.bearer(c)
		if a.Limiter != nil && !trusted && !a.Limiter.Allow(c.req.RequestContext.HTTP.SourceIP) {
			return lead.Errorf(lead.ERATELIMIT, "too many requests; retry later")
		}
		return nil
	case Internal:
		if a.Token == "" {
			return nil // the API Gateway authorizer has already decided
		}
		if !a.bearer(c) {
			return lead.Errorf(lead.EUNAUTHORIZED, "a valid bearer token is required")
		}
		return nil
	}
	if r.Pattern == "/v1/sources/linkedin" {
		if a.Signer == nil {
			return verifyLinkedIn("", "", nil)
		}
		return a.Signer.VerifyLinkedIn(ctx, header(c.req, "x-li-signature"), c.body)
	}
	if a.Token != "" && a.bearer(c) {
		return nil
	}
	if a.Signer == nil {
		return lead.Errorf(lead.EUNAUTHORIZED, "a signature or API key is required")
	}
	return a.Signer.Verify(ctx, c.req, c.body)
}

func (a *API) bearer(c *call) bool {
	got, ok := strings.CutPrefix(header(c.req, "authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(a.Token)) == 1
}

// header reads a header case-insensitively (API Gateway lower-cases names).
func header(req Request, name string) string {
	if v, ok := req.Headers[name]; ok {
		return v
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func (a *API) log() *slog.Logger {
	if a.Log == nil {
		return slog.Default()
	}
	return a.Log
}

var statusOf = map[string]int{
	lead.EINVALID:       http.StatusBadRequest,
	lead.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	lead.ENOTFOUND:      http.StatusNotFound,
	lead.ECONFLICT:      http.StatusConflict,
	lead.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	lead.EUNSUPPORTED:   http.StatusUnsupportedMediaType,
	lead.EUNAUTHORIZED:  http.StatusUnauthorized,
	lead.ERATELIMIT:     http.StatusTooManyRequests,
	lead.EUNAVAILABLE:   http.StatusServiceUnavailable,
}

// ErrorBody is the JSON error of SPEC §9.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong and, for validation, which field.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// ErrorResponse is the JSON error of SPEC §9 for err, with the status its
// code maps to; internal errors are never echoed.
func ErrorResponse(err error) Response {
	var le *lead.Error
	if !errors.As(err, &le) || le.Code == lead.EINTERNAL {
		// Never echo internal errors to clients.
		le = &lead.Error{Code: lead.EINTERNAL, Message: "internal error"}
	}
	status, ok := statusOf[le.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	msg := le.Message
	if le.Code == lead.EUNAVAILABLE {
		msg = "temporarily unavailable; retry"
	}
	return jsonResponse(status, ErrorBody{Error: ErrorDetail{Code: le.Code, Message: msg, Field: le.Field}})
}

func jsonResponse(status int, v any) Response {
	h := map[string]string{"content-type": "application/json", "cache-control": "no-store", "x-content-type-options": "nosniff"}
	if v == nil {
		return Response{StatusCode: status, Headers: h}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return Response{StatusCode: http.StatusInternalServerError, Headers: h, Body: `{"error":{"code":"internal","message":"internal error"}}`}
	}
	return Response{StatusCode: status, Headers: h, Body: string(b)}
}
