package local

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/outbox"
	"github.com/leadflow/leadflow/shared/pipeline"
)

// writeLegacy writes a file of the layout earlier versions kept the bus,
// timers or outbox in: their buckets at the top level.
func writeLegacy(t *testing.T, path string, fill func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fill); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func put(tx *bolt.Tx, bucket string, k, v []byte) error {
	b, err := tx.CreateBucketIfNotExists([]byte(bucket))
	if err != nil {
		return err
	}
	return b.Put(k, v)
}

func seq(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func TestDataOfEarlierVersionsMovesIntoTheOneDataFile(t *testing.T) {
	dir := t.TempDir()
	at := start.Add(-time.Hour)
	timer := pipeline.Timer{Key: "sla-1", Kind: pipeline.TimerSLA, LeadID: "lead-1", At: start.Add(time.Hour), Data: "ava.brooks"}
	writeLegacy(t, filepath.Join(dir, "timers.db"), func(tx *bolt.Tx) error {
		v, _ := json.Marshal(map[string]any{"timer": timer})
		return put(tx, "pending", []byte(timer.Key), v)
	})
	env, err := events.Wrap("ev-1", events.Captured{Header: events.Header{LeadID: "lead-1", OccurredAt: at, Version: events.Version}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(env)
	writeLegacy(t, filepath.Join(dir, "bus.db"), func(tx *bolt.Tx) error {
		v, _ := json.Marshal(map[string]any{"body": json.RawMessage(body), "sent_at": at})
		if err := put(tx, "queue/"+string(events.ConsumerEnrich), seq(7), v); err != nil {
			return err
		}
		return put(tx, "meta", []byte("seq"), seq(7))
	})
	entry := outbox.Entry{Seq: 1, Kind: outbox.KindNotification, Notice: pipeline.NotifyOwnerAssigned, Key: "assigned:lead-1", LeadID: "lead-1", To: "ava.brooks", Subject: "New lead", At: at}
	writeLegacy(t, filepath.Join(dir, "outbox.db"), func(tx *bolt.Tx) error {
		v, _ := json.Marshal(entry)
		if err := put(tx, "entries", seq(1), v); err != nil {
			return err
		}
		if err := tx.Bucket([]byte("entries")).SetSequence(1); err != nil {
			return err
		}
		if err := put(tx, "keys", []byte(entry.Kind+"/"+entry.Key), seq(1)); err != nil {
			return err
		}
		return put(tx, "leads", append([]byte("lead-1\x00"), seq(1)...), nil)
	})

	// Twice: the second start finds nothing left to move and keeps what the
	// first moved.
	for range 2 {
		app, err := New(Options{Addr: "127.0.0.1:0", DataDir: dir, Clock: "manual", Start: start, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatalf("new app: %v", err)
		}
		if diff := cmp.Diff([]pipeline.Timer{timer}, app.Timers.Pending("lead-1")); diff != "" {
			t.Errorf("pending timers (-want +got):\n%s", diff)
		}
		for _, s := range app.Bus.Stats() {
			if want := map[events.Consumer]int{events.ConsumerEnrich: 1}[s.Consumer]; s.Ready != want {
				t.Errorf("queue %s: %d ready, want %d", s.Consumer, s.Ready, want)
			}
		}
		got, err := app.Outbox.List(t.Context(), outbox.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]outbox.Entry{entry}, got); diff != "" {
			t.Errorf("outbox (-want +got):\n%s", diff)
		}
		if err := app.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range legacyFiles {
		if _, err := os.Stat(filepath.Join(dir, f.name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left behind: %v", f.name, err)
		}
	}

	// The moved sequences go on: a new entry follows the old one, and a new
	// message does not reuse the old one's id.
	app, err := New(Options{Addr: "127.0.0.1:0", DataDir: dir, Clock: "manual", Start: start, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if err := app.Outbox.Notify(t.Context(), pipeline.Notification{Key: "assigned:lead-2", Kind: pipeline.NotifyOwnerAssigned, To: "ava.brooks", LeadID: "lead-2", At: start}); err != nil {
		t.Fatal(err)
	}
	got, err := app.Outbox.List(t.Context(), outbox.Filter{LeadID: "lead-2"})
	if err != nil || len(got) != 1 || got[0].Seq != 2 {
		t.Errorf("new entry %+v, %v; want seq 2", got, err)
	}
	env.ID = "ev-2"
	if err := app.Bus.Send(t.Context(), events.ConsumerEnrich, env); err != nil {
		t.Fatal(err)
	}
	if s := app.Bus.Stats()[0]; s.Consumer != events.ConsumerEnrich || s.Ready != 2 {
		t.Errorf("enrich queue %+v, want 2 ready", s)
	}
}
