package cloudbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// rawAPI calls the few AWS APIs that only deployment needs (CloudFormation,
// S3, SSM, Lambda) as signed HTTP requests, so that the module does not take
// four SDK packages for a handful of calls its functions never make.
type rawAPI struct {
	endpoint string
	cfg      aws.Config
	signer   *v4.Signer
	client   *http.Client
}

func newRawAPI(endpoint string, cfg aws.Config) *rawAPI {
	return &rawAPI{endpoint: strings.TrimSuffix(endpoint, "/"), cfg: cfg, signer: v4.NewSigner(), client: &http.Client{Timeout: 5 * time.Minute}}
}

// call sends one signed request and returns the response body; a status of
// 300 or more is an error quoting the body.
func (a *rawAPI) call(ctx context.Context, service, method, path string, header http.Header, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, a.endpoint+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	creds, err := a.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	if err := a.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, a.cfg.Region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s %s: %w", service, method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s %s: %w", service, method, path, err)
	}
	if resp.StatusCode >= 300 {
		return nil, fmt.Errorf("%s %s %s: status %d: %.500s", service, method, path, resp.StatusCode, out)
	}
	return out, nil
}

// query calls a query-protocol action (CloudFormation) and decodes its XML
// result into out.
func (a *rawAPI) query(ctx context.Context, service, version, action string, params url.Values, out any) error {
	params.Set("Action", action)
	params.Set("Version", version)
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}
	body, err := a.call(ctx, service, http.MethodPost, "/", h, []byte(params.Encode()))
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if out == nil {
		return nil
	}
	if err := xml.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s: decode response: %w", action, err)
	}
	return nil
}

// jsonCall calls a JSON-protocol action named by target (SSM).
func (a *rawAPI) jsonCall(ctx context.Context, service, target string, in any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	h := http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {target}}
	_, err = a.call(ctx, service, http.MethodPost, "/", h, body)
	return err
}

// EmailsSent returns how many recipients moto's SES has sent email to (its
// GetSendQuota SentLast24Hours), so tests can check that notices went out
// by email. Returns an error if the call fails.
func EmailsSent(ctx context.Context, endpoint string) (int, error) {
	cfg, err := AWSConfig(ctx, endpoint)
	if err != nil {
		return 0, err
	}
	var resp struct {
		Sent float64 `xml:"GetSendQuotaResult>SentLast24Hours"`
	}
	if err := newRawAPI(endpoint, cfg).query(ctx, "ses", "2010-12-01", "GetSendQuota", url.Values{}, &resp); err != nil {
		return 0, err
	}
	return int(resp.Sent), nil
}
