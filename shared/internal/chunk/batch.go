// Package chunk splits the entries of an AWS batch call (PutEvents,
// SendMessageBatch) into requests within the call's count and size limits.
package chunk

// Split cuts entries, in order, into groups of at most maxEntries entries
// whose sizes add up to at most maxBytes; an entry larger than maxBytes on
// its own forms a group alone (callers refuse such entries first).
func Split[T any](entries []T, maxEntries, maxBytes int, size func(T) int) [][]T {
	var out [][]T
	var cur []T
	total := 0
	for _, e := range entries {
		n := size(e)
		if len(cur) == maxEntries || (len(cur) > 0 && total+n > maxBytes) {
			out = append(out, cur)
			cur, total = nil, 0
		}
		cur = append(cur, e)
		total += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
