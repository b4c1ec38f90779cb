package awsjson

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/leadflow/leadflow/shared/internal/awserr"
	"github.com/leadflow/leadflow/shared/lead"
)

// server answers with the responses in turn (the last one repeats) and
// records each request.
type server struct {
	*httptest.Server
	calls    atomic.Int32
	requests chan recorded
}

type recorded struct {
	path   string
	header http.Header
	body   string
}

type response struct {
	status int
	header map[string]string
	body   string
}

func newServer(t *testing.T, responses ...response) *server {
	t.Helper()
	s := &server{requests: make(chan recorded, 16)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.calls.Add(1))
		body, _ := io.ReadAll(r.Body)
		s.requests <- recorded{path: r.URL.Path, header: r.Header.Clone(), body: string(body)}
		resp := responses[min(n, len(responses))-1]
		for k, v := range resp.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.status)
		_, _ = io.WriteString(w, resp.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func client(s *server, svc Service, token string) *Client {
	c := New(aws.Config{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(s.URL + "/"),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", token),
	}, svc)
	c.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	return c
}

func TestCallAWSJSON(t *testing.T) {
	s := newServer(t, response{status: 200, body: `{"executionArn":"arn:x","startDate":1.7e9}`})
	c := client(s, StepFunctions, "session-token")
	var out struct {
		ExecutionArn string `json:"executionArn"`
	}
	in := map[string]string{"stateMachineArn": "arn:sm", "name": "sla-lead-1"}
	if err := c.Call(t.Context(), Operation{Name: "StartExecution"}, in, &out); err != nil {
		t.Fatal(err)
	}
	if out.ExecutionArn != "arn:x" {
		t.Errorf("decoded answer %+v, want executionArn arn:x", out)
	}
	r := <-s.requests
	checks := []struct{ name, got, want string }{
		{"path", r.path, "/"},
		{"X-Amz-Target", r.header.Get("X-Amz-Target"), "AWSStepFunctions.StartExecution"},
		{"Content-Type", r.header.Get("Content-Type"), "application/x-amz-json-1.0"},
		{"X-Amz-Security-Token", r.header.Get("X-Amz-Security-Token"), "session-token"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %q, want %q", ck.name, ck.got, ck.want)
		}
	}
	auth := r.header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(auth, "/eu-west-1/states/aws4_request") || !strings.Contains(auth, "x-amz-target") {
		t.Errorf("Authorization = %q, want a SigV4 signature for states in eu-west-1 covering x-amz-target", auth)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(r.body), &body); err != nil || body["name"] != "sla-lead-1" {
		t.Errorf("body %q (%v), want the input as JSON", r.body, err)
	}
}

func TestCallRESTJSON(t *testing.T) {
	s := newServer(t, response{status: 200, body: `{"MessageId":"m-1"}`})
	c := client(s, SESv2, "")
	if err := c.Call(t.Context(), Operation{Name: "SendEmail", Path: "/v2/email/outbound-emails"}, map[string]string{"FromEmailAddress": "a@b.example"}, nil); err != nil {
		t.Fatal(err)
	}
	r := <-s.requests
	if r.path != "/v2/email/outbound-emails" || r.header.Get("Content-Type") != "application/json" || r.header.Get("X-Amz-Target") != "" {
		t.Errorf("request %s with Content-Type %q and X-Amz-Target %q, want a JSON post to the operation's path without target",
			r.path, r.header.Get("Content-Type"), r.header.Get("X-Amz-Target"))
	}
	if !strings.Contains(r.header.Get("Authorization"), "/eu-west-1/ses/aws4_request") {
		t.Errorf("Authorization = %q, want signed for ses", r.header.Get("Authorization"))
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name     string
		resp     response
		want     APIError
		wantCode string // the lead code awserr.Translate gives it
	}{
		{"type in the body with namespace", response{status: 400, body: `{"__type":"com.amazonaws.swf.service.model#ExecutionAlreadyExists","message":"exists"}`},
			APIError{Code: "ExecutionAlreadyExists", Message: "exists", Status: 400}, lead.EINTERNAL},
		{"type in the header with a URL", response{status: 400, header: map[string]string{"X-Amzn-ErrorType": "ResourceNotFoundException:http://internal.amazon.com/coral/", "X-Amzn-RequestId": "req-1"}, body: `{"Message":"Secrets Manager can't find the specified secret."}`},
			APIError{Code: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret.", Status: 400, RequestID: "req-1"}, lead.EUNAVAILABLE},
		{"code field", response{status: 400, body: `{"code":"MessageRejected","message":"Email address is not verified."}`},
			APIError{Code: "MessageRejected", Message: "Email address is not verified.", Status: 400}, lead.EINTERNAL},
		{"not JSON", response{status: 403, body: `<html>Forbidden</html>`},
			APIError{Code: "UnknownError", Status: 403}, lead.EINTERNAL},
		{"server fault", response{status: 503, body: `{"__type":"ServiceUnavailable"}`},
			APIError{Code: "ServiceUnavailable", Status: 503}, lead.EUNAVAILABLE},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, tc.resp)
			err := client(s, SecretsManager, "").Call(t.Context(), Operation{Name: "GetSecretValue"}, struct{}{}, nil)
			var got *APIError
			if !errors.As(err, &got) || *got != tc.want {
				t.Fatalf("error %#v, want %#v", err, tc.want)
			}
			if code := lead.ErrorCode(awserr.Translate("op", err)); code != tc.wantCode {
				t.Errorf("translated code %q, want %q", code, tc.wantCode)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	throttled := response{status: 400, body: `{"__type":"ThrottlingException"}`}
	fault := response{status: 500, body: `{"__type":"InternalFailure"}`}
	ok := response{status: 200, body: `{}`}
	tests := []struct {
		name      string
		responses []response
		wantCalls int32
		wantErr   bool
	}{
		{"a server fault is retried", []response{fault, ok}, 2, false},
		{"throttling is retried", []response{throttled, throttled, ok}, 3, false},
		{"at most MaxAttempts", []response{fault}, MaxAttempts, true},
		{"a refused request is not retried", []response{{status: 400, body: `{"__type":"ValidationException"}`}}, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, tc.responses...)
			err := client(s, StepFunctions, "").Call(t.Context(), Operation{Name: "StopExecution"}, struct{}{}, nil)
			if (err != nil) != tc.wantErr || s.calls.Load() != tc.wantCalls {
				t.Errorf("err %v after %d calls, want error %v after %d", err, s.calls.Load(), tc.wantErr, tc.wantCalls)
			}
		})
	}

	t.Run("no answer is retried", func(t *testing.T) {
		s := newServer(t, ok)
		c := client(s, StepFunctions, "")
		s.Close() // connection refused
		calls := 0
		c.sleep = func(context.Context, time.Duration) error { calls++; return nil }
		err := c.Call(t.Context(), Operation{Name: "StopExecution"}, struct{}{}, nil)
		if err == nil || calls != MaxAttempts-1 || lead.ErrorCode(awserr.Translate("op", err)) != lead.EUNAVAILABLE {
			t.Errorf("err %v after %d waits, want EUNAVAILABLE after %d", err, calls, MaxAttempts-1)
		}
	})
	t.Run("a cancelled context is not retried", func(t *testing.T) {
		s := newServer(t, fault)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := client(s, StepFunctions, "").Call(ctx, Operation{Name: "StopExecution"}, struct{}{}, nil)
		if !errors.Is(err, context.Canceled) || s.calls.Load() != 0 {
			t.Errorf("err %v after %d calls, want context.Canceled before any call", err, s.calls.Load())
		}
	})
}

func TestEndpoint(t *testing.T) {
	tests := []struct {
		region string
		svc    Service
		want   string
	}{
		{"eu-west-1", StepFunctions, "https://states.eu-west-1.amazonaws.com"},
		{"us-east-1", SESv2, "https://email.us-east-1.amazonaws.com"},
		{"cn-north-1", SecretsManager, "https://secretsmanager.cn-north-1.amazonaws.com.cn"},
	}
	for _, tc := range tests {
		if got := New(aws.Config{Region: tc.region}, tc.svc).endpoint; got != tc.want {
			t.Errorf("endpoint of %s in %s = %q, want %q", tc.svc.SigningName, tc.region, got, tc.want)
		}
	}
}
