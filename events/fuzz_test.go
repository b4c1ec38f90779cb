package events_test

import (
	"encoding/json"
	"testing"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/lead"
)

// FuzzParseEnvelope feeds arbitrary SQS bodies to ParseEnvelope: it must
// never panic, must fail with EINVALID, and what it accepts must survive a
// round trip.
func FuzzParseEnvelope(f *testing.F) {
	f.Add([]byte(`{"version":"0","id":"e1","detail-type":"lead.captured","source":"leadflow","time":"2026-01-01T00:00:00Z","detail":{"lead_id":"L1","occurred_at":"2026-01-01T00:00:00Z","version":1,"source":"web_form","created":true}}`))
	f.Add([]byte(`{"id":"e2","detail-type":"lead.stage_changed","detail":{"lead_id":"L1","from":"new","to":"sql","cause":"x"}}`))
	f.Add([]byte(`{"id":"e3","detail-type":"lead.erased","detail":{"lead_id":"L1"}}`))
	f.Add([]byte(`{"id":"e4","detail-type":"lead.unknown","detail":{"lead_id":"L1"}}`))
	f.Add([]byte(`{"id":"e5","detail-type":"lead.routed","detail":{}}`))
	f.Add([]byte(`{"id":"e6","detail-type":"lead.scored","detail":null}`))
	f.Add([]byte(`{"id":"e7","detail-type":"lead.scored","detail":"x"}`))
	f.Add([]byte(`{"detail-type":"lead.activity_recorded","detail":{"lead_id":"L1","occurred_at":"not a time"}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Add([]byte("{\"detail-type\":\"lead.captured\",\"detail\":{\"lead_id\":\"\xff\"}}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, d, err := events.ParseEnvelope(body)
		if err != nil {
			if code := lead.ErrorCode(err); code != lead.EINVALID {
				t.Fatalf("ParseEnvelope error %v has code %q, want EINVALID", err, code)
			}
			return
		}
		if d == nil || d.Type() != env.DetailType || d.Head().LeadID == "" {
			t.Fatalf("accepted %q as %T for %s without a lead id", body, d, env.DetailType)
		}
		again, err := json.Marshal(env)
		if err != nil {
			t.Fatalf("accepted envelope does not encode: %v", err)
		}
		env2, d2, err := events.ParseEnvelope(again)
		if err != nil || env2.DetailType != env.DetailType || d2.Head().LeadID != d.Head().LeadID {
			t.Fatalf("round trip of %q: %v", body, err)
		}
	})
}
