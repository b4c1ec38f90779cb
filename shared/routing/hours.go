package routing

import (
	"math"
	"strings"
	"sync/atomic"
	"time"
)

const (
	minutesPerDay = 24 * 60
	secondsPerDay = 24 * 60 * 60
)

// schedule is a rep's working week and absences, compiled once by New so
// that routing never parses a string or loads a location per lead.
type schedule struct {
	loc        *time.Location
	zone       *zoneCache
	start, end int   // minutes after local midnight; start < end ≤ 1440
	days       uint8 // bit d set: time.Weekday(d) is a working day
	pto        []dayRange
}

// dayRange is an inclusive range of local dates, as days since 1970-01-01.
type dayRange struct{ from, to int64 }

// localClock is an instant seen on a rep's wall clock.
type localClock struct {
	day int64 // local date, days since 1970-01-01
	min int   // minutes after local midnight
	wd  int   // time.Weekday of day
}

// zoneCache holds the rep's UTC offset and the span of time it is valid
// for. Looking an offset up in a Location searches its transitions and, for
// dates past the table (slim tzdata), parses the zone's rule string on every
// call; the cache turns that into two comparisons while the zone period
// lasts. Safe for concurrent use: a stale span is simply replaced.
type zoneCache struct{ span atomic.Pointer[zoneSpan] }

type zoneSpan struct{ from, to, offset int64 }

// clock returns now on the rep's wall clock.
func (s *schedule) clock(now time.Time) localClock {
	sec := now.Unix()
	z := s.zone.span.Load()
	if z == nil || sec < z.from || sec >= z.to {
		z = spanAt(now.In(s.loc))
		s.zone.span.Store(z)
	}
	local := sec + z.offset
	day := floorDiv(local, secondsPerDay)
	return localClock{
		day: day,
		min: int(local-day*secondsPerDay) / 60,
		wd:  int((day%7 + 11) % 7), // 1970-01-01 was a Thursday (4)
	}
}

// spanAt returns the zone period containing t, unbounded where the zone
// has no further transitions.
func spanAt(t time.Time) *zoneSpan {
	_, off := t.Zone()
	z := &zoneSpan{from: math.MinInt64, to: math.MaxInt64, offset: int64(off)}
	start, end := t.ZoneBounds()
	if !start.IsZero() {
		z.from = start.Unix()
	}
	if !end.IsZero() {
		z.to = end.Unix()
	}
	return z
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// onPTO reports whether a local day falls in an absence.
func (s *schedule) onPTO(day int64) bool {
	for _, r := range s.pto {
		if day >= r.from && day <= r.to {
			return true
		}
	}
	return false
}

// inHours reports whether the wall-clock time is inside the working hours
// of a working day.
func (s *schedule) inHours(c localClock) bool {
	return s.days&(1<<uint(c.wd)) != 0 && c.min >= s.start && c.min < s.end
}

// maxLookahead bounds the search for the next working start: a rep whose
// next working day is further away than a year counts as never starting.
const maxLookahead = 366

// untilStart returns the minutes from c to the next start of the rep's
// working hours, skipping days off and PTO days, or -1 when there is none
// within maxLookahead days. Minutes are wall-clock minutes: a DST change in
// between shifts the answer by the change, which only matters for ties.
func (s *schedule) untilStart(c localClock) int {
	if s.days == 0 {
		return -1
	}
	for d := 0; d <= maxLookahead; d++ {
		at := d*minutesPerDay + s.start - c.min
		if at <= 0 {
			continue
		}
		if s.days&(1<<uint((c.wd+d)%7)) == 0 || s.onPTO(c.day+int64(d)) {
			continue
		}
		return at
	}
	return -1
}

// parseHours parses "HH:MM-HH:MM" into minutes after midnight. The end may
// be 24:00; shifts across midnight are not supported (start must be before
// end) because a shift's day would then be ambiguous for PTO and days off.
func parseHours(s string) (start, end int, ok bool) {
	from, to, found := strings.Cut(strings.TrimSpace(s), "-")
	if !found {
		return 0, 0, false
	}
	start, ok1 := parseClock(strings.TrimSpace(from))
	end, ok2 := parseClock(strings.TrimSpace(to))
	if !ok1 || !ok2 || start >= end || start == minutesPerDay {
		return 0, 0, false
	}
	return start, end, true
}

// parseClock parses "HH:MM" (00:00 to 24:00) into minutes after midnight.
func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range [...]int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// weekdays maps the config's day names to time.Weekday.
var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// defaultDays is Monday to Friday, used when a rep lists no days.
const defaultDays uint8 = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday

// defaultHours applies when a rep states no working hours.
const defaultHours = "09:00-17:00"

// dateLayout is the layout of PTO dates.
const dateLayout = "2006-01-02"

// parseDate parses a PTO date into days since 1970-01-01.
func parseDate(s string) (int64, bool) {
	t, err := time.Parse(dateLayout, strings.TrimSpace(s))
	if err != nil {
		return 0, false
	}
	return floorDiv(t.Unix(), secondsPerDay), true
}
