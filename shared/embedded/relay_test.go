package embedded_test

import (
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/shared/embedded"
	"github.com/leadflow/leadflow/shared/internal/groupcommit"
	"github.com/leadflow/leadflow/shared/lead"
)

// relay is a fake bus on the store's file: it writes the events it is given
// to its own bucket and counts deliveries.
type relay struct {
	mu        sync.Mutex
	delivered []string
	refuse    bool
}

var relayed = []byte("relayed")

func (r *relay) stage(pending []json.RawMessage) (func(*bolt.Tx) error, func(), error) {
	if r.refuse {
		return nil, nil, lead.Errorf(lead.EINVALID, "not an envelope")
	}
	put := func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(relayed)
		if err != nil {
			return err
		}
		for _, raw := range pending {
			if err := b.Put(raw, nil); err != nil {
				return err
			}
		}
		return nil
	}
	deliver := func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, raw := range pending {
			r.delivered = append(r.delivered, string(raw))
		}
	}
	return put, deliver, nil
}

func withRelay(t *testing.T) (*embedded.Store, *relay, *bolt.DB) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "leadflow.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := groupcommit.New(db)
	r := &relay{}
	s, err := embedded.New(c, embedded.WithRelay(r.stage))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		c.Close()
		db.Close()
	})
	return s, r, db
}

// onDisk lists what the relay stored in the file.
func onDisk(t *testing.T, db *bolt.DB) []string {
	t.Helper()
	var out []string
	err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(relayed)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRelayPublishesPendingEventsWithTheLeadsWrite(t *testing.T) {
	s, r, db := withRelay(t)
	ctx := t.Context()
	l := testLead()
	l.Pending = []json.RawMessage{json.RawMessage(`"captured"`)}
	if err := s.CreateLead(ctx, l); err != nil {
		t.Fatalf("CreateLead: %v", err)
	}
	if l.Pending != nil || l.Version != 1 {
		t.Errorf("after create: pending %s, version %d; want none, 1", l.Pending, l.Version)
	}
	l.Pending = []json.RawMessage{json.RawMessage(`"enriched"`)}
	if err := s.UpdateLead(ctx, l); err != nil {
		t.Fatalf("UpdateLead: %v", err)
	}
	if l.Pending != nil || l.Version != 2 {
		t.Errorf("after update: pending %s, version %d; want none, 2", l.Pending, l.Version)
	}
	stored, err := s.GetLead(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Pending) != 0 {
		t.Errorf("stored lead keeps pending events %s", stored.Pending)
	}
	want := []string{`"captured"`, `"enriched"`}
	if diff := cmp.Diff(want, onDisk(t, db)); diff != "" {
		t.Errorf("events on disk (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, r.delivered); diff != "" {
		t.Errorf("events delivered (-want +got):\n%s", diff)
	}
}

func TestRelayPublishesNothingOfARefusedWrite(t *testing.T) {
	s, r, db := withRelay(t)
	ctx := t.Context()
	l := testLead()
	if err := s.CreateLead(ctx, l); err != nil {
		t.Fatal(err)
	}
	stale := *l
	stale.Version = 0
	stale.Pending = []json.RawMessage{json.RawMessage(`"stale"`)}
	if err := s.UpdateLead(ctx, &stale); !lead.IsCode(err, lead.ECONFLICT) {
		t.Fatalf("stale UpdateLead: error = %v, want %s", err, lead.ECONFLICT)
	}
	twin := testLead()
	twin.ID = "01JQ8N4W6E5H2R7K9T3M000002"
	twin.Pending = []json.RawMessage{json.RawMessage(`"twin"`)}
	if err := s.CreateLead(ctx, twin); !lead.IsCode(err, lead.ECONFLICT) {
		t.Fatalf("CreateLead of a taken email: error = %v, want %s", err, lead.ECONFLICT)
	}
	if len(stale.Pending) != 1 || len(twin.Pending) != 1 {
		t.Errorf("refused writes cleared their events: %s, %s", stale.Pending, twin.Pending)
	}
	if got := onDisk(t, db); len(got) != 0 {
		t.Errorf("events on disk %v, want none", got)
	}
	if len(r.delivered) != 0 {
		t.Errorf("events delivered %v, want none", r.delivered)
	}

	r.refuse = true
	l.Pending = []json.RawMessage{json.RawMessage(`"bad"`)}
	if err := s.UpdateLead(ctx, l); !lead.IsCode(err, lead.EINVALID) {
		t.Fatalf("UpdateLead with events the relay refuses: error = %v, want %s", err, lead.EINVALID)
	}
	if got, err := s.GetLead(ctx, l.ID); err != nil || got.Version != 1 {
		t.Errorf("lead after a refused publish: %+v, %v; want version 1 unchanged", got, err)
	}
}
