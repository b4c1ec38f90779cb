// Package awsjson calls an operation of an AWS JSON API (the awsJson 1.0 and
// 1.1 and restJson1 protocols), signed with the SDK's SigV4 signer and the
// function's credentials, retried on throttling, server faults and network
// errors as the SDK's standard retryer does.
//
// It serves the calls a function makes at most a few times per lead — Step
// Functions' StartExecution and StopExecution, SES's SendEmail, Secrets
// Manager's GetSecretValue — where a generated SDK client would cost its
// whole service's schema tables: 100–300 KB of binary and their
// construction at every cold start, for one operation. The store and the
// bus, the hot path, keep the SDK's clients.
package awsjson

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"

	"github.com/leadflow/leadflow/shared/internal/awserr"
	"github.com/leadflow/leadflow/shared/internal/backoff"
)

// Service describes one AWS JSON API.
type Service struct {
	SigningName    string // the SigV4 service name: "states"
	EndpointPrefix string // the host's first label: "states" in states.eu-west-1.amazonaws.com
	// Target is the X-Amz-Target prefix of an awsJson service
	// ("AWSStepFunctions"); "" for a restJson1 service, whose operations
	// have paths instead.
	Target string
	// JSONVersion is an awsJson service's protocol version, "1.0" or "1.1".
	JSONVersion string
}

// Services leadflow calls through this package.
var (
	StepFunctions  = Service{SigningName: "states", EndpointPrefix: "states", Target: "AWSStepFunctions", JSONVersion: "1.0"}
	SecretsManager = Service{SigningName: "secretsmanager", EndpointPrefix: "secretsmanager", Target: "secretsmanager", JSONVersion: "1.1"}
	SESv2          = Service{SigningName: "ses", EndpointPrefix: "email"}
)

// Operation is one operation of a service: its name and, for a restJson1
// service, the path it is posted to.
type Operation struct {
	Name string
	Path string
}

// Caller calls operations; *Client implements it.
type Caller interface {
	// Call sends in as the operation's JSON body and decodes the answer
	// into out (nil: the answer is dropped). An answer that is not a
	// success is an *APIError.
	Call(ctx context.Context, op Operation, in, out any) error
}

// MaxAttempts is how many times a call is tried, as the SDK's standard
// retryer does.
const MaxAttempts = 3

// maxBody bounds an answer read into memory; the largest leadflow reads
// is a secret, at most 64 KB.
const maxBody = 1 << 20

// Client calls one service. It is safe for concurrent use.
type Client struct {
	svc      Service
	region   string
	endpoint string
	creds    aws.CredentialsProvider
	signer   *v4.Signer
	http     *http.Client
	sleep    func(context.Context, time.Duration) error
}

var _ Caller = (*Client)(nil)

// New returns a Client for svc in cfg's region with cfg's credentials, at
// cfg.BaseEndpoint when it is set (a local AWS-API server) and at the
// service's regional endpoint otherwise. It is built once at cold start.
func New(cfg aws.Config, svc Service) *Client {
	endpoint := "https://" + svc.EndpointPrefix + "." + cfg.Region + "." + dnsSuffix(cfg.Region)
	if cfg.BaseEndpoint != nil {
		endpoint = strings.TrimSuffix(*cfg.BaseEndpoint, "/")
	}
	return &Client{
		svc: svc, region: cfg.Region, endpoint: endpoint, creds: cfg.Credentials,
		signer: v4.NewSigner(),
		http:   &http.Client{Timeout: 10 * time.Second},
		sleep:  backoff.Sleep,
	}
}

// dnsSuffix is the partition's domain: China's regions have their own.
func dnsSuffix(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// Call implements Caller. Throttling, server faults and failures without
// an answer are retried with backoff, up to MaxAttempts in all; a
// cancelled context ends the call at once.
func (c *Client) Call(ctx context.Context, op Operation, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s: encode request: %w", op.Name, err)
	}
	hash := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(hash[:])
	for attempt := 1; ; attempt++ {
		answer, err := c.attempt(ctx, op, body, payloadHash)
		if err == nil {
			if out == nil || len(bytes.TrimSpace(answer)) == 0 {
				return nil
			}
			if err := json.Unmarshal(answer, out); err != nil {
				return fmt.Errorf("%s: decode answer: %w", op.Name, err)
			}
			return nil
		}
		if attempt == MaxAttempts || !retryable(ctx, err) {
			return err
		}
		if err := c.sleep(ctx, backoff.Delay(attempt)); err != nil {
			return err
		}
	}
}

// attempt sends the request once and returns the body of a 2xx answer.
func (c *Client) attempt(ctx context.Context, op Operation, body []byte, payloadHash string) ([]byte, error) {
	req, err := c.request(ctx, op, body)
	if err != nil {
		return nil, err
	}
	if c.creds == nil {
		return nil, fmt.Errorf("%s: no credentials", op.Name)
	}
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: credentials: %w", op.Name, err)
	}
	if err := c.signer.SignHTTP(ctx, creds, req, payloadHash, c.svc.SigningName, c.region, time.Now()); err != nil {
		return nil, fmt.Errorf("%s: sign: %w", op.Name, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, decodeError(resp, answer)
	}
	return answer, nil
}

func (c *Client) request(ctx context.Context, op Operation, body []byte) (*http.Request, error) {
	path, contentType := op.Path, "application/json"
	if c.svc.Target != "" {
		path, contentType = "/", "application/x-amz-json-"+c.svc.JSONVersion
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.Name, err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "leadflow")
	if c.svc.Target != "" {
		req.Header.Set("X-Amz-Target", c.svc.Target+"."+op.Name)
	}
	return req, nil
}

// retryable reports whether a failed attempt may pass if tried again.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var api *APIError
	if errors.As(err, &api) {
		return api.Status >= 500 || awserr.Throttled(api.Code)
	}
	return true // no answer: a network failure or a timeout
}

// APIError is an answer that is not a success. It implements
// smithy.APIError, so awserr.Translate gives it its code.
type APIError struct {
	Code      string // "ExecutionAlreadyExists"
	Message   string
	Status    int
	RequestID string
}

var _ smithy.APIError = (*APIError)(nil)

func (e *APIError) Error() string {
	msg := "api error " + e.Code
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return fmt.Sprintf("%s (HTTP %d, request id %s)", msg, e.Status, e.RequestID)
}

func (e *APIError) ErrorCode() string    { return e.Code }
func (e *APIError) ErrorMessage() string { return e.Message }

// ErrorFault tells a server fault (5xx: retry) from a refused request.
func (e *APIError) ErrorFault() smithy.ErrorFault {
	if e.Status >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

// Code returns the code of the answer err holds, or "" when err holds none.
func Code(err error) string {
	var api *APIError
	if errors.As(err, &api) {
		return api.Code
	}
	return ""
}

// decodeError reads the error of a JSON protocol answer: its type from the
// X-Amzn-ErrorType header or the body's __type or code, its message from
// the body.
func decodeError(resp *http.Response, body []byte) *APIError {
	var fields struct {
		Type         string `json:"__type"`
		Code         string `json:"code"`
		Message      string `json:"message"`
		MessageUpper string `json:"Message"`
	}
	_ = json.Unmarshal(body, &fields) // a body that is not JSON leaves the header and status
	code := resp.Header.Get("X-Amzn-ErrorType")
	if code == "" {
		code = fields.Type
	}
	if code == "" {
		code = fields.Code
	}
	msg := fields.Message
	if msg == "" {
		msg = fields.MessageUpper
	}
	return &APIError{Code: sanitizeCode(code), Message: msg, Status: resp.StatusCode, RequestID: resp.Header.Get("X-Amzn-RequestId")}
}

// sanitizeCode strips the namespace and the documentation URL the
// protocols allow around an error type:
// "aws.protocoltests#FooError:http://…" is "FooError".
func sanitizeCode(code string) string {
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	if code == "" {
		return "UnknownError"
	}
	return code
}
