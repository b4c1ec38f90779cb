package crm_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/crm"
	"github.com/leadflow/leadflow/shared/crm/crmtest"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

const secret = "crm-test-secret"

var now = time.Date(2026, 3, 2, 15, 4, 5, 0, time.UTC)

type fixedClock struct{}

func (fixedClock) Now() time.Time { return now }

// sleeps records the waits between attempts instead of waiting.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return nil
}

func (s *sleeps) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.waits)
}

// hubspot is a HubSpot mapping posting to url.
func hubspot(url string) config.CRM {
	return config.CRM{
		System: config.CRMHubSpot, URL: url, SecretEnv: "CRM_SECRET", Timeout: time.Second, Attempts: 3,
		Fields: map[string]string{
			"lead_id": "leadflow_lead_id", "email": "email", "stage": "lifecyclestage", "owner": "hubspot_owner_id",
			"team": "leadflow_team", "score": "leadflow_score", "disqualify_reason": "leadflow_disqualify_reason",
		},
		Stages: map[lead.Stage]string{
			lead.StageNew: "subscriber", lead.StageEngaged: "lead", lead.StageMQL: "marketingqualifiedlead",
			lead.StageSQL: "salesqualifiedlead", lead.StageSAL: "salesqualifiedlead", lead.StageOpportunity: "opportunity",
			lead.StageCustomer: "customer", lead.StageDisqualified: "other", lead.StageClosedLost: "other",
		},
		Owners: map[string]string{"ava.brooks": "101", "marcus.lee": "102"},
	}
}

type fixture struct {
	srv    *crmtest.Server
	client *crm.Client
	sleeps *sleeps
	logs   *bytes.Buffer
}

func newFixture(t *testing.T, edit func(*config.CRM)) *fixture {
	t.Helper()
	f := &fixture{srv: crmtest.NewServer(t, secret), sleeps: &sleeps{}, logs: &bytes.Buffer{}}
	cfg := hubspot(f.srv.URL)
	if edit != nil {
		edit(&cfg)
	}
	c, err := crm.New(cfg, crm.Options{
		Getenv: func(k string) string { return map[string]string{"CRM_SECRET": secret}[k] },
		Clock:  fixedClock{}, Sleep: f.sleeps.sleep, Log: slog.New(slog.NewTextHandler(f.logs, nil)),
	})
	if err != nil {
		t.Fatalf("crm.New: %v", err)
	}
	f.client = c
	return f
}

func update(key string, t events.DetailType) pipeline.CRMUpdate {
	return pipeline.CRMUpdate{
		Key: key, Event: t, LeadID: "L1", Version: 7, Email: "dana.reyes@northwind.example", Stage: lead.StageSQL,
		Owner: "ava.brooks", Team: "us-east", Score: 83.5, UpdatedAt: now.Add(-time.Minute),
	}
}

func TestUpsertPostsTheMappedSignedPayload(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(u *pipeline.CRMUpdate)
		event events.DetailType
		want  map[string]any
	}{
		{
			name: "stage change", event: events.LeadStageChanged,
			edit: func(u *pipeline.CRMUpdate) { u.Stage, u.Owner, u.Team = lead.StageMQL, "", "" },
			want: map[string]any{"leadflow_lead_id": "L1", "email": "dana.reyes@northwind.example", "lifecyclestage": "marketingqualifiedlead", "leadflow_team": "", "leadflow_score": 83.5, "leadflow_disqualify_reason": ""},
		},
		{
			name: "routed", event: events.LeadRouted,
			want: map[string]any{"leadflow_lead_id": "L1", "email": "dana.reyes@northwind.example", "lifecyclestage": "salesqualifiedlead", "hubspot_owner_id": "101", "leadflow_team": "us-east", "leadflow_score": 83.5, "leadflow_disqualify_reason": ""},
		},
		{
			name: "reassigned", event: events.LeadReassigned,
			edit: func(u *pipeline.CRMUpdate) { u.Owner = "marcus.lee" },
			want: map[string]any{"leadflow_lead_id": "L1", "email": "dana.reyes@northwind.example", "lifecyclestage": "salesqualifiedlead", "hubspot_owner_id": "102", "leadflow_team": "us-east", "leadflow_score": 83.5, "leadflow_disqualify_reason": ""},
		},
		{
			name: "disqualified", event: events.LeadStageChanged,
			edit: func(u *pipeline.CRMUpdate) { u.Stage, u.DisqualifyReason = lead.StageDisqualified, "student" },
			want: map[string]any{"leadflow_lead_id": "L1", "email": "dana.reyes@northwind.example", "lifecyclestage": "other", "hubspot_owner_id": "101", "leadflow_team": "us-east", "leadflow_score": 83.5, "leadflow_disqualify_reason": "student"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			u := update("EV1", tc.event)
			if tc.edit != nil {
				tc.edit(&u)
			}
			if err := f.client.Upsert(context.Background(), u); err != nil {
				t.Fatalf("Upsert: %v", err)
			}
			reqs := f.srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			want := crm.Payload{ID: "EV1", Action: crm.ActionUpsert, Event: tc.event, System: config.CRMHubSpot, LeadID: "L1", LeadVersion: 7, At: now.Add(-time.Minute), Properties: tc.want}
			if diff := cmp.Diff(want, reqs[0].Payload); diff != "" {
				t.Errorf("payload (-want +got):\n%s", diff)
			}
			checkHeaders(t, reqs[0], "EV1", tc.event)
		})
	}
}

func checkHeaders(t *testing.T, r crmtest.Request, key string, event events.DetailType) {
	t.Helper()
	if !r.SignatureValid {
		t.Errorf("signature %q does not verify", r.Header.Get(crm.SignatureHeader))
	}
	got := map[string]string{"key": r.Header.Get(crm.IdempotencyHeader), "event": r.Header.Get(crm.EventHeader), "type": r.Header.Get("Content-Type")}
	want := map[string]string{"key": key, "event": string(event), "type": "application/json"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
}

func TestEraseNamesTheLeadByIDOnly(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.client.Erase(context.Background(), pipeline.CRMErasure{Key: "EV9", LeadID: "L1", At: now}); err != nil {
		t.Fatalf("Erase: %v", err)
	}
	reqs := f.srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	want := crm.Payload{ID: "EV9", Action: crm.ActionErase, Event: events.LeadErased, System: config.CRMHubSpot, LeadID: "L1", At: now, Properties: map[string]any{"leadflow_lead_id": "L1"}}
	if diff := cmp.Diff(want, reqs[0].Payload); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
	checkHeaders(t, reqs[0], "EV9", events.LeadErased)
}

func TestDeliveryRetriesOnlyWhatMaySucceed(t *testing.T) {
	tests := []struct {
		name   string
		erase  bool
		script []crmtest.Response
		// wantCode is the error's code, "" for success.
		wantCode     string
		wantRequests int
		wantSleeps   []time.Duration // nil: only counted
		wantSleepN   int
	}{
		{name: "500 then success", script: []crmtest.Response{{Status: 500}}, wantRequests: 2, wantSleepN: 1},
		{name: "every attempt 503", script: []crmtest.Response{{Status: 503}, {Status: 503}, {Status: 503}}, wantCode: lead.EUNAVAILABLE, wantRequests: 3, wantSleepN: 2},
		{name: "429 waits as asked", script: []crmtest.Response{{Status: 429, RetryAfter: "2"}}, wantRequests: 2, wantSleeps: []time.Duration{2 * time.Second}, wantSleepN: 1},
		{name: "429 asking too long goes back to the queue", script: []crmtest.Response{{Status: 429, RetryAfter: "120"}}, wantCode: lead.ERATELIMIT, wantRequests: 1},
		{name: "408 is retried", script: []crmtest.Response{{Status: 408}}, wantRequests: 2, wantSleepN: 1},
		{name: "400 is not retried", script: []crmtest.Response{{Status: 400}}, wantCode: lead.EINVALID, wantRequests: 1},
		{name: "422 is not retried", script: []crmtest.Response{{Status: 422}}, wantCode: lead.EINVALID, wantRequests: 1},
		{name: "403 is not retried", script: []crmtest.Response{{Status: 403}}, wantCode: lead.EINVALID, wantRequests: 1},
		{name: "upsert to a missing endpoint", script: []crmtest.Response{{Status: 404}}, wantCode: lead.EINVALID, wantRequests: 1},
		{name: "erasure of a record already gone", erase: true, script: []crmtest.Response{{Status: 404}}, wantRequests: 1},
		{name: "erasure retried on 502", erase: true, script: []crmtest.Response{{Status: 502}}, wantRequests: 2, wantSleepN: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.srv.Script("", tc.script...)
			var err error
			if tc.erase {
				err = f.client.Erase(context.Background(), pipeline.CRMErasure{Key: "EV1", LeadID: "L1", At: now})
			} else {
				err = f.client.Upsert(context.Background(), update("EV1", events.LeadRouted))
			}
			if got := lead.ErrorCode(err); got != tc.wantCode {
				t.Errorf("error %v has code %q, want %q", err, got, tc.wantCode)
			}
			reqs := f.srv.Requests()
			if len(reqs) != tc.wantRequests {
				t.Errorf("%d requests, want %d", len(reqs), tc.wantRequests)
			}
			for i, r := range reqs {
				if k := r.Header.Get(crm.IdempotencyHeader); k != "EV1" || !r.SignatureValid {
					t.Errorf("attempt %d: key %q, signature valid %v; want EV1, true", i+1, k, r.SignatureValid)
				}
			}
			if n := f.sleeps.count(); n != tc.wantSleepN {
				t.Errorf("%d waits between attempts, want %d", n, tc.wantSleepN)
			}
			if tc.wantSleeps != nil {
				if diff := cmp.Diff(tc.wantSleeps, f.sleeps.waits); diff != "" {
					t.Errorf("waits (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	f := newFixture(t, func(c *config.CRM) { c.Timeout = 50 * time.Millisecond })
	f.srv.Script("", crmtest.Response{Hang: true})
	if err := f.client.Upsert(context.Background(), update("EV1", events.LeadRouted)); err != nil {
		t.Fatalf("Upsert after a timed-out attempt: %v", err)
	}
	if n := len(f.srv.Requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestMappingGapsFailBeforeSending(t *testing.T) {
	tests := []struct {
		name string
		edit func(u *pipeline.CRMUpdate)
		want string
	}{
		{"owner without CRM id", func(u *pipeline.CRMUpdate) { u.Owner = "nina.patel" }, `rep "nina.patel" has no CRM owner id`},
		{"unknown stage", func(u *pipeline.CRMUpdate) { u.Stage = "archived" }, `stage "archived" has no CRM value`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			u := update("EV1", events.LeadReassigned)
			tc.edit(&u)
			err := f.client.Upsert(context.Background(), u)
			if !lead.IsCode(err, lead.EINVALID) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Upsert = %v, want EINVALID saying %q", err, tc.want)
			}
			if n := len(f.srv.Requests()); n != 0 {
				t.Errorf("%d requests, want none", n)
			}
		})
	}
}

func TestWithoutOwnersRepIDsAreSent(t *testing.T) {
	f := newFixture(t, func(c *config.CRM) { c.Owners = nil })
	if err := f.client.Upsert(context.Background(), update("EV1", events.LeadRouted)); err != nil {
		t.Fatal(err)
	}
	reqs := f.srv.Requests()
	if len(reqs) != 1 || reqs[0].Payload.Properties["hubspot_owner_id"] != "ava.brooks" {
		t.Errorf("requests %+v, want one with hubspot_owner_id ava.brooks", reqs)
	}
}

func TestSigningSecret(t *testing.T) {
	tests := []struct {
		name     string
		secrets  func(context.Context, string) (string, error)
		wantCode string
		wantReqs int
	}{
		{"read", func(_ context.Context, name string) (string, error) {
			if name != "leadflow/crm" {
				return "", lead.Errorf(lead.ENOTFOUND, "no secret %s", name)
			}
			return secret, nil
		}, "", 1},
		{"store unavailable", func(context.Context, string) (string, error) {
			return "", lead.Errorf(lead.EUNAVAILABLE, "throttled")
		}, lead.EUNAVAILABLE, 0},
		{"secret missing", func(context.Context, string) (string, error) {
			return "", lead.Errorf(lead.ENOTFOUND, "no such secret")
		}, lead.EINVALID, 0},
		{"secret empty", func(context.Context, string) (string, error) { return "", nil }, lead.EINVALID, 0},
		{"environment variable unset", nil, lead.EINVALID, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := crmtest.NewServer(t, secret)
			cfg := hubspot(srv.URL)
			if tc.secrets != nil {
				cfg.SecretEnv, cfg.Secret = "", "leadflow/crm"
			}
			c, err := crm.New(cfg, crm.Options{Secrets: tc.secrets, Getenv: func(string) string { return "" }, Clock: fixedClock{}})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Upsert(context.Background(), update("EV1", events.LeadRouted))
			if got := lead.ErrorCode(err); got != tc.wantCode {
				t.Errorf("Upsert = %v (code %q), want code %q", err, got, tc.wantCode)
			}
			reqs := srv.Requests()
			if len(reqs) != tc.wantReqs {
				t.Fatalf("%d requests, want %d", len(reqs), tc.wantReqs)
			}
			for _, r := range reqs {
				if !r.SignatureValid {
					t.Error("signature does not verify")
				}
			}
		})
	}
}

func TestNewRefusesAnUnusableConfig(t *testing.T) {
	tests := []struct {
		name string
		edit func(*config.CRM)
		opts crm.Options
		want string
	}{
		{"no url", func(c *config.CRM) { c.URL = "" }, crm.Options{}, "no url"},
		{"secret without reader", func(c *config.CRM) { c.SecretEnv, c.Secret = "", "leadflow/crm" }, crm.Options{}, "Options.Secrets"},
		{"no secret at all", func(c *config.CRM) { c.SecretEnv = "" }, crm.Options{}, "needs secret_env or secret"},
		{"no lead id property", func(c *config.CRM) { delete(c.Fields, "lead_id") }, crm.Options{}, "fields.lead_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := hubspot("https://crm.example.com/hook")
			tc.edit(&cfg)
			_, err := crm.New(cfg, tc.opts)
			if !lead.IsCode(err, lead.EINVALID) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, want EINVALID saying %q", err, tc.want)
			}
		})
	}
}

// Retries are logged and failures returned without the lead's email, the
// URL (which may hold a token) or the CRM's answer.
func TestNoPIIOrURLInLogsAndErrors(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Script("", crmtest.Response{Status: 500}, crmtest.Response{Status: 500}, crmtest.Response{Status: 500}, crmtest.Response{Status: 400})
	var errs []error
	errs = append(errs, f.client.Upsert(context.Background(), update("EV1", events.LeadRouted)))
	errs = append(errs, f.client.Upsert(context.Background(), update("EV2", events.LeadRouted)))
	text := f.logs.String()
	for _, err := range errs {
		if err == nil {
			t.Fatal("Upsert succeeded, want a failure")
		}
		text += "\n" + err.Error()
	}
	if !strings.Contains(f.logs.String(), "crm request retried") {
		t.Errorf("no retry logged:\n%s", f.logs.String())
	}
	for _, secretish := range []string{"dana.reyes", "northwind", f.srv.URL, "127.0.0.1", secret} {
		if strings.Contains(text, secretish) {
			t.Errorf("logs or errors contain %q:\n%s", secretish, text)
		}
	}
}

func TestSignIsLeadflowsWebhookSignature(t *testing.T) {
	body := []byte(`{"id":"EV1"}`)
	if got, want := crm.Sign([]byte(secret), now, body), httpapi.Sign([]byte(secret), now, body); got != want {
		t.Errorf("crm.Sign = %q, httpapi.Sign = %q", got, want)
	}
}

func TestCanceledContextStopsRetries(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Script("", crmtest.Response{Status: 500}, crmtest.Response{Status: 500})
	ctx, cancel := context.WithCancel(context.Background())
	f.srv.OnRequest(func(crmtest.Request) { cancel() })
	err := f.client.Upsert(ctx, update("EV1", events.LeadRouted))
	if !lead.IsCode(err, lead.EUNAVAILABLE) {
		t.Errorf("Upsert = %v, want EUNAVAILABLE", err)
	}
	if n := len(f.srv.Requests()); n != 1 {
		t.Errorf("%d requests after cancel, want 1", n)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Upsert = %v, want it to wrap context.Canceled", err)
	}
	if n := f.sleeps.count(); n != 0 {
		t.Errorf("%d waits after cancel, want none", n)
	}
}
