package ids

import (
	"testing"
	"time"
)

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func TestIDsAreUniqueAndSortByTime(t *testing.T) {
	early := Generator{Clock: fixedClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	late := Generator{Clock: fixedClock(time.Date(2026, 1, 1, 0, 0, 0, int(time.Millisecond), time.UTC))}
	seen := map[string]bool{}
	for i := 0; i < 10000; i++ {
		id := early.NewID()
		if len(id) != 26 {
			t.Fatalf("id %q has length %d, want 26", id, len(id))
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
		if l := late.NewID(); l <= id {
			t.Fatalf("id %q of a later millisecond does not sort after %q", l, id)
		}
	}
}
