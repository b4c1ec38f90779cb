package metrics

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestEMFLineIsCloudWatchEmbeddedMetricFormat(t *testing.T) {
	var buf bytes.Buffer
	e := &EMF{W: &buf, Now: func() time.Time { return time.UnixMilli(1700000000000) }}
	e.Observe("speed_to_route", 1500*time.Microsecond, "rule", "territory")
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v: %s", err, buf.String())
	}
	if doc["speed_to_route"] != 1.5 || doc["rule"] != "territory" {
		t.Fatalf("value or dimension missing: %s", buf.String())
	}
	aws := doc["_aws"].(map[string]any)
	if aws["Timestamp"] != float64(1700000000000) {
		t.Fatalf("timestamp: %v", aws["Timestamp"])
	}
	cw := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if cw["Namespace"] != Namespace {
		t.Fatalf("namespace: %v", cw["Namespace"])
	}
}

func TestMemoryTotals(t *testing.T) {
	var m Memory
	m.Count("leads_routed", 1, "rule", "territory")
	m.Count("leads_routed", 2, "rule", "territory")
	m.Observe("speed_to_route", time.Millisecond)
	if got := m.Counts()["leads_routed,rule=territory"]; got != 3 {
		t.Fatalf("count = %v, want 3", got)
	}
	if got := m.Observations("speed_to_route"); len(got) != 1 || got[0] != time.Millisecond {
		t.Fatalf("observations = %v", got)
	}
}
