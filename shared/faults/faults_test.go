package faults_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/embedded"
	"github.com/leadflow/leadflow/shared/faults"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want faults.Spec
	}{
		{"store=0.1,publish=0.1,enrich=0.3,reply_lost=0.05", faults.Spec{
			Rates:     map[faults.Port]float64{faults.Store: 0.1, faults.Publish: 0.1, faults.Enrich: 0.3},
			ReplyLost: 0.05, Timeouts: faults.DefaultTimeouts, Seed: 1,
		}},
		{" deliver = 1 , seed=42, timeouts=0", faults.Spec{
			Rates: map[faults.Port]float64{faults.Deliver: 1}, Timeouts: 0, Seed: 42,
		}},
		{"reply_lost=0", faults.Spec{Rates: map[faults.Port]float64{}, Timeouts: faults.DefaultTimeouts, Seed: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := faults.Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
			again, err := faults.Parse(got.String())
			if err != nil {
				t.Fatalf("Parse(String()): %v", err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("String does not round-trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRejectsBadSpecs(t *testing.T) {
	tests := []struct{ in, wantMsg string }{
		{"", "empty spec"},
		{"store", `"store" is not key=value`},
		{"store=", `"store=" is not key=value`},
		{"=0.1", `"=0.1" is not key=value`},
		{"stroe=0.1", `unknown key "stroe"`},
		{"store=1.5", "store=1.5: want a fraction from 0 to 1"},
		{"store=-0.1", "want a fraction from 0 to 1"},
		{"store=NaN", "want a fraction from 0 to 1"},
		{"store=lots", "want a fraction from 0 to 1"},
		{"store=0.1,store=0.2", "store is given twice"},
		{"seed=-1", `seed "-1" is not an unsigned integer`},
		{"store=0.1,,publish=0.1", `entry "" is not key=value`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := faults.Parse(tc.in)
			if !lead.IsCode(err, lead.EINVALID) {
				t.Fatalf("Parse(%q) = %v, want EINVALID", tc.in, err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("Parse(%q) = %q, want it to say %q", tc.in, err, tc.wantMsg)
			}
		})
	}
}

// recorder is a Publisher that records what reached it.
type recorder struct{ n int }

func (r *recorder) Publish(_ context.Context, envs ...events.Envelope) error {
	r.n += len(envs)
	return nil
}

// pattern publishes n times through a fresh injector and returns which calls
// failed (f), lost their reply (l) or passed (.).
func pattern(t *testing.T, spec string, n int) (string, *recorder, *faults.Injector) {
	t.Helper()
	s, err := faults.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	in := faults.New(s)
	rec := &recorder{}
	p := in.Publisher(rec)
	var b strings.Builder
	for i := 0; i < n; i++ {
		before := rec.n
		err := p.Publish(context.Background(), events.Envelope{ID: "e"})
		switch {
		case err == nil:
			b.WriteByte('.')
		case !lead.IsCode(err, lead.EUNAVAILABLE):
			t.Fatalf("injected error %v is not EUNAVAILABLE", err)
		case rec.n > before:
			b.WriteByte('l')
		default:
			b.WriteByte('f')
		}
	}
	return b.String(), rec, in
}

func TestSameSeedSameFailures(t *testing.T) {
	a, _, _ := pattern(t, "publish=0.3,reply_lost=0.2,seed=7", 200)
	b, _, _ := pattern(t, "publish=0.3,reply_lost=0.2,seed=7", 200)
	c, _, _ := pattern(t, "publish=0.3,reply_lost=0.2,seed=8", 200)
	if a != b {
		t.Errorf("same seed, different failures:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("different seeds gave the same failures: %s", a)
	}
}

func TestRatesAreHonoured(t *testing.T) {
	const n = 10000
	got, rec, in := pattern(t, "publish=0.2,reply_lost=0.1,timeouts=0.5", n)
	failed, lost := strings.Count(got, "f"), strings.Count(got, "l")
	// Failures first, then reply_lost among the survivors: 0.2 and 0.08.
	if failed < 1800 || failed > 2200 {
		t.Errorf("%d of %d calls failed, want about 2000", failed, n)
	}
	if lost < 650 || lost > 950 {
		t.Errorf("%d of %d replies lost, want about 800", lost, n)
	}
	if rec.n != n-failed {
		t.Errorf("%d calls reached the publisher, want every call that did not fail (%d)", rec.n, n-failed)
	}
	st := in.Stats()[faults.Publish]
	if diff := cmp.Diff(faults.Stats{Calls: n, Failed: int64(failed), Timeouts: st.Timeouts, ReplyLost: int64(lost)}, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if st.Timeouts < int64(failed)*4/10 || st.Timeouts > int64(failed)*6/10 {
		t.Errorf("%d of %d failures are timeouts, want about half", st.Timeouts, failed)
	}
}

func TestTimeoutsLookLikeDeadlines(t *testing.T) {
	in := faults.New(faults.Spec{Rates: map[faults.Port]float64{faults.Notify: 1}, Timeouts: 1, Seed: 1})
	err := in.Notifier(nil).Notify(context.Background(), pipeline.Notification{})
	if !lead.IsCode(err, lead.EUNAVAILABLE) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout = %v, want EUNAVAILABLE wrapping context.DeadlineExceeded", err)
	}
}

func TestDisabledPassesEverything(t *testing.T) {
	in := faults.New(faults.Spec{Rates: map[faults.Port]float64{faults.Publish: 1}, ReplyLost: 1, Seed: 1})
	in.SetEnabled(false)
	rec := &recorder{}
	for i := 0; i < 10; i++ {
		if err := in.Publisher(rec).Publish(context.Background(), events.Envelope{}); err != nil {
			t.Fatalf("disabled injector failed a call: %v", err)
		}
	}
	in.SetEnabled(true)
	if err := in.Publisher(rec).Publish(context.Background(), events.Envelope{}); err == nil {
		t.Fatal("re-enabled injector let a call with rate 1 pass")
	}
}

func TestReplyLostStoreWriteHappened(t *testing.T) {
	db, err := embedded.Open(filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	in := faults.New(faults.Spec{Rates: map[faults.Port]float64{}, ReplyLost: 1, Seed: 1})
	s := in.Store(db)
	ctx := context.Background()
	l := &lead.Lead{ID: "L1", Email: "a@b.example", Stage: lead.StageNew}
	if err := s.CreateLead(ctx, l); !lead.IsCode(err, lead.EUNAVAILABLE) {
		t.Fatalf("CreateLead with reply lost = %v, want EUNAVAILABLE", err)
	}
	// Reads never lose a reply: the write is visible through the wrapper.
	got, err := s.GetLead(ctx, "L1")
	if err != nil || got.Email != "a@b.example" {
		t.Fatalf("GetLead after a lost reply = %v, %v; want the created lead", got, err)
	}
	if _, _, err := s.PutOnce(ctx, "k", "v1", 0); !lead.IsCode(err, lead.EUNAVAILABLE) {
		t.Fatalf("PutOnce with reply lost = %v, want EUNAVAILABLE", err)
	}
	in.SetEnabled(false)
	stored, created, err := s.PutOnce(ctx, "k", "v2", 0)
	if err != nil || created || stored != "v1" {
		t.Fatalf("PutOnce retry = %q, %v, %v; want the first value, not created", stored, created, err)
	}
}

func TestStoreFailureWritesNothing(t *testing.T) {
	db, err := embedded.Open(filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	in := faults.New(faults.Spec{Rates: map[faults.Port]float64{faults.Store: 1}, Seed: 1})
	s := in.Store(db)
	ctx := context.Background()
	if err := s.CreateLead(ctx, &lead.Lead{ID: "L1", Email: "a@b.example"}); !lead.IsCode(err, lead.EUNAVAILABLE) {
		t.Fatalf("CreateLead = %v, want EUNAVAILABLE", err)
	}
	if _, err := db.GetLead(ctx, "L1"); !lead.IsCode(err, lead.ENOTFOUND) {
		t.Fatalf("lead after a failed create: %v, want ENOTFOUND", err)
	}
}

func TestWrapReplacesEveryPortThatIsSet(t *testing.T) {
	in := faults.New(faults.Spec{Rates: map[faults.Port]float64{
		faults.Store: 1, faults.Publish: 1, faults.Send: 1, faults.Schedule: 1, faults.Notify: 1, faults.Mail: 1,
	}, Seed: 1})
	rec := &recorder{}
	svc := &pipeline.Service{Publisher: rec, Sender: nopSender{}, Scheduler: nopScheduler{}, Notifier: nopNotifier{}, Mailer: nopMailer{}}
	in.Wrap(svc)
	ctx := context.Background()
	checks := map[string]error{
		"publish":  svc.Publisher.Publish(ctx),
		"send":     svc.Sender.Send(ctx, events.ConsumerEnrich),
		"schedule": svc.Scheduler.Schedule(ctx, pipeline.Timer{}),
		"cancel":   svc.Scheduler.Cancel(ctx, "k"),
		"notify":   svc.Notifier.Notify(ctx, pipeline.Notification{}),
		"mail":     svc.Mailer.Send(ctx, pipeline.Email{}),
	}
	for name, err := range checks {
		if !lead.IsCode(err, lead.EUNAVAILABLE) {
			t.Errorf("%s through a wrapped service = %v, want EUNAVAILABLE", name, err)
		}
	}
	if svc.Store != nil || svc.Enricher != nil {
		t.Error("Wrap set a port that was nil")
	}
}

type nopSender struct{}

func (nopSender) Send(context.Context, events.Consumer, ...events.Envelope) error { return nil }

type nopScheduler struct{}

func (nopScheduler) Schedule(context.Context, pipeline.Timer) error { return nil }
func (nopScheduler) Cancel(context.Context, string) error           { return nil }

type nopNotifier struct{}

func (nopNotifier) Notify(context.Context, pipeline.Notification) error { return nil }

type nopMailer struct{}

func (nopMailer) Send(context.Context, pipeline.Email) error { return nil }

func TestHandlerFaults(t *testing.T) {
	batch := awsevents.SQSEvent{Records: []awsevents.SQSMessage{{MessageId: "m1"}}}
	tests := []struct {
		spec      string
		wantRuns  int
		wantError bool
	}{
		{"deliver=1", 0, true},
		{"reply_lost=1", 1, true},
		{"deliver=0", 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			s, err := faults.Parse(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			runs := 0
			h := faults.New(s).Handler(func(context.Context, awsevents.SQSEvent) (awsevents.SQSEventResponse, error) {
				runs++
				return awsevents.SQSEventResponse{}, nil
			})
			_, err = h(context.Background(), batch)
			if runs != tc.wantRuns || (err != nil) != tc.wantError {
				t.Errorf("handler ran %d times, err %v; want %d runs, error %v", runs, err, tc.wantRuns, tc.wantError)
			}
		})
	}
}
