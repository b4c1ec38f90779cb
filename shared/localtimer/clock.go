package localtimer

import (
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

var (
	_ pipeline.Clock = RealClock{}
	_ pipeline.Clock = (*ManualClock)(nil)
	_ pipeline.Clock = (*ScaledClock)(nil)
)

// Pacer is implemented by clocks that Run can wait on: RealDuration returns
// how long, in real time, until the clock shows t, and false when the clock
// only moves when told (Run then waits for Wake). A clock without it is
// taken to run at real speed.
type Pacer interface {
	RealDuration(t time.Time) (time.Duration, bool)
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns the current time.
func (RealClock) Now() time.Time { return time.Now() }

// RealDuration returns the time until t.
func (RealClock) RealDuration(t time.Time) (time.Duration, bool) { return time.Until(t), true }

// ManualClock moves only when told: tests and `leadflow dev --clock manual`.
// It is safe for concurrent use.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a clock showing start.
func NewManualClock(start time.Time) *ManualClock { return &ManualClock{now: start} }

// Now returns the time the clock shows.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d (back for a negative d) and returns the new
// time. Timers do not fire by themselves: call Timers.Fire or Timers.Wake.
func (c *ManualClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// Set makes the clock show t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// RealDuration reports that the clock does not move by itself.
func (*ManualClock) RealDuration(time.Time) (time.Duration, bool) { return 0, false }

// ScaledClock runs speed times faster than real time from a start instant:
// `leadflow dev --speed N`. It is safe for concurrent use.
type ScaledClock struct {
	start  time.Time
	origin time.Time // real time (with its monotonic reading) at start
	speed  float64
}

// NewScaledClock returns a clock showing start now and running speed times
// faster than real time. Returns EINVALID unless speed is positive.
func NewScaledClock(start time.Time, speed float64) (*ScaledClock, error) {
	if !(speed > 0) {
		return nil, lead.Errorf(lead.EINVALID, "clock speed must be positive, got %v", speed)
	}
	return &ScaledClock{start: start, origin: time.Now(), speed: speed}, nil
}

// Now returns the scaled time.
func (c *ScaledClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.origin)) * c.speed))
}

// RealDuration returns the real time until the clock shows t.
func (c *ScaledClock) RealDuration(t time.Time) (time.Duration, bool) {
	return time.Duration(float64(t.Sub(c.Now())) / c.speed), true
}
