package eventbridge_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	eb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/eventbridge"
	"github.com/leadflow/leadflow/shared/internal/motoserver"
	"github.com/leadflow/leadflow/shared/lead"
)

func TestMain(m *testing.M) { os.Exit(motoserver.Run(m)) }

var at = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func envelope(t *testing.T, n int, d events.Detail) events.Envelope {
	t.Helper()
	env, err := events.Wrap(fmt.Sprintf("evt-%03d", n), d)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func routed(t *testing.T, n int) events.Envelope {
	t.Helper()
	return envelope(t, n, events.Routed{Header: events.Header{LeadID: fmt.Sprintf("lead-%03d", n), OccurredAt: at, Version: events.Version}, Owner: "rep-ana", Rule: "territory"})
}

// fakeBus records PutEvents calls and fails entries as fail decides.
type fakeBus struct {
	mu    sync.Mutex
	calls [][]string // lead ids per call
	fail  func(call int, leadID string) bool
}

func (f *fakeBus) PutEvents(_ context.Context, in *eb.PutEventsInput, _ ...func(*eb.Options)) (*eb.PutEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	call := len(f.calls)
	var ids []string
	out := &eb.PutEventsOutput{}
	for _, e := range in.Entries {
		var h events.Header
		if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &h); err != nil {
			return nil, err
		}
		ids = append(ids, h.LeadID)
		if f.fail != nil && f.fail(call, h.LeadID) {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("try again")})
		} else {
			out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: aws.String(fmt.Sprint(call))})
		}
	}
	f.calls = append(f.calls, ids)
	return out, nil
}

func TestPublishBatchesAndRetries(t *testing.T) {
	envs := make([]events.Envelope, 23)
	for i := range envs {
		envs[i] = routed(t, i)
	}
	id := func(n int) string { return fmt.Sprintf("lead-%03d", n) }
	span := func(from, to int) []string {
		var out []string
		for i := from; i < to; i++ {
			out = append(out, id(i))
		}
		return out
	}
	tests := []struct {
		name      string
		fail      func(call int, leadID string) bool
		wantCalls [][]string
		wantCode  string
	}{
		{"ten per call", nil, [][]string{span(0, 10), span(10, 20), span(20, 23)}, ""},
		{"only failed entries are resent", func(call int, leadID string) bool {
			return call < 3 && (leadID == id(4) || leadID == id(21))
		}, [][]string{span(0, 10), span(10, 20), span(20, 23), {id(4), id(21)}}, ""},
		{"entries that keep failing are unavailable", func(_ int, leadID string) bool { return leadID == id(7) },
			[][]string{span(0, 10), span(10, 20), span(20, 23), {id(7)}, {id(7)}, {id(7)}, {id(7)}}, lead.EUNAVAILABLE},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeBus{fail: tc.fail}
			err := eventbridge.New(f, "leadflow").Publish(t.Context(), envs...)
			if got := lead.ErrorCode(err); got != tc.wantCode {
				t.Errorf("Publish error %v, want code %q", err, tc.wantCode)
			}
			if diff := cmp.Diff(tc.wantCalls, f.calls); diff != "" {
				t.Errorf("PutEvents calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPublishSizeLimits(t *testing.T) {
	big := func(n, size int) events.Envelope {
		env := routed(t, n)
		env.Detail = json.RawMessage(fmt.Sprintf(`{"lead_id":"lead-%03d","rule":"%s"}`, n, strings.Repeat("x", size)))
		return env
	}
	t.Run("large events split calls", func(t *testing.T) {
		f := &fakeBus{}
		if err := eventbridge.New(f, "leadflow").Publish(t.Context(), big(0, 100_000), big(1, 100_000), big(2, 100_000)); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([][]string{{"lead-000", "lead-001"}, {"lead-002"}}, f.calls); diff != "" {
			t.Errorf("PutEvents calls (-want +got):\n%s", diff)
		}
	})
	t.Run("an event over the limit is refused", func(t *testing.T) {
		f := &fakeBus{}
		err := eventbridge.New(f, "leadflow").Publish(t.Context(), routed(t, 0), big(1, eventbridge.MaxBatchSize))
		if lead.ErrorCode(err) != lead.ETOOLARGE || len(f.calls) != 0 {
			t.Errorf("Publish = %v after %d calls, want ETOOLARGE before any call", err, len(f.calls))
		}
	})
}
