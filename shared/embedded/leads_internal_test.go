package embedded

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/shared/lead"
)

// The indexed part of a lead must carry everything UpdateLead compares and
// indexes, under the names the full lead is stored with.
func TestIndexedPartHoldsWhatUpdatesCheckAndIndex(t *testing.T) {
	at := time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)
	full := &lead.Lead{
		ID: "01JQ8N4W6E5H2R7K9T3M000001", Email: "grace.hopper@cobolworks.example", FirstName: "Grace",
		Stage: lead.StageSQL, Owner: "rep-ana", Score: lead.Score{Total: -12.5, Fit: 3, Reasons: []lead.Reason{{Code: "x", Points: 1}}},
		History: []lead.Change{{At: at, Kind: "stage"}}, CreatedAt: at, UpdatedAt: at, LastActivityAt: at.Add(time.Hour), Version: 7,
	}
	data, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(t.TempDir()+"/x.db", 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bucketLeads)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(full.ID), data); err != nil {
			return err
		}
		got, err := getIndexed(tx, []byte(full.ID))
		if err != nil {
			return err
		}
		type view struct {
			Version           int64
			Email             string
			OwnerKey, TimeKey []byte
		}
		want := view{full.Version, full.Email, ownerKey(full), activityTimeKey(full)}
		if diff := cmp.Diff(want, view{got.Version, got.Email, ownerKey(got), activityTimeKey(got)}); diff != "" {
			t.Errorf("indexed part (-full +indexed):\n%s", diff)
		}
		if _, err := getIndexed(tx, []byte("missing")); !lead.IsCode(err, lead.ENOTFOUND) {
			t.Errorf("missing lead: error = %v, want %s", err, lead.ENOTFOUND)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
