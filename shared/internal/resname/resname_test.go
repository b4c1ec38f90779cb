package resname

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestMake(t *testing.T) {
	long := strings.Repeat("a", 40)
	tests := []struct {
		name, key string
		maxLen    int
		want      string
	}{
		{"valid key kept", "sla-lead-1", 40, "sla-lead-1"},
		{"refused characters hashed", "sla:lead-1", 40, "sla_lead-1-" + hash("sla:lead-1")},
		{"long key cut and hashed", long + "b", 40, strings.Repeat("a", 40-hashLen-1) + "-" + hash(long+"b")},
		{"exactly max kept", long, 40, long},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Make(tc.key, tc.maxLen, Word)
			if got != tc.want || len(got) > tc.maxLen {
				t.Errorf("Make(%q, %d) = %q, want %q", tc.key, tc.maxLen, got, tc.want)
			}
		})
	}
	if Make("a:b", 40, Word) == Make("a_b", 40, Word) {
		t.Error("a:b and a_b share a name")
	}
}

// hash is the suffix Make appends: the first hex digits of the key's
// SHA-256.
func hash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])[:hashLen]
}
