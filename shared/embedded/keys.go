package embedded

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

// Keys are built so that bbolt's byte order is the order queries need. A
// variable-length part that other parts follow is length-prefixed, so that no
// id can pass for another's prefix whatever bytes it holds.

// timeLen is the length of an encoded time.
const timeLen = 12

// appendTime appends t so that byte order is time order, for every year:
// unix seconds with the sign bit flipped, then nanoseconds.
func appendTime(b []byte, t time.Time) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(t.Unix())^(1<<63))
	return binary.BigEndian.AppendUint32(b, uint32(t.Nanosecond()))
}

// appendPrefixed appends s after its length.
func appendPrefixed(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// leadPrefix starts every activity key of a lead.
func leadPrefix(leadID string) []byte { return appendPrefixed(nil, leadID) }

// activityKey orders a lead's activities oldest first, then by id.
func activityKey(a lead.Activity) []byte {
	return append(appendTime(leadPrefix(a.LeadID), a.OccurredAt), a.ID...)
}

// activityIDKey records that a lead's activity id is stored.
func activityIDKey(leadID, activityID string) []byte {
	return append(leadPrefix(leadID), activityID...)
}

// ownerPrefix starts every owner-index key of an owner.
func ownerPrefix(owner string) []byte { return appendPrefixed(nil, owner) }

// ownerKey returns the owner-index key of l, nil if l is not in an owner's
// queue: owner, score descending, lead id.
func ownerKey(l *lead.Lead) []byte {
	if l.Owner == "" || (l.Stage != lead.StageSQL && l.Stage != lead.StageSAL) {
		return nil
	}
	// Order-preserving bits of the float (negative numbers reversed, the
	// sign bit set on the others), inverted for highest first.
	bits := math.Float64bits(l.Score.Total)
	if bits&(1<<63) != 0 {
		bits = ^bits
	} else {
		bits |= 1 << 63
	}
	return append(binary.BigEndian.AppendUint64(ownerPrefix(l.Owner), ^bits), l.ID...)
}

// activityTimeKey returns the inactivity-index key of l: last activity
// time, lead id.
func activityTimeKey(l *lead.Lead) []byte {
	return append(appendTime(nil, l.LastActivityAt), l.ID...)
}

// onceValue encodes a PutOnce record: expiry in unix microseconds (0 for
// none), then the value.
func onceValue(value string, expires int64) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(expires)), value...)
}

// onceLive reports whether a stored record is unexpired at now, and its value.
func onceLive(v []byte, now time.Time) (string, bool) {
	if len(v) < 8 {
		return "", false
	}
	exp := int64(binary.BigEndian.Uint64(v))
	if exp != 0 && now.UnixMicro() >= exp {
		return "", false
	}
	return string(v[8:]), true
}
