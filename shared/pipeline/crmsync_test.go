package pipeline_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/crm"
	"github.com/leadflow/leadflow/shared/crm/crmtest"
	"github.com/leadflow/leadflow/shared/embedded"
	"github.com/leadflow/leadflow/shared/handlers"
	"github.com/leadflow/leadflow/shared/ids"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/metrics"
	"github.com/leadflow/leadflow/shared/pipeline"
)

const crmSecret = "crm-sync-test-secret"

// crmHarness runs the crmsync consumer over the embedded store, the shipped
// config's example HubSpot mapping and a fake CRM on 127.0.0.1.
type crmHarness struct {
	t       *testing.T
	clock   *fakeClock
	bus     *fakeBus
	store   *embedded.Store
	svc     *pipeline.Service
	srv     *crmtest.Server
	metrics *metrics.Memory
	handle  handlers.SQSHandler
	waits   atomic.Int32 // waits between attempts inside deliveries
}

// newCRMHarness wires a CRM client unless withCRM is false (no url
// configured).
func newCRMHarness(t *testing.T, withCRM bool) *crmHarness {
	t.Helper()
	cfg, err := loadDefault()
	if err != nil {
		t.Fatalf("load shipped config: %v", err)
	}
	clock := &fakeClock{now: start}
	st, err := embedded.Open(filepath.Join(t.TempDir(), "leadflow.db"), embedded.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	h := &crmHarness{t: t, clock: clock, bus: &fakeBus{direct: map[events.Consumer][]events.Envelope{}}, store: st, srv: crmtest.NewServer(t, crmSecret), metrics: &metrics.Memory{}}
	sched := &fakeScheduler{pending: map[string]pipeline.Timer{}, used: map[string]bool{}}
	h.svc = &pipeline.Service{Rules: pipeline.Rules{Version: cfg.Version, Scorer: cfg.Scoring, Router: cfg.Routing}, Store: st, Publisher: h.bus, Sender: h.bus,
		Scheduler: sched, Clock: clock, IDs: ids.Generator{Clock: clock}, Metrics: h.metrics}
	if withCRM {
		mapping := cfg.CRM
		mapping.URL = h.srv.URL
		c, err := crm.New(mapping, crm.Options{
			Getenv: func(k string) string { return map[string]string{mapping.SecretEnv: crmSecret}[k] },
			Clock:  clock,
			Sleep:  func(context.Context, time.Duration) error { h.waits.Add(1); return nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		h.svc.CRM = c
	}
	if h.handle, err = (&handlers.Set{Service: h.svc}).Consumer(events.ConsumerCRMSync); err != nil {
		t.Fatal(err)
	}
	return h
}

// addLead stores a lead at stage.
func (h *crmHarness) addLead(id string, stage lead.Stage) {
	h.t.Helper()
	l := &lead.Lead{ID: id, Email: id + "@example.org", Stage: stage, CreatedAt: start, UpdatedAt: start, LastActivityAt: start}
	if err := h.store.CreateLead(context.Background(), l); err != nil {
		h.t.Fatal(err)
	}
}

// set changes a stored lead as another service would, and publishes d.
func (h *crmHarness) set(id string, edit func(*lead.Lead), d events.Detail) {
	h.t.Helper()
	ctx := context.Background()
	l, err := h.store.GetLead(ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	edit(l)
	if err := h.store.UpdateLead(ctx, l); err != nil {
		h.t.Fatal(err)
	}
	env, err := events.Wrap(h.svc.IDs.NewID(), d)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.bus.Publish(ctx, env); err != nil {
		h.t.Fatal(err)
	}
}

// queued takes what was published for the crmsync queue.
func (h *crmHarness) queued() []events.Envelope {
	var out []events.Envelope
	for _, env := range h.bus.take() {
		for _, c := range events.ConsumersOf(env.DetailType) {
			if c == events.ConsumerCRMSync {
				out = append(out, env)
			}
		}
	}
	return out
}

// deliver hands envs to the crmsync handler as one SQS batch (message id =
// event id) and returns the ids of the failed records.
func (h *crmHarness) deliver(envs ...events.Envelope) []string {
	h.t.Helper()
	var batch awsevents.SQSEvent
	for _, env := range envs {
		body, err := json.Marshal(env)
		if err != nil {
			h.t.Fatal(err)
		}
		batch.Records = append(batch.Records, awsevents.SQSMessage{MessageId: env.ID, Body: string(body)})
	}
	resp, err := h.handle(context.Background(), batch)
	if err != nil {
		h.t.Fatalf("crmsync handler: %v", err)
	}
	failed := []string{}
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

// received is what a CRM request said, for comparison.
type received struct {
	Key, Action string
	Event       events.DetailType
	Valid       bool
	Props       map[string]any
}

func (h *crmHarness) received() []received {
	var out []received
	for _, r := range h.srv.Requests() {
		out = append(out, received{Key: r.Header.Get(crm.IdempotencyHeader), Action: r.Payload.Action, Event: r.Payload.Event, Valid: r.SignatureValid, Props: r.Payload.Properties})
	}
	h.srv.Reset()
	return out
}

// upsert is the request expected for L1 in the shipped example mapping.
func upsert(key string, t events.DetailType, stage, owner, reason string) received {
	props := map[string]any{"leadflow_lead_id": "L1", "email": "L1@example.org", "lifecyclestage": stage, "leadflow_score": 0.0, "leadflow_disqualify_reason": reason}
	if owner != "" {
		props["hubspot_owner_id"] = owner
	}
	return received{Key: key, Action: crm.ActionUpsert, Event: t, Valid: true, Props: props}
}

func TestCRMSyncMirrorsEveryChange(t *testing.T) {
	h := newCRMHarness(t, true)
	ctx := context.Background()
	h.addLead("L1", lead.StageEngaged)
	header := func() events.Header {
		return events.Header{LeadID: "L1", OccurredAt: h.clock.Now(), Version: events.Version}
	}
	steps := []struct {
		name string
		act  func()
		want func(key string) received
	}{
		{
			name: "stage change",
			act: func() {
				h.set("L1", func(l *lead.Lead) { l.Stage = lead.StageMQL }, events.StageChanged{Header: header(), From: lead.StageEngaged, To: lead.StageMQL, Cause: "score"})
			},
			want: func(k string) received { return upsert(k, events.LeadStageChanged, "marketingqualifiedlead", "", "") },
		},
		{
			name: "routed",
			act: func() {
				h.set("L1", func(l *lead.Lead) { l.Stage, l.Owner, l.Team = lead.StageSQL, "ava.brooks", "us-east" },
					events.Routed{Header: header(), Owner: "ava.brooks", Team: "us-east", Rule: "territory"})
			},
			want: func(k string) received { return upsert(k, events.LeadRouted, "salesqualifiedlead", "71000001", "") },
		},
		{
			name: "reassigned",
			act: func() {
				if _, err := h.svc.Reassign(ctx, "L1", "marcus.lee", "ava is out"); err != nil {
					t.Fatal(err)
				}
			},
			want: func(k string) received { return upsert(k, events.LeadReassigned, "salesqualifiedlead", "71000002", "") },
		},
		{
			name: "disqualified",
			act: func() {
				if _, err := h.svc.Disqualify(ctx, "L1", "student"); err != nil {
					t.Fatal(err)
				}
			},
			want: func(k string) received { return upsert(k, events.LeadStageChanged, "other", "71000002", "student") },
		},
		{
			name: "erased",
			act: func() {
				if err := h.svc.Erase(ctx, "L1"); err != nil {
					t.Fatal(err)
				}
			},
			want: func(k string) received {
				return received{Key: k, Action: crm.ActionErase, Event: events.LeadErased, Valid: true, Props: map[string]any{"leadflow_lead_id": "L1"}}
			},
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.act()
			envs := h.queued()
			if len(envs) != 1 {
				t.Fatalf("%d events for the crmsync queue, want 1", len(envs))
			}
			if failed := h.deliver(envs...); len(failed) != 0 {
				t.Fatalf("failed records %v", failed)
			}
			if diff := cmp.Diff([]received{st.want(envs[0].ID)}, h.received()); diff != "" {
				t.Errorf("CRM requests (-want +got):\n%s", diff)
			}
		})
	}
	want := map[string]float64{"crm_sync_sent,type=lead.stage_changed": 2, "crm_sync_sent,type=lead.routed": 1, "crm_sync_sent,type=lead.reassigned": 1, "crm_sync_sent,type=lead.erased": 1}
	got := map[string]float64{}
	for k, v := range h.metrics.Counts() {
		if strings.HasPrefix(k, "crm_sync") {
			got[k] = v
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CRM metrics (-want +got):\n%s", diff)
	}
}

// An older event delivered after a newer one still sends the lead as it is
// now: the CRM ends at the latest state whatever the delivery order.
func TestCRMSyncOutOfOrderConverges(t *testing.T) {
	h := newCRMHarness(t, true)
	h.addLead("L1", lead.StageEngaged)
	hd := events.Header{LeadID: "L1", OccurredAt: start, Version: events.Version}
	h.set("L1", func(l *lead.Lead) { l.Stage = lead.StageMQL }, events.StageChanged{Header: hd, From: lead.StageEngaged, To: lead.StageMQL})
	older := h.queued()
	h.set("L1", func(l *lead.Lead) { l.Stage, l.Owner = lead.StageSQL, "ava.brooks" }, events.Routed{Header: hd, Owner: "ava.brooks", Rule: "territory"})
	newer := h.queued()
	if failed := h.deliver(append(newer, older...)...); len(failed) != 0 {
		t.Fatalf("failed records %v", failed)
	}
	got := h.received()
	if len(got) != 2 {
		t.Fatalf("%d CRM requests, want 2", len(got))
	}
	for _, r := range got {
		if r.Props["lifecyclestage"] != "salesqualifiedlead" || r.Props["hubspot_owner_id"] != "71000001" {
			t.Errorf("%s sent stage %v owner %v, want the latest: salesqualifiedlead, 71000001", r.Event, r.Props["lifecyclestage"], r.Props["hubspot_owner_id"])
		}
	}
}

func TestCRMSyncRetriesA500ThenAcknowledges(t *testing.T) {
	h := newCRMHarness(t, true)
	h.addLead("L1", lead.StageEngaged)
	h.srv.Script("L1", crmtest.Response{Status: 500})
	h.set("L1", func(l *lead.Lead) { l.Stage = lead.StageMQL }, events.StageChanged{Header: events.Header{LeadID: "L1", OccurredAt: start, Version: events.Version}, From: lead.StageEngaged, To: lead.StageMQL})
	envs := h.queued()
	if failed := h.deliver(envs...); len(failed) != 0 {
		t.Fatalf("failed records %v, want none after a retried 500", failed)
	}
	want := upsert(envs[0].ID, events.LeadStageChanged, "marketingqualifiedlead", "", "")
	if diff := cmp.Diff([]received{want, want}, h.received()); diff != "" {
		t.Errorf("CRM requests (-want +got):\n%s", diff)
	}
	if n := h.waits.Load(); n != 1 {
		t.Errorf("%d waits, want 1 before the retry", n)
	}
}

// A 400 fails its record alone, at once: each redelivery by the queue makes
// one request, so the record reaches the dead-letter queue after the
// queue's receive count without a storm of requests.
func TestCRMSync400FailsTheRecordWithoutRetrying(t *testing.T) {
	h := newCRMHarness(t, true)
	h.addLead("L1", lead.StageEngaged)
	h.addLead("L2", lead.StageEngaged)
	const receives = 3
	for range receives {
		h.srv.Script("L1", crmtest.Response{Status: 400})
	}
	for _, id := range []string{"L1", "L2"} {
		h.set(id, func(l *lead.Lead) { l.Stage = lead.StageMQL }, events.StageChanged{Header: events.Header{LeadID: id, OccurredAt: start, Version: events.Version}, From: lead.StageEngaged, To: lead.StageMQL})
	}
	envs := h.queued()
	bad := envs[0]
	if failed := h.deliver(envs...); !cmp.Equal(failed, []string{bad.ID}) {
		t.Fatalf("failed records %v, want [%s] (L1's)", failed, bad.ID)
	}
	for range receives - 1 {
		if failed := h.deliver(bad); !cmp.Equal(failed, []string{bad.ID}) {
			t.Fatalf("redelivery: failed records %v, want [%s]", failed, bad.ID)
		}
	}
	perLead := map[any]int{}
	for _, r := range h.received() {
		perLead[r.Props["leadflow_lead_id"]]++
	}
	if diff := cmp.Diff(map[any]int{"L1": receives, "L2": 1}, perLead); diff != "" {
		t.Errorf("requests per lead (-want +got):\n%s", diff)
	}
	if n := h.waits.Load(); n != 0 {
		t.Errorf("%d waits, want none: a 400 is not retried", n)
	}
	if got := h.metrics.Counts()["crm_sync_failed,code=invalid"]; got != receives {
		t.Errorf("crm_sync_failed = %v, want %d", got, receives)
	}
}

func TestCRMSyncWithoutCRMSkipsAndAcknowledges(t *testing.T) {
	h := newCRMHarness(t, false)
	h.addLead("L1", lead.StageEngaged)
	h.set("L1", func(l *lead.Lead) { l.Stage = lead.StageMQL }, events.StageChanged{Header: events.Header{LeadID: "L1", OccurredAt: start, Version: events.Version}, From: lead.StageEngaged, To: lead.StageMQL})
	if err := h.svc.Erase(context.Background(), "L1"); err != nil {
		t.Fatal(err)
	}
	if failed := h.deliver(h.queued()...); len(failed) != 0 {
		t.Fatalf("failed records %v, want all acknowledged", failed)
	}
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("%d CRM requests, want none", n)
	}
	got := h.metrics.Counts()
	want := map[string]float64{"crm_sync_skipped,type=lead.stage_changed": 1, "crm_sync_skipped,type=lead.erased": 1}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestCRMSyncDuplicateDeliverySendsTheSameKey(t *testing.T) {
	h := newCRMHarness(t, true)
	h.addLead("L1", lead.StageSQL)
	h.set("L1", func(l *lead.Lead) { l.Owner = "ava.brooks" }, events.Routed{Header: events.Header{LeadID: "L1", OccurredAt: start, Version: events.Version}, Owner: "ava.brooks", Rule: "territory"})
	envs := h.queued()
	for range 2 {
		if failed := h.deliver(envs...); len(failed) != 0 {
			t.Fatalf("failed records %v", failed)
		}
	}
	reqs := h.srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for _, r := range reqs {
		if k := r.Header.Get(crm.IdempotencyHeader); k != envs[0].ID {
			t.Errorf("Idempotency-Key %q, want the event id %q", k, envs[0].ID)
		}
	}
	if string(reqs[0].Body) != string(reqs[1].Body) {
		t.Errorf("bodies differ:\n%s\n%s", reqs[0].Body, reqs[1].Body)
	}
}

// A change delivered after the lead was erased sends nothing: the erasure
// event deletes the CRM record.
func TestCRMSyncAfterErasureSendsNothing(t *testing.T) {
	h := newCRMHarness(t, true)
	h.addLead("L1", lead.StageEngaged)
	h.set("L1", func(l *lead.Lead) { l.Stage = lead.StageMQL }, events.StageChanged{Header: events.Header{LeadID: "L1", OccurredAt: start, Version: events.Version}, From: lead.StageEngaged, To: lead.StageMQL})
	change := h.queued()
	if err := h.store.DeleteLead(context.Background(), "L1"); err != nil {
		t.Fatal(err)
	}
	if failed := h.deliver(change...); len(failed) != 0 {
		t.Fatalf("failed records %v, want the change acknowledged", failed)
	}
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("%d CRM requests, want none", n)
	}
}

// An erasure landing while an update is in flight would let the update
// recreate the CRM record after the erasure request; the sync sees the lead
// gone after the update and asks for the erasure again.
func TestCRMSyncErasureDuringAnUpdateIsRepeated(t *testing.T) {
	h := newCRMHarness(t, true)
	h.addLead("L1", lead.StageEngaged)
	h.set("L1", func(l *lead.Lead) { l.Stage = lead.StageMQL }, events.StageChanged{Header: events.Header{LeadID: "L1", OccurredAt: start, Version: events.Version}, From: lead.StageEngaged, To: lead.StageMQL})
	h.srv.OnRequest(func(r crmtest.Request) {
		if r.Payload.Action == crm.ActionUpsert {
			if err := h.store.DeleteLead(context.Background(), "L1"); err != nil {
				t.Error(err)
			}
		}
	})
	envs := h.queued()
	if failed := h.deliver(envs...); len(failed) != 0 {
		t.Fatalf("failed records %v", failed)
	}
	got := h.received()
	want := []received{
		upsert(envs[0].ID, events.LeadStageChanged, "marketingqualifiedlead", "", ""),
		{Key: envs[0].ID + ":erased", Action: crm.ActionErase, Event: events.LeadErased, Valid: true, Props: map[string]any{"leadflow_lead_id": "L1"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CRM requests (-want +got):\n%s", diff)
	}
}
