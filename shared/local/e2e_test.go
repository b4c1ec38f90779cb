package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/audit"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/localbus"
	"github.com/leadflow/leadflow/shared/outbox"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/replay"
)

// start is a Tuesday, 10:00 in New York: East reps are in working hours.
var start = time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)

type harness struct {
	t      *testing.T
	app    *App
	base   string
	cancel context.CancelFunc
	done   chan error
	dir    string
}

func newHarness(t *testing.T, mutate func(*Options)) *harness {
	t.Helper()
	dir := t.TempDir()
	return startHarness(t, dir, mutate)
}

func startHarness(t *testing.T, dir string, mutate func(*Options)) *harness {
	t.Helper()
	opts := Options{
		Addr: "127.0.0.1:0", DataDir: dir, Token: "test-token", Clock: "manual", Start: start,
		RateLimit: -1, WebhookSecret: "whsec", LinkedInSecret: "lisec",
		Bus: localbus.Options{BaseBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, MaxReceives: 4},
	}
	if mutate != nil {
		mutate(&opts)
	}
	app, err := New(opts)
	if err != nil {
		t.Fatalf("new app: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, app: app, cancel: cancel, done: make(chan error, 1), dir: dir}
	go func() { h.done <- app.Run(ctx) }()
	select {
	case <-app.Ready():
	case err := <-h.done:
		t.Fatalf("app stopped before ready: %v", err)
	}
	h.base = "http://" + app.Addr()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	<-h.done
	h.app.Close()
	h.cancel = nil
}

// request sends a request and returns the status and decoded JSON body.
func (h *harness) request(method, path, contentType string, body []byte, headers map[string]string) (int, map[string]any) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.base+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			h.t.Fatalf("%s %s: answer is not JSON: %s", method, path, raw)
		}
	}
	return resp.StatusCode, out
}

func (h *harness) internal(method, path string, body any) (int, map[string]any) {
	h.t.Helper()
	var raw []byte
	ct := ""
	if body != nil {
		raw, _ = json.Marshal(body)
		ct = "application/json"
	}
	return h.request(method, path, ct, raw, map[string]string{"Authorization": "Bearer test-token"})
}

// submit posts a form and returns the lead id, failing unless 202.
func (h *harness) submit(form string, fields map[string]string, headers map[string]string) string {
	h.t.Helper()
	raw, _ := json.Marshal(fields)
	status, out := h.request("POST", "/v1/forms/"+form, "application/json", raw, headers)
	if status != http.StatusAccepted {
		h.t.Fatalf("submit %s: status %d: %v", form, status, out)
	}
	return out["lead_id"].(string)
}

// events posts behaviour events with a valid signature.
func (h *harness) events(evs ...pipeline.BehaviourEvent) map[string]any {
	h.t.Helper()
	raw, _ := json.Marshal(map[string]any{"events": evs})
	sig := httpapi.Sign([]byte("whsec"), h.app.Clock().Now(), raw)
	status, out := h.request("POST", "/v1/events", "application/json", raw, map[string]string{"X-Leadflow-Signature": sig})
	if status != http.StatusAccepted {
		h.t.Fatalf("events: status %d: %v", status, out)
	}
	return out
}

func (h *harness) settle() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.app.Settle(ctx); err != nil {
		h.t.Fatalf("settle: %v", err)
	}
}

func (h *harness) lead(id string) httpapi.LeadView {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.base+"/v1/leads/"+url.PathEscape(id), nil)
	req.Header.Set("Authorization", "Bearer test-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		h.t.Fatalf("get lead %s: status %d", id, resp.StatusCode)
	}
	var v httpapi.LeadView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		h.t.Fatal(err)
	}
	return v
}

func (h *harness) outbox(leadID string) []outbox.Entry {
	h.t.Helper()
	entries, err := h.app.Outbox.List(context.Background(), outbox.Filter{LeadID: leadID})
	if err != nil {
		h.t.Fatal(err)
	}
	return entries
}

func codes(v httpapi.LeadView) []string {
	var out []string
	for _, r := range v.Reasons {
		out = append(out, r.Code)
	}
	sort.Strings(out)
	return out
}

func vpOfSales(email string) map[string]string {
	return map[string]string{
		"email": email, "first_name": "Dana", "last_name": "Whitfield", "title": "VP of Sales",
		"company": "Northwind Analytics", "employees": "500", "industry": "software",
		"country": "US", "state": "NY", "consent": "yes",
	}
}

func TestDemoRequestFromVPOfSalesReachesSQLAndEastOwner(t *testing.T) {
	h := newHarness(t, nil)
	id := h.submit("demo-request", vpOfSales("dana@northwind-analytics.com"), nil)
	h.settle()
	v := h.lead(id)
	if v.Stage != lead.StageSQL {
		t.Fatalf("stage = %s, want sql; reasons %v", v.Stage, codes(v))
	}
	want := []string{"demo_request", "icp_headcount", "icp_title"}
	if got := codes(v); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("reasons = %v, want %v", got, want)
	}
	if v.Owner == nil || v.Team != "us-east" {
		t.Fatalf("owner = %v team = %q, want an East rep", v.Owner, v.Team)
	}
	status, q := h.internal("GET", "/v1/owners/"+*v.Owner+"/queue", nil)
	if status != 200 || !strings.Contains(fmt.Sprint(q["leads"]), id) {
		t.Fatalf("owner queue (%d) does not hold the lead: %v", status, q)
	}
	notes := h.outbox(id)
	if len(notes) != 1 || notes[0].To != *v.Owner {
		t.Fatalf("outbox = %+v, want one notification to %s", notes, *v.Owner)
	}
}

func TestFreeMailStudentReachesNoOwner(t *testing.T) {
	h := newHarness(t, nil)
	id := h.submit("contact-us", map[string]string{"email": "jo.student@gmail.com", "first_name": "Jo", "title": "Student", "country": "US"}, nil)
	h.settle()
	v := h.lead(id)
	if v.Owner != nil || v.Stage == lead.StageSQL || v.Stage == lead.StageMQL {
		t.Fatalf("student lead: stage %s owner %v, want no owner below mql", v.Stage, v.Owner)
	}
	if !strings.Contains(strings.Join(codes(v), ","), "non_business_email") {
		t.Fatalf("reasons %v lack non_business_email", codes(v))
	}
}

func TestBehaviourEventsMoveLeadAcrossThresholds(t *testing.T) {
	h := newHarness(t, nil)
	email := "maya@contoso-cloud.com"
	id := h.submit("contact-us", map[string]string{
		"email": email, "first_name": "Maya", "title": "Director of Marketing", "company": "Contoso Cloud",
		"employees": "200", "industry": "saas", "country": "US", "state": "CA", "consent": "yes",
	}, nil)
	h.settle()
	if v := h.lead(id); v.Stage != lead.StageNew || v.Score.Fit != 25 {
		t.Fatalf("after capture: stage %s fit %g, want new with fit 25", v.Stage, v.Score.Fit)
	}
	now := h.app.Clock().Now()
	at := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
	h.events(
		pipeline.BehaviourEvent{Email: email, Type: "page_view", URL: "https://contoso.example/pricing", OccurredAt: at(3 * time.Hour)},
		pipeline.BehaviourEvent{Email: email, Type: "page_view", URL: "https://contoso.example/demo", OccurredAt: at(2 * time.Hour)},
		pipeline.BehaviourEvent{Email: email, Type: "page_view", URL: "https://contoso.example/demo", OccurredAt: at(time.Hour)},
	)
	h.settle()
	if v := h.lead(id); v.Stage != lead.StageEngaged || v.Score.Total != 55 {
		t.Fatalf("after pricing and demo pages: stage %s total %g, want engaged 55", v.Stage, v.Score.Total)
	}
	var opens []pipeline.BehaviourEvent
	for i := 0; i < 5; i++ {
		opens = append(opens, pipeline.BehaviourEvent{Email: email, Type: "email_open", OccurredAt: at(time.Duration(i+1) * time.Minute)})
	}
	h.events(opens...)
	h.settle()
	if v := h.lead(id); v.Stage != lead.StageMQL || v.Score.Total != 65 || v.Owner != nil {
		t.Fatalf("after opens: stage %s total %g owner %v, want mql 65 unrouted", v.Stage, v.Score.Total, v.Owner)
	}
	h.events(
		pipeline.BehaviourEvent{Email: email, Type: "email_click", OccurredAt: at(30 * time.Second)},
		pipeline.BehaviourEvent{Email: email, Type: "email_click", OccurredAt: at(20 * time.Second)},
		pipeline.BehaviourEvent{Email: email, Type: "email_click", OccurredAt: at(10 * time.Second)},
	)
	h.settle()
	v := h.lead(id)
	if v.Stage != lead.StageSQL || v.Score.Total != 80 || v.Owner == nil || v.Team != "us-west" {
		t.Fatalf("after clicks: stage %s total %g owner %v team %s, want sql 80 routed West", v.Stage, v.Score.Total, v.Owner, v.Team)
	}
}

func TestEventsOlderThanTheWindowAddNothing(t *testing.T) {
	h := newHarness(t, nil)
	email := "old@fabrikam-data.com"
	id := h.submit("contact-us", map[string]string{"email": email, "title": "Engineer", "company": "Fabrikam", "country": "DE"}, nil)
	h.settle()
	before := h.lead(id).Score.Total
	old := h.app.Clock().Now().Add(-100 * 24 * time.Hour).Format(time.RFC3339)
	out := h.events(
		pipeline.BehaviourEvent{Email: email, Type: "page_view", URL: "/pricing", OccurredAt: old},
		pipeline.BehaviourEvent{Email: email, Type: "webinar_attended", OccurredAt: old},
		pipeline.BehaviourEvent{Email: email, Type: "email_click", OccurredAt: old},
	)
	if out["accepted"] != float64(3) {
		t.Fatalf("events not accepted: %v", out)
	}
	h.settle()
	if after := h.lead(id).Score.Total; after != before {
		t.Fatalf("100-day-old events changed the score from %g to %g", before, after)
	}
}

func TestIdempotencyKeyGivesOneLead(t *testing.T) {
	h := newHarness(t, nil)
	fields := vpOfSales("once@northwind-analytics.com")
	key := map[string]string{"Idempotency-Key": "form-42"}
	first := h.submit("demo-request", fields, key)
	second := h.submit("demo-request", fields, key)
	if first != second {
		t.Fatalf("same Idempotency-Key gave two leads: %s and %s", first, second)
	}
	h.settle()
	v := h.lead(first)
	n := 0
	for _, a := range v.Activities {
		if a.Type == lead.ActivityFormSubmit {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d form submissions recorded, want 1", n)
	}
	if notes := h.outbox(first); len(notes) != 1 {
		t.Fatalf("%d notifications, want 1", len(notes))
	}
}

func TestSecondLeadOfRoutedAccountGoesToSameOwner(t *testing.T) {
	h := newHarness(t, nil)
	first := h.submit("demo-request", vpOfSales("dana@tailspin-software.com"), nil)
	h.settle()
	owner := h.lead(first).Owner
	if owner == nil {
		t.Fatal("first lead not routed")
	}
	f := vpOfSales("lee@tailspin-software.com")
	f["first_name"], f["state"] = "Lee", "TX" // Central territory: the account owner must still win
	second := h.submit("demo-request", f, nil)
	h.settle()
	v := h.lead(second)
	if v.Owner == nil || *v.Owner != *owner {
		t.Fatalf("second lead owner %v, want the account owner %s", v.Owner, *owner)
	}
	if v.Routing == nil || v.Routing.Rule != "account_owner" {
		t.Fatalf("routing rule %+v, want account_owner", v.Routing)
	}
}

func TestUnsubscribeSuppressesOutreach(t *testing.T) {
	h := newHarness(t, nil)
	email := "quiet@litware-systems.com"
	id := h.submit("newsletter", map[string]string{"email": email, "consent": "yes", "title": "Head of Revenue Operations", "company": "Litware", "employees": "120", "industry": "software", "country": "GB"}, nil)
	h.settle()
	h.events(pipeline.BehaviourEvent{Email: email, Type: "unsubscribe"})
	h.settle()
	v := h.lead(id)
	if v.Consent != lead.ConsentUnsubscribed {
		t.Fatalf("consent = %s, want unsubscribed", v.Consent)
	}
	if !strings.Contains(strings.Join(codes(v), ","), "unsubscribed") {
		t.Fatalf("reasons %v lack unsubscribed", codes(v))
	}
	if err := h.app.Advance(context.Background(), 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, e := range h.outbox(id) {
		if e.Kind == "email" {
			t.Fatalf("an email was sent after unsubscribe: %+v", e)
		}
	}
}

// flakyNotifier fails the first n calls, or every call while broken.
type flakyNotifier struct {
	pipeline.Notifier
	mu     sync.Mutex
	fails  int
	broken bool
	calls  int
}

func (f *flakyNotifier) Notify(ctx context.Context, n pipeline.Notification) error {
	f.mu.Lock()
	f.calls++
	fail := f.broken || f.fails > 0
	if f.fails > 0 {
		f.fails--
	}
	f.mu.Unlock()
	if fail {
		return lead.Errorf(lead.EUNAVAILABLE, "notifier down")
	}
	return f.Notifier.Notify(ctx, n)
}

func (f *flakyNotifier) set(broken bool) {
	f.mu.Lock()
	f.broken = broken
	f.mu.Unlock()
}

func TestFailingHandlerIsRetriedThenSucceeds(t *testing.T) {
	flaky := &flakyNotifier{fails: 2}
	h := newHarness(t, func(o *Options) {
		o.Wrap = func(s *pipeline.Service) { flaky.Notifier = s.Notifier; s.Notifier = flaky }
	})
	id := h.submit("demo-request", vpOfSales("retry@northwind-analytics.com"), nil)
	h.settle()
	if notes := h.outbox(id); len(notes) != 1 {
		t.Fatalf("%d notifications after retries, want 1", len(notes))
	}
	if flaky.calls != 3 {
		t.Fatalf("notifier called %d times, want 3 (two failures, one success)", flaky.calls)
	}
}

func TestAlwaysFailingHandlerEndsInDLQAndRedriveCompletesIt(t *testing.T) {
	flaky := &flakyNotifier{broken: true}
	h := newHarness(t, func(o *Options) {
		o.Wrap = func(s *pipeline.Service) { flaky.Notifier = s.Notifier; s.Notifier = flaky }
	})
	id := h.submit("demo-request", vpOfSales("dlq@northwind-analytics.com"), nil)
	h.settle()
	status, out := h.internal("GET", "/v1/_dlq", nil)
	if status != 200 || len(out["dead_letters"].([]any)) != 1 {
		t.Fatalf("dead letters (%d): %v, want one", status, out)
	}
	if notes := h.outbox(id); len(notes) != 0 {
		t.Fatalf("notified while broken: %v", notes)
	}
	flaky.set(false)
	status, out = h.internal("POST", "/v1/_dlq/redrive", map[string]any{})
	if status != 200 || out["redriven"] != float64(1) {
		t.Fatalf("redrive (%d): %v", status, out)
	}
	h.settle()
	if notes := h.outbox(id); len(notes) != 1 {
		t.Fatalf("%d notifications after redrive, want 1", len(notes))
	}
}

func TestKilledRuntimeResumesWithoutLossOrDuplicates(t *testing.T) {
	dir := t.TempDir()
	crash := func(o *Options) { o.Bus.DrainTimeout = time.Millisecond }
	h := startHarness(t, dir, crash)
	const n = 40
	ids := make([]string, n)
	for i := range ids {
		ids[i] = h.submit("demo-request", vpOfSales(fmt.Sprintf("lead%02d@northwind-analytics%02d.com", i, i)), nil)
	}
	h.stop() // cancel without waiting for the pipeline: in-flight work is cut off

	h2 := startHarness(t, dir, nil)
	h2.settle()
	owners := map[string]bool{}
	for _, id := range ids {
		v := h2.lead(id)
		if v.Stage != lead.StageSQL || v.Owner == nil {
			t.Fatalf("lead %s after restart: stage %s owner %v, want sql with an owner", id, v.Stage, v.Owner)
		}
		owners[*v.Owner] = true
		if notes := h2.outbox(id); len(notes) != 1 {
			t.Fatalf("lead %s has %d notifications, want exactly 1", id, len(notes))
		}
	}
	count := 0
	err := h2.app.Store.ScanLeads(context.Background(), func(*lead.Lead) error { count++; return nil })
	if err != nil || count != n {
		t.Fatalf("store holds %d leads (err %v), want %d", count, err, n)
	}
}

func TestInternalRoutesNeedToken(t *testing.T) {
	h := newHarness(t, nil)
	for _, path := range []string{"/v1/leads/x", "/v1/leads?email=a@b.co", "/v1/owners/x/queue", "/v1/_dlq"} {
		status, out := h.request("GET", path, "", nil, nil)
		if status != http.StatusUnauthorized {
			t.Errorf("GET %s without token: %d %v, want 401", path, status, out)
		}
		status, _ = h.request("GET", path, "", nil, map[string]string{"Authorization": "Bearer wrong"})
		if status != http.StatusUnauthorized {
			t.Errorf("GET %s with a wrong token: %d, want 401", path, status)
		}
	}
}

// mqlLead captures a lead and sends the behaviour that takes it to mql (65
// points, fit 25) without reaching sql.
func mqlLead(h *harness, email string) string {
	h.t.Helper()
	id := h.submit("contact-us", map[string]string{
		"email": email, "first_name": "Riley", "title": "Director of Marketing", "company": "Adatum",
		"employees": "200", "industry": "saas", "country": "US", "state": "CA", "consent": "yes",
	}, nil)
	h.settle()
	now := h.app.Clock().Now()
	evs := []pipeline.BehaviourEvent{
		{Email: email, Type: "page_view", URL: "/pricing", OccurredAt: now.Add(-3 * time.Hour).Format(time.RFC3339)},
		{Email: email, Type: "page_view", URL: "/demo", OccurredAt: now.Add(-2 * time.Hour).Format(time.RFC3339)},
		{Email: email, Type: "page_view", URL: "/demo", OccurredAt: now.Add(-time.Hour).Format(time.RFC3339)},
	}
	for i := 0; i < 5; i++ {
		evs = append(evs, pipeline.BehaviourEvent{Email: email, Type: "email_open", OccurredAt: now.Add(-time.Duration(i+1) * time.Minute).Format(time.RFC3339)})
	}
	h.events(evs...)
	h.settle()
	if v := h.lead(id); v.Stage != lead.StageMQL {
		h.t.Fatalf("lead did not reach mql: stage %s total %g", v.Stage, v.Score.Total)
	}
	return id
}

func emails(entries []outbox.Entry) int {
	n := 0
	for _, e := range entries {
		if e.Kind == "email" {
			n++
		}
	}
	return n
}

func TestMQLLeadEntersNurtureThroughTheRuntime(t *testing.T) {
	h := newHarness(t, nil)
	id := mqlLead(h, "riley@adatum-cloud.com")
	if err := h.app.Advance(context.Background(), 25*time.Hour); err != nil {
		t.Fatal(err)
	}
	v := h.lead(id)
	if len(v.Touches) != 1 || v.Touches[0].Channel != "email" {
		t.Fatalf("touches after a day = %+v, want the day-1 email", v.Touches)
	}
	if n := emails(h.outbox(id)); n != 1 {
		t.Fatalf("%d emails in the outbox after a day, want 1", n)
	}
	// A reply stops the cadence: nothing more is sent in the next three weeks.
	h.events(pipeline.BehaviourEvent{Email: "riley@adatum-cloud.com", Type: "email_reply"})
	h.settle()
	if err := h.app.Advance(context.Background(), 21*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := emails(h.outbox(id)); n != 1 {
		t.Fatalf("%d emails after a reply, want still 1", n)
	}
}

func TestSLAAlertsThenReassignsAndContactStopsIt(t *testing.T) {
	h := newHarness(t, nil)
	id := h.submit("demo-request", vpOfSales("sla@northwind-analytics.com"), nil)
	h.settle()
	first := h.lead(id)
	if first.Owner == nil {
		t.Fatal("not routed")
	}
	owner := *first.Owner
	kinds := func() map[string]int {
		out := map[string]int{}
		for _, e := range h.outbox(id) {
			out[e.Notice+">"+e.To]++
		}
		return out
	}
	if err := h.app.Advance(context.Background(), 4*time.Hour+time.Minute); err != nil {
		t.Fatal(err)
	}
	if v := h.lead(id); *v.Owner != owner {
		t.Fatalf("owner changed before 24 h: %s", *v.Owner)
	}
	team, _ := h.app.Config.Routing.TeamOf(owner)
	if kinds()[pipeline.NotifySLAWarning+">"+team.Manager] != 1 {
		t.Fatalf("no SLA alert to manager %s after 4 h: %v", team.Manager, kinds())
	}
	if err := h.app.Advance(context.Background(), 20*time.Hour); err != nil {
		t.Fatal(err)
	}
	v := h.lead(id)
	if v.Owner == nil || *v.Owner == owner {
		t.Fatalf("after 24 h owner = %v, want a different rep than %s", v.Owner, owner)
	}
	got := kinds()
	if got[pipeline.NotifyOwnerAssigned+">"+*v.Owner] != 1 || got[pipeline.NotifyReassigned+">"+owner] != 1 {
		t.Fatalf("reassignment not told to both reps: %v", got)
	}
	// The new owner makes contact: no further alert or reassignment.
	status, _ := h.internal("POST", "/v1/leads/"+id+"/contacted", nil)
	if status != 200 {
		t.Fatalf("contacted: %d", status)
	}
	before := len(h.outbox(id))
	if err := h.app.Advance(context.Background(), 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	if after := h.lead(id); *after.Owner != *v.Owner || len(h.outbox(id)) != before {
		t.Fatalf("SLA went on after contact: owner %s, %d → %d messages", *after.Owner, before, len(h.outbox(id)))
	}
}

func TestDisqualifyWithoutReasonIs422(t *testing.T) {
	h := newHarness(t, nil)
	id := h.submit("demo-request", vpOfSales("dq@northwind-analytics.com"), nil)
	h.settle()
	status, out := h.internal("POST", "/v1/leads/"+id+"/disqualify", map[string]string{})
	if status != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(out), "reason") {
		t.Fatalf("disqualify without reason: %d %v, want 422 naming reason", status, out)
	}
	status, _ = h.internal("POST", "/v1/leads/"+id+"/disqualify", map[string]string{"reason": "student project"})
	if status != 200 {
		t.Fatalf("disqualify with reason: %d", status)
	}
	if v := h.lead(id); v.Stage != lead.StageDisqualified {
		t.Fatalf("stage %s, want disqualified", v.Stage)
	}
}

// outcome posts a CRM outcome with a fresh signature.
func (h *harness) outcome(body map[string]string) (int, map[string]any) {
	h.t.Helper()
	raw, _ := json.Marshal(body)
	sig := httpapi.Sign([]byte("whsec"), h.app.Clock().Now(), raw)
	return h.request("POST", "/v1/outcomes", "application/json", raw, map[string]string{"X-Leadflow-Signature": sig})
}

func TestOutcomesMoveStagesAndFeedTheAudit(t *testing.T) {
	h := newHarness(t, nil)
	won := h.submit("demo-request", vpOfSales("won@northwind-analytics.com"), nil)
	lost := h.submit("demo-request", vpOfSales("lost@tailspin-software.com"), nil)
	h.settle()
	steps := []struct {
		body   map[string]string
		status int
		stage  lead.Stage
	}{
		{map[string]string{"lead_id": won, "outcome": "sales_accepted"}, 202, lead.StageSAL},
		// The CRM resends it (a new signature, same outcome): nothing changes.
		{map[string]string{"lead_id": won, "outcome": "sales_accepted", "reason": "resent"}, 202, lead.StageSAL},
		{map[string]string{"lead_id": won, "outcome": "opportunity"}, 202, lead.StageOpportunity},
		{map[string]string{"lead_id": won, "outcome": "closed_won"}, 202, lead.StageCustomer},
		{map[string]string{"email": "lost@tailspin-software.com", "outcome": "closed_lost"}, 202, lead.StageClosedLost},
		{map[string]string{"lead_id": lost, "outcome": "sales_rejected"}, 422, lead.StageClosedLost},
		{map[string]string{"lead_id": "no-such-lead", "outcome": "closed_won"}, 404, ""},
		{map[string]string{"lead_id": won, "outcome": "signed"}, 400, lead.StageCustomer},
	}
	for i, st := range steps {
		status, out := h.outcome(st.body)
		if status != st.status {
			t.Fatalf("step %d %v: status %d %v, want %d", i, st.body, status, out, st.status)
		}
		if st.stage == "" {
			continue
		}
		h.settle()
		id := st.body["lead_id"]
		if id == "" {
			id = lost
		}
		if v := h.lead(id); v.Stage != st.stage {
			t.Fatalf("step %d: stage %s, want %s", i, v.Stage, st.stage)
		}
	}
	changes := 0
	for _, c := range h.lead(won).History {
		if c.Kind == "stage" && c.To == string(lead.StageSAL) {
			changes++
		}
	}
	if changes != 1 {
		t.Fatalf("%d moves to sal in the history, want 1 (the duplicate is idempotent)", changes)
	}

	var recs []audit.Record
	err := h.app.Store.ScanLeads(context.Background(), func(l *lead.Lead) error {
		recs = append(recs, replay.AuditRecord(l, l.Score, l.Stage))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.New(recs, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Quarters) != 1 || rep.Quarters[0].Won.N != 1 || rep.Quarters[0].Lost.N != 1 {
		t.Fatalf("audit quarters %+v, want one won and one lost lead", rep.Quarters)
	}
}

// TestSLAHoldsForEveryOwnership: when nobody makes contact the lead moves
// on every reassign_after, also once it comes back to a rep who held it
// before (a team of few reps cycles), each ownership with its own alert.
func TestSLAHoldsForEveryOwnership(t *testing.T) {
	h := newHarness(t, nil)
	id := h.submit("demo-request", vpOfSales("cycle@northwind-analytics.com"), nil)
	h.settle()
	owners := []string{*h.lead(id).Owner}
	seen := map[string]int{owners[0]: 1}
	for len(owners) < 8 {
		if err := h.app.Advance(context.Background(), 24*time.Hour+time.Minute); err != nil {
			t.Fatal(err)
		}
		v := h.lead(id)
		if v.Owner == nil || *v.Owner == owners[len(owners)-1] {
			t.Fatalf("after %d days the owner is still %s; owners so far %v", len(owners), owners[len(owners)-1], owners)
		}
		owners = append(owners, *v.Owner)
		seen[*v.Owner]++
	}
	repeated := ""
	for rep, n := range seen {
		if n > 1 {
			repeated = rep
		}
	}
	if repeated == "" {
		t.Fatalf("no rep held the lead twice in %v: the test proves nothing", owners)
	}
	assigned, alerts := 0, 0
	team, _ := h.app.Config.Routing.TeamOf(repeated)
	for _, e := range h.outbox(id) {
		if e.To == repeated && e.Notice == pipeline.NotifyOwnerAssigned {
			assigned++
		}
		if e.Notice == pipeline.NotifySLAWarning && e.To == team.Manager {
			alerts++
		}
	}
	if assigned != seen[repeated] {
		t.Errorf("%s held the lead %d times but was told %d times", repeated, seen[repeated], assigned)
	}
	if alerts < len(owners)-1 {
		t.Errorf("%d SLA alerts to %s over %d ownerships that each lasted past alert_after", alerts, team.Manager, len(owners)-1)
	}
}
