package localbus

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/internal/groupcommit"
	"github.com/leadflow/leadflow/shared/lead"
)

// shared opens a file and a bus on its committer, as the local runtime
// does, and returns both.
func shared(t *testing.T, path string) (*groupcommit.Committer, *Bus) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := groupcommit.New(db)
	b, err := New(c, fast)
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	t.Cleanup(func() {
		b.Close()
		c.Close()
		db.Close()
	})
	return c, b
}

func bodies(t *testing.T, envs ...events.Envelope) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	for _, env := range envs {
		raw, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw)
	}
	return out
}

func TestStagedEventsArePublishedWithTheirTransaction(t *testing.T) {
	c, b := shared(t, filepath.Join(t.TempDir(), "leadflow.db"))
	r := newRecorder()
	subscribeAll(t, b, r)
	run(t, b)
	mark := []byte("marks")
	put, deliver, err := b.Stage(bodies(t, envelope("ev-1", events.LeadStageChanged, "lead-1"), envelope("ev-2", events.LeadCaptured, "lead-1")))
	if err != nil {
		t.Fatalf("stage: %v", err)
	}
	// The caller's own write and the events commit together.
	err = c.Do(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(mark)
		if err != nil {
			return err
		}
		if err := bk.Put([]byte("lead-1"), []byte("v2")); err != nil {
			return err
		}
		return put(tx)
	})
	if err != nil {
		t.Fatal(err)
	}
	deliver()
	waitIdle(t, b)

	got := map[string][]string{}
	r.mu.Lock()
	for id, cs := range r.received {
		got[id] = slices.Sorted(slices.Values(cs))
	}
	r.mu.Unlock()
	want := map[string][]string{}
	for _, env := range []struct {
		id string
		dt events.DetailType
	}{{"ev-1", events.LeadStageChanged}, {"ev-2", events.LeadCaptured}} {
		for _, cons := range events.ConsumersOf(env.dt) {
			want[env.id] = append(want[env.id], string(cons))
		}
		slices.Sort(want[env.id])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("consumers per event (-want +got):\n%s", diff)
	}
}

func TestStagedEventsOfARolledBackTransactionAreNotPublished(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leadflow.db")
	c, b := shared(t, path)
	put, _, err := b.Stage(bodies(t, envelope("ev-1", events.LeadCaptured, "lead-1")))
	if err != nil {
		t.Fatal(err)
	}
	refused := errors.New("conditional write lost")
	if err := c.Do(func(tx *bolt.Tx) error {
		if err := put(tx); err != nil {
			return err
		}
		return refused
	}); !errors.Is(err, refused) {
		t.Fatalf("commit: error = %v, want %v", err, refused)
	}
	for _, s := range b.Stats() {
		if s.Ready+s.Delayed+s.InFlight != 0 {
			t.Errorf("queue %+v, want empty", s)
		}
	}
	err = c.DB().View(func(tx *bolt.Tx) error {
		if n := bucket(tx, queueBucket(events.ConsumerEnrich)).Stats().KeyN; n != 0 {
			t.Errorf("%d messages on disk, want none", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestStagedEventsCommittedBeforeACrashAreDeliveredAfterIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leadflow.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := groupcommit.New(db)
	b, err := New(c, fast)
	if err != nil {
		t.Fatal(err)
	}
	put, _, err := b.Stage(bodies(t, envelope("ev-1", events.LeadCaptured, "lead-1")))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Do(put); err != nil {
		t.Fatal(err)
	}
	// The process ends before deliver: the message is on disk only.
	b.Close()
	c.Close()
	db.Close()

	_, b2 := shared(t, path)
	r := newRecorder()
	subscribeAll(t, b2, r)
	run(t, b2)
	waitIdle(t, b2)
	r.mu.Lock()
	defer r.mu.Unlock()
	if diff := cmp.Diff([]string{string(events.ConsumerEnrich)}, r.received["ev-1"]); diff != "" {
		t.Errorf("receives of ev-1 (-want +got):\n%s", diff)
	}
}

func TestStageRejectsWhatIsNotAnEnvelope(t *testing.T) {
	_, b := shared(t, filepath.Join(t.TempDir(), "leadflow.db"))
	for name, body := range map[string]string{
		"not json":       `{"id":`,
		"no detail-type": `{"id":"ev-1","detail":{}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := b.Stage([]json.RawMessage{json.RawMessage(body)}); !lead.IsCode(err, lead.EINVALID) {
				t.Errorf("stage: error = %v, want %s", err, lead.EINVALID)
			}
		})
	}
}
