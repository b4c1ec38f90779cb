package routing

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseHours(t *testing.T) {
	type result struct {
		Start, End int
		OK         bool
	}
	tests := []struct {
		in   string
		want result
	}{
		{"09:00-17:00", result{540, 1020, true}},
		{" 08:30 - 16:45 ", result{510, 1005, true}},
		{"00:00-24:00", result{0, 1440, true}},
		{"17:00-09:00", result{}},
		{"09:00-09:00", result{}},
		{"24:00-24:00", result{}},
		{"9:00-17:00", result{}},
		{"09:60-17:00", result{}},
		{"09:00-24:01", result{}},
		{"25:00-26:00", result{}},
		{"09:00", result{}},
		{"ab:cd-ef:gh", result{}},
		{"", result{}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var got result
			got.Start, got.End, got.OK = parseHours(tc.in)
			if !got.OK {
				got = result{}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseHours(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestSchedule(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// Mon-Fri 09:00-17:00 New York, away Thursday 2025-06-12.
	thu, _ := parseDate("2025-06-12")
	s := schedule{loc: ny, zone: &zoneCache{}, start: 540, end: 1020, days: defaultDays, pto: []dayRange{{thu, thu}}}
	at := func(day, hhmm int) time.Time {
		return time.Date(2025, 6, day, hhmm/100, hhmm%100, 0, 0, ny)
	}
	tests := []struct {
		name    string
		now     time.Time
		inHours bool
		until   int
	}{
		{"Wednesday before hours", at(11, 830), false, 30},
		{"Wednesday at start: next start Friday, Thursday is PTO", at(11, 900), true, 2 * 24 * 60},
		{"Wednesday last minute", at(11, 1659), true, 24*60 + 60*16 + 1},
		{"Wednesday at end", at(11, 1700), false, 24*60 + 60*16},
		{"Friday evening: next start Monday", at(13, 1800), false, 2*24*60 + 15*60},
		{"Saturday noon: next start Monday", at(14, 1200), false, 24*60 + 21*60},
		{"Thursday (PTO) morning: next start Friday", at(12, 800), false, 25 * 60},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			local := s.clock(tc.now)
			if got := s.inHours(local); got != tc.inHours {
				t.Errorf("inHours = %v, want %v", got, tc.inHours)
			}
			if got := s.untilStart(local); got != tc.until {
				t.Errorf("untilStart = %d min, want %d", got, tc.until)
			}
		})
	}
}

// TestClock compares the cached wall clock with the time package across
// DST changes, zones without DST, dates before 1970 and far ahead.
func TestClock(t *testing.T) {
	instants := []time.Time{
		time.Date(2025, 3, 9, 6, 59, 0, 0, time.UTC), // New York: 01:59 EST
		time.Date(2025, 3, 9, 7, 0, 0, 0, time.UTC),  // New York: 03:00 EDT
		time.Date(2025, 11, 2, 5, 59, 0, 0, time.UTC),
		time.Date(2025, 11, 2, 6, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 0, 0, time.UTC),
		time.Date(2099, 7, 4, 12, 0, 0, 0, time.UTC),
		time.Date(2025, 3, 9, 6, 59, 0, 0, time.UTC), // back again: the cache must move
	}
	for _, zone := range []string{"America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"} {
		t.Run(zone, func(t *testing.T) {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			s := schedule{loc: loc, zone: &zoneCache{}}
			for _, now := range instants {
				lt := now.In(loc)
				y, m, d := lt.Date()
				day, _ := parseDate(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(dateLayout))
				want := localClock{day: day, min: lt.Hour()*60 + lt.Minute(), wd: int(lt.Weekday())}
				if diff := cmp.Diff(want, s.clock(now), cmp.AllowUnexported(localClock{})); diff != "" {
					t.Errorf("clock(%v) (-want +got):\n%s", now, diff)
				}
			}
		})
	}
}
