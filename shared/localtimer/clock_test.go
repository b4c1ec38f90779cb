package localtimer

import (
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

func TestManualClock(t *testing.T) {
	c := NewManualClock(t0)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { c.Advance(time.Minute) })
	}
	wg.Wait()
	if got, want := c.Now(), t0.Add(10*time.Minute); !got.Equal(want) {
		t.Errorf("after concurrent advances: %v, want %v", got, want)
	}
	c.Set(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Errorf("after Set: %v, want %v", got, t0)
	}
	if _, moves := c.RealDuration(t0.Add(time.Hour)); moves {
		t.Error("a manual clock claims to move by itself")
	}
}

func TestScaledClock(t *testing.T) {
	for _, speed := range []float64{0, -1} {
		if _, err := NewScaledClock(t0, speed); !lead.IsCode(err, lead.EINVALID) {
			t.Errorf("speed %v: error = %v, want %s", speed, err, lead.EINVALID)
		}
	}
	c := mustScaled(t, t0, 1000)
	first := c.Now()
	realStart := time.Now()
	for time.Since(realStart) < 2*time.Millisecond {
		// Spin briefly: the clock is defined by real elapsed time.
	}
	elapsed := time.Since(realStart)
	scaled := c.Now().Sub(first)
	if scaled < 1000*elapsed || scaled > 1000*(elapsed+5*time.Millisecond) {
		t.Errorf("scaled clock moved %v in %v of real time, want about 1000x", scaled, elapsed)
	}
	d, moves := c.RealDuration(c.Now().Add(time.Hour))
	if !moves || d > 3600*time.Millisecond || d < 3500*time.Millisecond {
		t.Errorf("real time until an hour ahead = %v, %v; want about 3.6s", d, moves)
	}
}
