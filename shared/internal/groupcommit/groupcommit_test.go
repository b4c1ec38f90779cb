package groupcommit

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/shared/lead"
)

var bucket = []byte("b")

func openDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "gc.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(bucket); return err }); err != nil {
		t.Fatal(err)
	}
	return db
}

// queued submits writes while the committer is held inside a first write,
// so that they are all pending when it is released; it returns their
// errors and the transactions they ran in.
func queued(t *testing.T, c *Committer, fns []func(*bolt.Tx) error) ([]error, map[*bolt.Tx]bool) {
	t.Helper()
	hold, held := make(chan struct{}), make(chan struct{})
	go c.Do(func(*bolt.Tx) error {
		close(held)
		<-hold
		return nil
	})
	<-held
	var mu sync.Mutex
	txs := map[*bolt.Tx]bool{}
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() {
			errs[i] = c.Do(func(tx *bolt.Tx) error {
				mu.Lock()
				txs[tx] = true
				mu.Unlock()
				return fn(tx)
			})
		})
	}
	for {
		c.mu.Lock()
		n := len(c.pending)
		c.mu.Unlock()
		if n == len(fns) {
			break
		}
		runtime.Gosched()
	}
	close(hold)
	wg.Wait()
	return errs, txs
}

func put(k string) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(k), []byte("v")) }
}

func keys(t *testing.T, db *bolt.DB) []string {
	t.Helper()
	var out []string
	err := db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWritesQueuedDuringACommitShareTheNext(t *testing.T) {
	db := openDB(t)
	c := New(db)
	defer c.Close()
	var fns []func(*bolt.Tx) error
	var want []string
	for i := range 10 {
		k := fmt.Sprintf("k%02d", i)
		fns = append(fns, put(k))
		want = append(want, k)
	}
	errs, txs := queued(t, c, fns)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if len(txs) != 1 {
		t.Errorf("10 queued writes ran in %d transactions, want 1", len(txs))
	}
	if diff := cmp.Diff(want, keys(t, db)); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}

func TestAFailingWriteDoesNotFailItsNeighbours(t *testing.T) {
	db := openDB(t)
	c := New(db)
	defer c.Close()
	boom := errors.New("boom")
	fail := func(tx *bolt.Tx) error {
		if err := put("bad")(tx); err != nil {
			return err
		}
		return boom
	}
	errs, _ := queued(t, c, []func(*bolt.Tx) error{put("a"), fail, put("b")})
	if diff := cmp.Diff([]string{"<nil>", "boom", "<nil>"}, []string{fmt.Sprint(errs[0]), fmt.Sprint(errs[1]), fmt.Sprint(errs[2])}); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a", "b"}, keys(t, db)); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}

func TestDoAfterClose(t *testing.T) {
	c := New(openDB(t))
	c.Close()
	c.Close() // idempotent
	if err := c.Do(put("a")); !lead.IsCode(err, lead.EUNAVAILABLE) {
		t.Errorf("error = %v, want %s", err, lead.EUNAVAILABLE)
	}
}
