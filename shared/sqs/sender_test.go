package sqs_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/awsenv"
	"github.com/leadflow/leadflow/shared/internal/motoserver"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/sqs"
)

func TestMain(m *testing.M) { os.Exit(motoserver.Run(m)) }

var at = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func enriched(t *testing.T, n int) events.Envelope {
	t.Helper()
	env, err := events.Wrap(fmt.Sprintf("evt-%03d", n), events.Enriched{
		Header: events.Header{LeadID: fmt.Sprintf("lead-%03d", n), OccurredAt: at, Version: events.Version},
		Status: lead.EnrichmentPending, Trigger: "sweep",
	})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// TestSendDelivers sends a sweep-sized batch to a moto queue and reads every
// envelope back as a consumer parses it.
func TestSendDelivers(t *testing.T) {
	ctx := t.Context()
	client := awssqs.NewFromConfig(motoserver.Config(t))
	q, err := client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("enrich")})
	if err != nil {
		t.Fatal(err)
	}
	queues := sqs.QueueURLs(func(name string) string {
		if name == awsenv.Queue(events.ConsumerEnrich) {
			return aws.ToString(q.QueueUrl)
		}
		return ""
	})
	if diff := cmp.Diff(map[events.Consumer]string{events.ConsumerEnrich: aws.ToString(q.QueueUrl)}, queues); diff != "" {
		t.Fatalf("QueueURLs (-want +got):\n%s", diff)
	}
	const n = 23
	var envs []events.Envelope
	var want []string
	for i := range n {
		envs = append(envs, enriched(t, i))
		want = append(want, fmt.Sprintf("lead-%03d", i))
	}
	if err := sqs.New(client, queues).Send(ctx, events.ConsumerEnrich, envs...); err != nil {
		t.Fatalf("Send: %v", err)
	}
	var got []string
	// An empty receive does not mean the queue is empty (a loaded host can
	// answer a long poll before its messages show): poll until a deadline.
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < n && time.Now().Before(deadline) {
		out, err := client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			env, d, err := events.ParseEnvelope([]byte(aws.ToString(m.Body)))
			if err != nil {
				t.Fatalf("ParseEnvelope: %v", err)
			}
			if env.DetailType != events.LeadEnriched || env.Source != events.Source {
				t.Errorf("envelope %s from %s, want %s from %s", env.DetailType, env.Source, events.LeadEnriched, events.Source)
			}
			got = append(got, d.Head().LeadID)
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lead ids received (-want +got):\n%s", diff)
	}
}

// fakeQueue records SendMessageBatch calls (message ids per call) and fails
// entries as fail decides.
type fakeQueue struct {
	mu    sync.Mutex
	calls [][]string
	fail  func(call int, body string) (failed, senderFault bool)
}

func (f *fakeQueue) SendMessageBatch(_ context.Context, in *awssqs.SendMessageBatchInput, _ ...func(*awssqs.Options)) (*awssqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	call := len(f.calls)
	out := &awssqs.SendMessageBatchOutput{}
	var ids []string
	for _, e := range in.Entries {
		env, _, err := events.ParseEnvelope([]byte(aws.ToString(e.MessageBody)))
		if err != nil {
			return nil, err
		}
		ids = append(ids, env.ID)
		if failed, sender := f.fail(call, env.ID); failed {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("ServiceUnavailable"), SenderFault: sender})
		} else {
			out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id})
		}
	}
	f.calls = append(f.calls, ids)
	return out, nil
}

func TestSendRetries(t *testing.T) {
	envs := make([]events.Envelope, 12)
	for i := range envs {
		envs[i] = enriched(t, i)
	}
	ids := func(ns ...int) []string {
		var out []string
		for _, n := range ns {
			out = append(out, fmt.Sprintf("evt-%03d", n))
		}
		return out
	}
	never := func(int, string) (bool, bool) { return false, false }
	tests := []struct {
		name      string
		to        events.Consumer
		fail      func(call int, id string) (bool, bool)
		wantCalls [][]string
		wantCode  string
	}{
		{"ten per call", events.ConsumerEnrich, never, [][]string{ids(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), ids(10, 11)}, ""},
		{"only failed messages are resent", events.ConsumerEnrich, func(call int, id string) (bool, bool) {
			return call < 2 && (id == "evt-003" || id == "evt-011"), false
		}, [][]string{ids(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), ids(10, 11), ids(3, 11)}, ""},
		{"messages that keep failing are unavailable", events.ConsumerEnrich, func(_ int, id string) (bool, bool) { return id == "evt-000", false },
			[][]string{ids(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), ids(10, 11), ids(0), ids(0), ids(0), ids(0)}, lead.EUNAVAILABLE},
		{"a refused message is not resent", events.ConsumerEnrich, func(_ int, id string) (bool, bool) { return id == "evt-005", true },
			[][]string{ids(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)}, lead.EINTERNAL},
		{"a consumer without a queue is invalid", events.ConsumerScore, never, nil, lead.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeQueue{fail: tc.fail}
			err := sqs.New(f, map[events.Consumer]string{events.ConsumerEnrich: "https://sqs.example/enrich"}).Send(t.Context(), tc.to, envs...)
			if got := lead.ErrorCode(err); got != tc.wantCode {
				t.Errorf("Send error %v, want code %q", err, tc.wantCode)
			}
			if diff := cmp.Diff(tc.wantCalls, f.calls); diff != "" {
				t.Errorf("SendMessageBatch calls (-want +got):\n%s", diff)
			}
		})
	}
}
