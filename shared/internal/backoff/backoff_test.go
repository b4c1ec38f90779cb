package backoff

import (
	"context"
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	tests := []struct {
		n        int
		max, min time.Duration
	}{
		{1, 50 * time.Millisecond, 40 * time.Millisecond},
		{2, 100 * time.Millisecond, 80 * time.Millisecond},
		{6, 1600 * time.Millisecond, 1280 * time.Millisecond},
		{7, Max, Max * 4 / 5},
		{1000, Max, Max * 4 / 5},
	}
	for _, tc := range tests {
		for range 20 {
			if d := Delay(tc.n); d > tc.max || d < tc.min {
				t.Errorf("Delay(%d) = %s, want within [%s, %s]", tc.n, d, tc.min, tc.max)
			}
		}
	}
}

func TestSleepCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); err != context.Canceled {
		t.Errorf("Sleep on a canceled context = %v, want context.Canceled", err)
	}
}
