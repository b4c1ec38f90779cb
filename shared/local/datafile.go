package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leadflow/leadflow/shared/internal/groupcommit"
	"github.com/leadflow/leadflow/shared/localbus"
	"github.com/leadflow/leadflow/shared/localtimer"
	"github.com/leadflow/leadflow/shared/outbox"
)

// dataFile is the one bbolt file of a data directory. The store's buckets
// sit at its top level, where `leadflow import --history`, `audit` and
// `replay` open it as a plain store; the bus, timers and outbox each keep
// theirs under one top-level bucket. One file with one committer lets a
// handler's state write, the events it publishes and the acknowledgements
// of other batches share a commit, where four files cost four.
const dataFile = "store.db"

// legacyFiles are the files earlier versions kept the bus, timers and
// outbox in, with the bucket of the data file that now holds what each had
// at its top level.
var legacyFiles = []struct{ name, bucket string }{
	{"bus.db", localbus.Bucket},
	{"timers.db", localtimer.Bucket},
	{"outbox.db", outbox.Bucket},
}

// openData opens (creating if needed) the data file of dir, moves into it
// what legacy files hold, and returns its committer. Returns an error if a
// file cannot be opened (another process holding it makes this fail after
// 2 s), read or written.
func openData(dir string) (*groupcommit.Committer, error) {
	path := filepath.Join(dir, dataFile)
	// Without a timeout, a second process on the same directory would block
	// forever on bbolt's file lock. The freelist is rebuilt at open instead
	// of being written by every commit.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	for _, f := range legacyFiles {
		if err := migrate(db, filepath.Join(dir, f.name), []byte(f.bucket)); err != nil {
			db.Close()
			return nil, err
		}
	}
	return groupcommit.New(db), nil
}

// migrate copies every bucket of the legacy file at path under bucket of
// db, in one transaction, then removes the file. A crash before the removal
// is durable copies the same data again on the next start.
func migrate(db *bolt.DB, path string, bucket []byte) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	old, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("open legacy %s: %w", path, err)
	}
	err = old.View(func(from *bolt.Tx) error {
		return db.Update(func(to *bolt.Tx) error {
			root, err := to.CreateBucketIfNotExists(bucket)
			if err != nil {
				return err
			}
			return from.ForEach(func(name []byte, b *bolt.Bucket) error {
				return copyBucket(root, name, b)
			})
		})
	})
	if cerr := old.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("move %s into %s: %w", path, dataFile, err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove %s after moving it: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// copyBucket copies b, nested buckets and sequence included, to name under
// parent.
func copyBucket(parent *bolt.Bucket, name []byte, b *bolt.Bucket) error {
	to, err := parent.CreateBucketIfNotExists(name)
	if err != nil {
		return err
	}
	if err := to.SetSequence(b.Sequence()); err != nil {
		return err
	}
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			if nested := b.Bucket(k); nested != nil {
				return copyBucket(to, k, nested)
			}
		}
		return to.Put(k, v)
	})
}

// syncDir makes a removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
