package outbox

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func openOutbox(t *testing.T, path string) *Outbox {
	t.Helper()
	o, err := Open(path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

func list(t *testing.T, o *Outbox, f Filter) []Entry {
	t.Helper()
	got, err := o.List(context.Background(), f)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	return got
}

func notice(key, leadID, to string, at time.Time) pipeline.Notification {
	return pipeline.Notification{Key: key, Kind: pipeline.NotifyOwnerAssigned, To: to, LeadID: leadID, Subject: "New lead", Body: "Call them", At: at}
}

func email(key, leadID string, at time.Time) pipeline.Email {
	return pipeline.Email{Key: key, LeadID: leadID, To: "lead@example.com", Subject: "Hello", Body: "Step 1", At: at}
}

// fill records, in order: a notification for l1, an email to l1, a
// notification for l2, and duplicates of each that must be dropped.
func fill(t *testing.T, o *Outbox) {
	t.Helper()
	ctx := context.Background()
	for range 2 {
		for _, err := range []error{
			o.Notify(ctx, notice("assign:l1", "l1", "rep-a", t0)),
			o.Send(ctx, email("n1:l1", "l1", t0.Add(time.Hour))),
			o.Notify(ctx, notice("assign:l2", "l2", "rep-b", t0.Add(2*time.Hour))),
		} {
			if err != nil {
				t.Fatalf("record: %v", err)
			}
		}
	}
}

var (
	n1 = Entry{Seq: 1, Kind: KindNotification, Notice: pipeline.NotifyOwnerAssigned, Key: "assign:l1", LeadID: "l1", To: "rep-a", Subject: "New lead", Body: "Call them", At: t0}
	e2 = Entry{Seq: 2, Kind: KindEmail, Key: "n1:l1", LeadID: "l1", To: "lead@example.com", Subject: "Hello", Body: "Step 1", At: t0.Add(time.Hour)}
	n3 = Entry{Seq: 3, Kind: KindNotification, Notice: pipeline.NotifyOwnerAssigned, Key: "assign:l2", LeadID: "l2", To: "rep-b", Subject: "New lead", Body: "Call them", At: t0.Add(2 * time.Hour)}
)

func TestDedupeAndFilters(t *testing.T) {
	o := openOutbox(t, filepath.Join(t.TempDir(), "outbox.db"))
	fill(t, o)
	tests := []struct {
		name   string
		filter Filter
		want   []Entry
	}{
		{"all, in send order, without duplicates", Filter{}, []Entry{n1, e2, n3}},
		{"by lead", Filter{LeadID: "l1"}, []Entry{n1, e2}},
		{"by recipient", Filter{To: "rep-b"}, []Entry{n3}},
		{"by kind", Filter{Kind: KindEmail}, []Entry{e2}},
		{"since", Filter{Since: t0.Add(time.Hour)}, []Entry{e2, n3}},
		{"nothing", Filter{LeadID: "l1", To: "rep-b"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, list(t, o, tc.filter)); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSameKeyOfAnotherKindIsNotADuplicate(t *testing.T) {
	o := openOutbox(t, filepath.Join(t.TempDir(), "outbox.db"))
	ctx := context.Background()
	if err := o.Notify(ctx, notice("k", "l1", "rep-a", t0)); err != nil {
		t.Fatal(err)
	}
	if err := o.Send(ctx, email("k", "l1", t0)); err != nil {
		t.Fatal(err)
	}
	if got := len(list(t, o, Filter{})); got != 2 {
		t.Errorf("entries = %d, want 2", got)
	}
}

func TestRejectsEntriesWithoutKeyOrRecipient(t *testing.T) {
	o := openOutbox(t, filepath.Join(t.TempDir(), "outbox.db"))
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
	}{
		{"notification without key", func() error { return o.Notify(ctx, notice("", "l1", "rep-a", t0)) }},
		{"notification without recipient", func() error { return o.Notify(ctx, notice("k", "l1", "", t0)) }},
		{"email without key", func() error { return o.Send(ctx, email("", "l1", t0)) }},
		{"delete without lead", func() error { return o.Delete(ctx, "") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !lead.IsCode(err, lead.EINVALID) {
				t.Errorf("error = %v, want %s", err, lead.EINVALID)
			}
		})
	}
}

func TestDeleteErasesALeadAndSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	o, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, o)
	if err := o.Delete(context.Background(), "l1"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}

	o2 := openOutbox(t, path)
	if diff := cmp.Diff([]Entry{n3}, list(t, o2, Filter{})); diff != "" {
		t.Errorf("entries after erasure and restart (-want +got):\n%s", diff)
	}
	// Sequence numbers keep rising after a restart.
	if err := o2.Notify(context.Background(), notice("k2", "l2", "rep-b", t0)); err != nil {
		t.Fatal(err)
	}
	got := list(t, o2, Filter{})
	if diff := cmp.Diff([]uint64{3, 4}, []uint64{got[0].Seq, got[1].Seq}); diff != "" {
		t.Errorf("sequence numbers (-want +got):\n%s", diff)
	}
}

func TestConcurrentSendsAreAllRecordedOnce(t *testing.T) {
	o := openOutbox(t, filepath.Join(t.TempDir(), "outbox.db"))
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			// Every key is sent twice, by different goroutines.
			if err := o.Notify(context.Background(), notice(fmt.Sprintf("k%d", i%20), "l1", "rep-a", t0)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got := list(t, o, Filter{})
	seen := map[string]bool{}
	for i, e := range got {
		if e.Seq != uint64(i+1) || seen[e.Key] {
			t.Errorf("entry %d: seq %d key %s: want seq %d and a key not seen before", i, e.Seq, e.Key, i+1)
		}
		seen[e.Key] = true
	}
	if len(seen) != 20 {
		t.Errorf("distinct keys = %d, want 20", len(seen))
	}
}

func TestLeadIndexKeepsPrefixesApart(t *testing.T) {
	o := openOutbox(t, filepath.Join(t.TempDir(), "outbox.db"))
	ctx := context.Background()
	for _, id := range []string{"l1", "l10"} {
		if err := o.Notify(ctx, notice("assign:"+id, id, "rep-a", t0)); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Delete(ctx, "l1"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, id := range []string{"l1", "l10"} {
		for _, e := range list(t, o, Filter{LeadID: id}) {
			got = append(got, e.LeadID)
		}
	}
	if diff := cmp.Diff([]string{"l10"}, got); diff != "" {
		t.Errorf("entries by lead after erasing l1 (-want +got):\n%s", diff)
	}
}
