package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

func testPutOnce(t *testing.T, newStore newStoreFunc) {
	t.Run("the first value wins", func(t *testing.T) {
		s := newStore(t)
		putOnce(t, s, "capture:req-8c1f", "01JQ8N4W6E5H2R7K9T3M000001", 0, "01JQ8N4W6E5H2R7K9T3M000001", true)
		putOnce(t, s, "capture:req-8c1f", "01JQ8N4W6E5H2R7K9T3M000002", 0, "01JQ8N4W6E5H2R7K9T3M000001", false)
		putOnce(t, s, "capture:req-9d20", "01JQ8N4W6E5H2R7K9T3M000002", 0, "01JQ8N4W6E5H2R7K9T3M000002", true)
	})

	t.Run("racing writers agree on one value", func(t *testing.T) {
		s := newStore(t)
		const n = 20
		stored := make([]string, n)
		created := make([]bool, n)
		parallel(n, func(i int) {
			var err error
			stored[i], created[i], err = s.PutOnce(t.Context(), "notify:lead-42:owner_assigned", fmt.Sprintf("worker-%02d", i), time.Hour)
			if err != nil {
				t.Errorf("PutOnce %d: %v", i, err)
			}
		})
		winner := slices.Index(created, true)
		if winner < 0 || slices.Index(created[winner+1:], true) >= 0 {
			t.Fatalf("created = %v, want exactly one true", created)
		}
		for i, v := range stored {
			if want := fmt.Sprintf("worker-%02d", winner); v != want {
				t.Errorf("writer %d saw %q, want the winner's %q", i, v, want)
			}
		}
	})

	t.Run("a key never put reads as absent", func(t *testing.T) {
		s := newStore(t)
		getOnce(t, s, "capture:req-never", "", false)
		_, _, err := s.GetOnce(t.Context(), "")
		wantCode(t, "GetOnce(empty key)", err, lead.EINVALID)
	})

	t.Run("an expired record is absent", func(t *testing.T) {
		s := newStore(t)
		putOnce(t, s, "forever", "a", 0, "a", true)
		putOnce(t, s, "hour", "a", time.Hour, "a", true)
		putOnce(t, s, "short", "first", 10*time.Millisecond, "first", true)

		// The store has no clock to advance, and DynamoDB keeps expiry in
		// epoch seconds, so wait on the wall clock until the short record
		// counts as expired; a store that never expires it fails here.
		deadline := time.Now().Add(5 * time.Second)
		for {
			stored, created, err := s.PutOnce(t.Context(), "short", "second", time.Hour)
			if err != nil {
				t.Fatalf("PutOnce(short): %v", err)
			}
			if created {
				if stored != "second" {
					t.Errorf("PutOnce(short) created %q, want %q", stored, "second")
				}
				break
			}
			if stored != "first" {
				t.Fatalf("PutOnce(short) before expiry = %q, want %q", stored, "first")
			}
			if time.Now().After(deadline) {
				t.Fatal("a record with a 10ms ttl is still there after 5s")
			}
			time.Sleep(25 * time.Millisecond)
		}
		putOnce(t, s, "short", "third", time.Hour, "second", false)
		// GetOnce honours the expiry too, before anything rewrites the key.
		putOnce(t, s, "read-short", "first", 10*time.Millisecond, "first", true)
		for {
			if _, ok, err := s.GetOnce(t.Context(), "read-short"); err != nil {
				t.Fatalf("GetOnce(read-short): %v", err)
			} else if !ok {
				break
			}
			if time.Now().After(deadline.Add(5 * time.Second)) {
				t.Fatal("GetOnce still reads a record with a 10ms ttl after 5s")
			}
			time.Sleep(25 * time.Millisecond)
		}
		putOnce(t, s, "hour", "b", 0, "a", false)
		putOnce(t, s, "forever", "b", 0, "a", false)
	})
}

// putOnce checks PutOnce's answer, and that GetOnce then reads the stored
// value unless the record may have expired already.
func putOnce(t *testing.T, s pipeline.Store, key, value string, ttl time.Duration, wantStored string, wantCreated bool) {
	t.Helper()
	stored, created, err := s.PutOnce(t.Context(), key, value, ttl)
	if err != nil {
		t.Fatalf("PutOnce(%s): %v", key, err)
	}
	if stored != wantStored || created != wantCreated {
		t.Errorf("PutOnce(%s, %s) = %q, %t, want %q, %t", key, value, stored, created, wantStored, wantCreated)
	}
	if ttl == 0 || ttl >= time.Minute {
		getOnce(t, s, key, wantStored, true)
	}
}

func getOnce(t *testing.T, s pipeline.Store, key, want string, wantOK bool) {
	t.Helper()
	got, ok, err := s.GetOnce(t.Context(), key)
	if err != nil {
		t.Fatalf("GetOnce(%s): %v", key, err)
	}
	if got != want || ok != wantOK {
		t.Errorf("GetOnce(%s) = %q, %t, want %q, %t", key, got, ok, want, wantOK)
	}
}

func testIncrement(t *testing.T, newStore newStoreFunc) {
	t.Run("counts from one, per counter", func(t *testing.T) {
		s := newStore(t)
		var got []int64
		for _, c := range []string{"rr:enterprise", "rr:enterprise", "rr:smb", "rr:enterprise"} {
			v, err := s.Increment(t.Context(), c)
			if err != nil {
				t.Fatalf("Increment(%s): %v", c, err)
			}
			got = append(got, v)
		}
		if diff := cmp.Diff([]int64{1, 2, 1, 3}, got); diff != "" {
			t.Errorf("Increment values (-want +got):\n%s", diff)
		}
	})

	t.Run("racing increments hand out each value once", func(t *testing.T) {
		s := newStore(t)
		const workers, each = 8, 5
		got := make([][]int64, workers)
		parallel(workers, func(i int) {
			for range each {
				v, err := s.Increment(t.Context(), "rr:enterprise")
				if err != nil {
					t.Errorf("Increment: %v", err)
					return
				}
				got[i] = append(got[i], v)
			}
		})
		all := slices.Sorted(slices.Values(slices.Concat(got...)))
		want := make([]int64, workers*each)
		for i := range want {
			want[i] = int64(i + 1)
		}
		if diff := cmp.Diff(want, all); diff != "" {
			t.Errorf("values handed out (-want +got):\n%s", diff)
		}
	})
}

func testAddCapped(t *testing.T, newStore newStoreFunc) {
	t.Run("adds up to the limit and no further", func(t *testing.T) {
		s := newStore(t)
		steps := []struct {
			counter      string
			delta, limit int64
			total        int64
			added        bool
		}{
			{"spend:2025-03", 400, 1000, 400, true},
			{"spend:2025-03", 600, 1000, 1000, true}, // exactly at the limit
			{"spend:2025-03", 1, 1000, 1000, false},
			{"spend:2025-04", 1001, 1000, 0, false}, // a delta above the limit on a new counter
			{"spend:2025-04", 250, 1000, 250, true},
			{"spend:2025-03", 5, 0, 1005, true}, // limit 0: no limit
			{"spend:2025-03", 5, 2000, 1010, true},
		}
		for _, st := range steps {
			total, added, err := s.AddCapped(t.Context(), st.counter, st.delta, st.limit)
			if err != nil {
				t.Fatalf("AddCapped(%s, %d, %d): %v", st.counter, st.delta, st.limit, err)
			}
			if total != st.total || added != st.added {
				t.Errorf("AddCapped(%s, %d, %d) = %d, %t, want %d, %t", st.counter, st.delta, st.limit, total, added, st.total, st.added)
			}
		}
	})

	t.Run("shares the counter with Increment", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Increment(t.Context(), "rr:smb"); err != nil {
			t.Fatalf("Increment: %v", err)
		}
		total, added, err := s.AddCapped(t.Context(), "rr:smb", 2, 0)
		if err != nil || total != 3 || !added {
			t.Errorf("AddCapped after Increment = %d, %t, %v, want 3, true, nil", total, added, err)
		}
	})

	t.Run("a delta that is not positive is invalid", func(t *testing.T) {
		s := newStore(t)
		for _, d := range []int64{0, -5} {
			if _, _, err := s.AddCapped(t.Context(), "spend:2025-03", d, 100); !lead.IsCode(err, lead.EINVALID) {
				t.Errorf("AddCapped(delta %d) error = %v, want EINVALID", d, err)
			}
		}
	})

	t.Run("racing adds never overshoot the limit", func(t *testing.T) {
		s := newStore(t)
		const workers, each, delta, limit = 8, 5, 30, 1000
		var mu sync.Mutex
		var added int64
		parallel(workers, func(int) {
			for range each {
				_, ok, err := s.AddCapped(t.Context(), "spend:2025-03", delta, limit)
				if err != nil {
					t.Errorf("AddCapped: %v", err)
					return
				}
				if ok {
					mu.Lock()
					added += delta
					mu.Unlock()
				}
			}
		})
		total, ok, err := s.AddCapped(t.Context(), "spend:2025-03", delta, limit)
		if err != nil || ok {
			t.Fatalf("AddCapped past the limit = %d, %t, %v, want not added", total, ok, err)
		}
		// 40 adds of 30 want 1200; 33 of them fit under 1000.
		if want := int64(limit / delta * delta); total != want || added != want {
			t.Errorf("after racing adds: total %d, sum of accepted deltas %d, want both %d", total, added, want)
		}
	})
}
