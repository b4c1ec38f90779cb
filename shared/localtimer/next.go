package localtimer

import "time"

// NextDue returns when the earliest pending timer is due, and false when
// none is pending. A manual clock steps to it so every timer fires at the
// time it was due.
func (t *Timers) NextDue() (time.Time, bool) { return t.next() }
