package routing

import (
	"strings"
	"time"
)

const minutesPerDay = 24 * 60

// schedule is a rep's working week and absences, compiled once by New so
// that routing never parses a string or loads a location per lead.
type schedule struct {
	loc        *time.Location
	start, end int   // minutes after local midnight; start < end ≤ 1440
	days       uint8 // bit d set: time.Weekday(d) is a working day
	pto        []dayRange
}

// dayRange is an inclusive range of local dates encoded as yyyymmdd.
type dayRange struct{ from, to int }

// dayKey encodes a local date as yyyymmdd, which orders like the date.
func dayKey(t time.Time) int {
	y, m, d := t.Date()
	return y*10000 + int(m)*100 + d
}

// onPTO reports whether the local date key falls in an absence.
func (s *schedule) onPTO(day int) bool {
	for _, r := range s.pto {
		if day >= r.from && day <= r.to {
			return true
		}
	}
	return false
}

// inHours reports whether local time t is inside the working hours of a
// working day.
func (s *schedule) inHours(t time.Time) bool {
	if s.days&(1<<uint(t.Weekday())) == 0 {
		return false
	}
	h, m, _ := t.Clock()
	cur := h*60 + m
	return cur >= s.start && cur < s.end
}

// maxLookahead bounds the search for the next working start: a rep whose
// next working day is further away than a year counts as never starting.
const maxLookahead = 366

// untilStart returns the minutes from local time t to the next start of the
// rep's working hours, skipping days off and PTO days, or -1 when there is
// none within maxLookahead days. It is only called when no eligible rep is
// in hours, so its cost is off the common path.
func (s *schedule) untilStart(t time.Time) int {
	if s.days == 0 {
		return -1
	}
	h, m, _ := t.Clock()
	cur := h*60 + m
	for d := 0; d <= maxLookahead; d++ {
		at := d*minutesPerDay + s.start - cur
		if at <= 0 {
			continue
		}
		day := t.AddDate(0, 0, d)
		if s.days&(1<<uint(day.Weekday())) == 0 || s.onPTO(dayKey(day)) {
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

// parseDate parses a PTO date into its yyyymmdd key.
func parseDate(s string) (int, bool) {
	t, err := time.Parse(dateLayout, strings.TrimSpace(s))
	if err != nil {
		return 0, false
	}
	return dayKey(t), true
}
