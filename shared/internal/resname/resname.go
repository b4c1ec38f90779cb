// Package resname turns arbitrary keys into AWS resource names (Step
// Functions executions, EventBridge schedules), which allow few characters
// and few of them.
package resname

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// hashLen is the number of hex digits of the key's hash appended to a
// name that had to change: 96 bits, so distinct keys keep distinct names.
const hashLen = 24

// Make returns key itself when it has at most maxLen characters, all
// accepted by ok; otherwise key with every refused character replaced by
// "_", cut short, and followed by "-" and a hash of the whole key. maxLen
// must exceed hashLen+1.
func Make(key string, maxLen int, ok func(rune) bool) string {
	var b strings.Builder
	clean := true
	for _, r := range key {
		if ok(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
			clean = false
		}
	}
	name := b.String()
	if clean && len(name) <= maxLen {
		return name
	}
	sum := sha256.Sum256([]byte(key))
	suffix := "-" + hex.EncodeToString(sum[:])[:hashLen]
	return fmt.Sprintf("%.*s%s", maxLen-len(suffix), name, suffix)
}

// Word accepts [A-Za-z0-9_-].
func Word(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}
