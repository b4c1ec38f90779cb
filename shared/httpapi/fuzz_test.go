package httpapi_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/configfile"
	"github.com/leadflow/leadflow/shared/embedded"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/ids"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
	"github.com/leadflow/leadflow/shared/wire"
)

type fuzzClock struct{}

func (fuzzClock) Now() time.Time { return time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC) }

type dropEvents struct{}

func (dropEvents) Publish(context.Context, ...events.Envelope) error { return nil }

// fuzzAPI is the API over a real service and embedded store, the way the
// capture Lambda serves it.
func fuzzAPI(f *testing.F) *httpapi.API {
	f.Helper()
	cfg, err := configfile.Default(celrules.Compile)
	if err != nil {
		f.Fatal(err)
	}
	st, err := embedded.Open(filepath.Join(f.TempDir(), "store.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	svc := &pipeline.Service{Rules: wire.Rules(cfg), Store: st, Publisher: dropEvents{}, Sender: nil, Clock: fuzzClock{}, IDs: ids.Generator{Clock: fuzzClock{}}}
	return &httpapi.API{Service: svc, Token: "t"}
}

// checkAnswer fails unless resp is a JSON answer that is not a server error.
func checkAnswer(t *testing.T, resp httpapi.Response, body []byte) {
	t.Helper()
	if resp.StatusCode >= 500 || resp.StatusCode < 200 {
		t.Fatalf("status %d for %q: %s", resp.StatusCode, body, resp.Body)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &v); err != nil {
		t.Fatalf("answer %q is not a JSON object: %v", resp.Body, err)
	}
	if resp.StatusCode >= 400 {
		e, _ := v["error"].(map[string]any)
		if code, _ := e["code"].(string); code == "" {
			t.Fatalf("error answer without a code: %s", resp.Body)
		}
	}
}

func post(path, contentType string, body []byte, headers map[string]string) httpapi.Request {
	h := map[string]string{"content-type": contentType}
	for k, v := range headers {
		h[k] = v
	}
	req := httpapi.Request{RawPath: path, Headers: h, Body: string(body)}
	req.RequestContext.HTTP.Method = "POST"
	req.RequestContext.HTTP.Path = path
	return req
}

// FuzzFormBody posts arbitrary bodies, JSON or urlencoded, to a form:
// whatever comes in, the answer is JSON and never a 5xx.
func FuzzFormBody(f *testing.F) {
	for _, seed := range []struct {
		form bool
		body string
	}{
		{false, `{"email":"ann@northwind-analytics.com","first_name":"Ann","employees":"200","consent":"yes"}`},
		{false, `{"email":"a@b.co","email":"c@d.co"}`},
		{false, `{"email":{"nested":[1,2,{"x":null}]}}`},
		{false, `[[[[[[[[[[[[]]]]]]]]]]]]`},
		{false, "{\"email\":\"\xff@b.co\"}"},
		{false, `{"email":"a@b.co","first_name":"\u0000"}`},
		{false, `{"email":"a@b.co","fax_number":"bot"}`},
		{false, `{"email":"a@b.co"} {"email":"c@d.co"}`},
		{true, "email=ann%40example.com&first_name=Ann&Job+Title=VP"},
		{true, "email=a%40b.co&email=c%40d.co"},
		{true, "email=%zz"},
		{true, "=&&=&;;email=x"},
	} {
		f.Add(seed.form, []byte(seed.body))
	}
	api := fuzzAPI(f)
	f.Fuzz(func(t *testing.T, urlencoded bool, body []byte) {
		ct := "application/json"
		if urlencoded {
			ct = "application/x-www-form-urlencoded"
		}
		resp, err := api.Handle(context.Background(), post("/v1/forms/contact-us", ct, body, nil))
		if err != nil {
			t.Fatalf("Handle returned an error: %v", err)
		}
		checkAnswer(t, resp, body)
	})
}

// FuzzEventsBody posts arbitrary /v1/events bodies with a valid token.
func FuzzEventsBody(f *testing.F) {
	for _, seed := range []string{
		`{"events":[{"email":"ann@northwind-analytics.com","type":"email_open"}]}`,
		`{"events":[{"lead_id":"L1","type":"page_view","url":"https://x.example/pricing","occurred_at":"2026-11-24T10:00:00Z","properties":{"a":"b"}}]}`,
		`{"events":[{"type":"nope"},{"type":"email_click","occurred_at":"2999-01-01T00:00:00Z"}]}`,
		`{"events":[]}`,
		`{"events":{"0":{}}}`,
		`{"events":[{"id":"x","id":"y"}]}`,
		`{"events":[{"properties":{"a":1}}]}`,
		`{"events":[{"type":"email_open","occurred_at":"2026-11-24T10:00:00+25:00"}]}`,
		`{"events":null}`,
		`{}`,
	} {
		f.Add([]byte(seed))
	}
	api := fuzzAPI(f)
	// A lead for events to land on.
	capture, _ := api.Handle(context.Background(), post("/v1/forms/contact-us", "application/json", []byte(`{"email":"ann@northwind-analytics.com"}`), nil))
	if capture.StatusCode != 202 {
		f.Fatalf("setup lead: %d %s", capture.StatusCode, capture.Body)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := api.Handle(context.Background(), post("/v1/events", "application/json", body, map[string]string{"authorization": "Bearer t"}))
		if err != nil {
			t.Fatalf("Handle returned an error: %v", err)
		}
		checkAnswer(t, resp, body)
	})
}
