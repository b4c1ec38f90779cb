// Package ids generates unique identifiers that sort by creation time: 48
// bits of milliseconds and 80 random bits in Crockford base32 (ULID layout).
package ids

import (
	"crypto/rand"
	"encoding/binary"
	"time"

	"github.com/leadflow/leadflow/shared/pipeline"
)

const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Generator implements pipeline.IDs.
type Generator struct {
	Clock pipeline.Clock // nil: the wall clock
}

var _ pipeline.IDs = Generator{}

// NewID returns a new 26-character identifier.
func (g Generator) NewID() string {
	now := time.Now()
	if g.Clock != nil {
		now = g.Clock.Now()
	}
	var b [16]byte
	ms := uint64(now.UnixMilli())
	binary.BigEndian.PutUint64(b[:8], ms<<16)
	_, _ = rand.Read(b[6:]) // crypto/rand never fails on supported platforms
	return encode(b)
}

func encode(b [16]byte) string {
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [26]byte
	// 128 bits → 26 base32 digits (the top digit holds 3 bits).
	for i := 25; i >= 0; i-- {
		out[i] = alphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}
