package scoring

import (
	"fmt"
	"math"
	"math/bits"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// function is one function rules may call, receiver first for member calls.
type function struct {
	min, max int // number of arguments
	fn       func(args []val) val
}

func (f function) arity(n int) bool { return n >= f.min && n <= f.max }

// functions are the CEL standard functions and operators, the strings
// extension and url_path — what the checker accepts, so a rule that checks
// also evaluates.
var functions = map[string]function{
	fnNot:   {1, 1, not},
	fnNeg:   {1, 1, negate},
	fnEq:    {2, 2, func(a []val) val { return equality(a, true) }},
	fnNe:    {2, 2, func(a []val) val { return equality(a, false) }},
	"_<_":   {2, 2, relation("_<_", func(c int) bool { return c < 0 })},
	"_<=_":  {2, 2, relation("_<=_", func(c int) bool { return c <= 0 })},
	"_>_":   {2, 2, relation("_>_", func(c int) bool { return c > 0 })},
	"_>=_":  {2, 2, relation("_>=_", func(c int) bool { return c >= 0 })},
	"_+_":   {2, 2, add},
	"_-_":   {2, 2, subtract},
	"_*_":   {2, 2, multiply},
	"_/_":   {2, 2, divide},
	"_%_":   {2, 2, modulo},
	fnIndex: {2, 2, index},
	fnIn:    {2, 2, in},
	"size":  {1, 1, size},

	"contains":   {2, 2, strings2("contains", func(s, t string) val { return boolVal(strings.Contains(s, t)) })},
	"startsWith": {2, 2, strings2("startsWith", func(s, t string) val { return boolVal(strings.HasPrefix(s, t)) })},
	"endsWith":   {2, 2, strings2("endsWith", func(s, t string) val { return boolVal(strings.HasSuffix(s, t)) })},
	"matches":    {2, 2, strings2("matches", matches)},
	"url_path":   {1, 1, strings1("url_path", URLPath)},

	"int":       {1, 1, toInt},
	"uint":      {1, 1, toUint},
	"double":    {1, 1, toDouble},
	"string":    {1, 1, toString},
	"bool":      {1, 1, toBool},
	"bytes":     {1, 1, toBytes},
	"timestamp": {1, 1, toTimestamp},
	"duration":  {1, 1, toDuration},
	"dyn":       {1, 1, func(a []val) val { return a[0] }},

	"lowerAscii":  {1, 1, strings1("lowerAscii", asciiCase(unicode.ToLower))},
	"upperAscii":  {1, 1, strings1("upperAscii", asciiCase(unicode.ToUpper))},
	"trim":        {1, 1, strings1("trim", strings.TrimSpace)},
	"reverse":     {1, 1, strings1("reverse", reverse)},
	"replace":     {3, 4, replace},
	"split":       {2, 3, split},
	"join":        {1, 2, join},
	"charAt":      {2, 2, charAt},
	"substring":   {2, 3, substring},
	"indexOf":     {2, 3, indexOf},
	"lastIndexOf": {2, 3, lastIndexOf},
}

func not(a []val) val {
	if a[0].k != kBool {
		return noOverload(fnNot, a[0])
	}
	return boolVal(a[0].i == 0)
}

func negate(a []val) val {
	switch x := a[0]; x.k {
	case kInt:
		if x.i == math.MinInt64 {
			return errOverflow
		}
		return val{k: kInt, i: -x.i}
	case kDouble:
		return val{k: kDouble, f: -x.f}
	case kDuration:
		if x.i == math.MinInt64 {
			return errOverflow
		}
		return val{k: kDuration, i: -x.i}
	}
	return noOverload(fnNeg, a[0])
}

func equality(a []val, want bool) val {
	eq, ok := equal(a[0], a[1])
	if !ok {
		return errorf("no such overload: equality of %s and %s", a[0].k, a[1].k)
	}
	return boolVal(eq == want)
}

func relation(name string, holds func(int) bool) func([]val) val {
	return func(a []val) val {
		// CEL's ordering operators answer false for NaN.
		if (a[0].k == kDouble && math.IsNaN(a[0].f)) || (a[1].k == kDouble && math.IsNaN(a[1].f)) {
			return boolVal(false)
		}
		c, ok := compare(a[0], a[1])
		if !ok {
			return noOverload(name, a...)
		}
		return boolVal(holds(c))
	}
}

var (
	errOverflow     = errorf("integer overflow")
	errUintOverflow = errorf("unsigned integer overflow")
)

func add(a []val) val {
	x, y := a[0], a[1]
	switch {
	case x.k == kInt && y.k == kInt:
		return intSum(x.i, y.i, kInt)
	case x.k == kUint && y.k == kUint:
		s, c := bits.Add64(uint64(x.i), uint64(y.i), 0)
		if c != 0 {
			return errUintOverflow
		}
		return val{k: kUint, i: int64(s)}
	case x.k == kDouble && y.k == kDouble:
		return val{k: kDouble, f: x.f + y.f}
	case x.k == kString && y.k == kString:
		return val{k: kString, s: x.s + y.s}
	case x.k == kBytes && y.k == kBytes:
		return val{k: kBytes, x: append(append([]byte{}, x.x.([]byte)...), y.x.([]byte)...)}
	case x.k == kList && y.k == kList:
		l, r := x.x.(list), y.x.(list)
		out := make(listVal, 0, l.size()+r.size())
		for i := range l.size() {
			out = append(out, l.at(i))
		}
		for i := range r.size() {
			out = append(out, r.at(i))
		}
		return val{k: kList, x: out}
	case x.k == kDuration && y.k == kDuration:
		return durationSum(x.i, y.i)
	case x.k == kTimestamp && y.k == kDuration:
		return timestampPlus(x.t, y.i)
	case x.k == kDuration && y.k == kTimestamp:
		return timestampPlus(y.t, x.i)
	}
	return noOverload("_+_", x, y)
}

func subtract(a []val) val {
	x, y := a[0], a[1]
	switch {
	case x.k == kInt && y.k == kInt:
		d, ok := subChecked(x.i, y.i)
		if !ok {
			return errOverflow
		}
		return val{k: kInt, i: d}
	case x.k == kUint && y.k == kUint:
		if uint64(y.i) > uint64(x.i) {
			return errUintOverflow
		}
		return val{k: kUint, i: int64(uint64(x.i) - uint64(y.i))}
	case x.k == kDouble && y.k == kDouble:
		return val{k: kDouble, f: x.f - y.f}
	case x.k == kDuration && y.k == kDuration:
		if y.i == math.MinInt64 {
			return errOverflow
		}
		return durationSum(x.i, -y.i)
	case x.k == kTimestamp && y.k == kDuration:
		if y.i == math.MinInt64 {
			return errOverflow
		}
		return timestampPlus(x.t, -y.i)
	case x.k == kTimestamp && y.k == kTimestamp:
		sec, ok := subChecked(x.t.Unix(), y.t.Unix())
		if !ok || sec > math.MaxInt64/int64(time.Second) || sec < math.MinInt64/int64(time.Second) {
			return errOverflow
		}
		return durationSum(sec*int64(time.Second), int64(x.t.Nanosecond()-y.t.Nanosecond()))
	}
	return noOverload("_-_", x, y)
}

func subChecked(a, b int64) (int64, bool) {
	d := a - b
	return d, !((b < 0 && d < a) || (b > 0 && d > a))
}

func durationSum(a, b int64) val { return intSum(a, b, kDuration) }

// intSum adds two int64s of kind k, failing on overflow.
func intSum(a, b int64, k kind) val {
	s := a + b
	if (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0) {
		return errOverflow
	}
	return val{k: k, i: s}
}

func timestampPlus(t time.Time, d int64) val {
	if _, ok := subChecked(t.Unix(), -d/int64(time.Second)); !ok {
		return errOverflow
	}
	return val{k: kTimestamp, t: t.Add(time.Duration(d))}
}

func multiply(a []val) val {
	x, y := a[0], a[1]
	switch {
	case x.k == kInt && y.k == kInt:
		if (x.i == -1 && y.i == math.MinInt64) || (y.i == -1 && x.i == math.MinInt64) {
			return errOverflow
		}
		p := x.i * y.i
		if x.i != 0 && p/x.i != y.i {
			return errOverflow
		}
		return val{k: kInt, i: p}
	case x.k == kUint && y.k == kUint:
		hi, lo := bits.Mul64(uint64(x.i), uint64(y.i))
		if hi != 0 {
			return errUintOverflow
		}
		return val{k: kUint, i: int64(lo)}
	case x.k == kDouble && y.k == kDouble:
		return val{k: kDouble, f: x.f * y.f}
	}
	return noOverload("_*_", x, y)
}

func divide(a []val) val {
	x, y := a[0], a[1]
	switch {
	case x.k == kInt && y.k == kInt:
		if y.i == 0 {
			return errorf("division by zero")
		}
		if x.i == math.MinInt64 && y.i == -1 {
			return errOverflow
		}
		return val{k: kInt, i: x.i / y.i}
	case x.k == kUint && y.k == kUint:
		if y.i == 0 {
			return errorf("division by zero")
		}
		return val{k: kUint, i: int64(uint64(x.i) / uint64(y.i))}
	case x.k == kDouble && y.k == kDouble:
		return val{k: kDouble, f: x.f / y.f}
	}
	return noOverload("_/_", x, y)
}

func modulo(a []val) val {
	x, y := a[0], a[1]
	switch {
	case x.k == kInt && y.k == kInt:
		if y.i == 0 {
			return errorf("modulus by zero")
		}
		if x.i == math.MinInt64 && y.i == -1 {
			return errOverflow
		}
		return val{k: kInt, i: x.i % y.i}
	case x.k == kUint && y.k == kUint:
		if y.i == 0 {
			return errorf("modulus by zero")
		}
		return val{k: kUint, i: int64(uint64(x.i) % uint64(y.i))}
	}
	return noOverload("_%_", x, y)
}

func index(a []val) val {
	c, k := a[0], a[1]
	switch c.k {
	case kList:
		l := c.x.(list)
		var i int64
		switch k.k {
		case kInt:
			i = k.i
		case kUint:
			if uint64(k.i) > math.MaxInt64 {
				return errorf("index out of range")
			}
			i = k.i
		case kDouble:
			if k.f != math.Trunc(k.f) || math.IsInf(k.f, 0) {
				return errorf("unsupported index value %g in list", k.f)
			}
			i = int64(k.f)
		default:
			return noOverload(fnIndex, c, k)
		}
		if i < 0 || i >= int64(l.size()) {
			return errorf("index out of range: %d", i)
		}
		return l.at(int(i))
	case kMap:
		if v, ok := c.x.(mapVal).get(k); ok {
			return v
		}
		return errorf("no such key: %s", keyString(k))
	}
	return noOverload(fnIndex, c, k)
}

func keyString(k val) string {
	switch k.k {
	case kString:
		return k.s
	case kInt, kBool:
		return strconv.FormatInt(k.i, 10)
	case kUint:
		return strconv.FormatUint(uint64(k.i), 10)
	}
	return k.k.String()
}

func in(a []val) val {
	e, c := a[0], a[1]
	switch c.k {
	case kList:
		l := c.x.(list)
		for i := range l.size() {
			if eq, ok := equal(e, l.at(i)); ok && eq {
				return boolVal(true)
			}
		}
		return boolVal(false)
	case kMap:
		_, ok := c.x.(mapVal).get(e)
		return boolVal(ok)
	}
	return noOverload(fnIn, e, c)
}

func size(a []val) val {
	switch x := a[0]; x.k {
	case kString:
		return val{k: kInt, i: int64(utf8.RuneCountInString(x.s))}
	case kBytes:
		return val{k: kInt, i: int64(len(x.x.([]byte)))}
	case kList:
		return val{k: kInt, i: int64(x.x.(list).size())}
	case kMap:
		return val{k: kInt, i: int64(x.x.(mapVal).size())}
	}
	return noOverload("size", a[0])
}

func strings1(name string, fn func(string) string) func([]val) val {
	return func(a []val) val {
		if a[0].k != kString {
			return noOverload(name, a[0])
		}
		return val{k: kString, s: fn(a[0].s)}
	}
}

func strings2(name string, fn func(s, t string) val) func([]val) val {
	return func(a []val) val {
		if a[0].k != kString || a[1].k != kString {
			return noOverload(name, a...)
		}
		return fn(a[0].s, a[1].s)
	}
}

func matches(s, pattern string) val {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return errorf("invalid regular expression: %v", err)
	}
	return boolVal(re.MatchString(s))
}

func toInt(a []val) val {
	switch x := a[0]; x.k {
	case kInt:
		return x
	case kUint:
		if uint64(x.i) > math.MaxInt64 {
			return errOverflow
		}
		return val{k: kInt, i: x.i}
	case kDouble:
		if math.IsInf(x.f, 0) || math.IsNaN(x.f) || x.f <= math.MinInt64 || x.f >= math.MaxInt64 {
			return errOverflow
		}
		return val{k: kInt, i: int64(x.f)}
	case kString:
		n, err := strconv.ParseInt(x.s, 10, 64)
		if err != nil {
			return errorf("type conversion error from string to int")
		}
		return val{k: kInt, i: n}
	case kTimestamp:
		return val{k: kInt, i: x.t.Unix()}
	case kDuration:
		return val{k: kInt, i: x.i}
	}
	return noOverload("int", a[0])
}

func toUint(a []val) val {
	switch x := a[0]; x.k {
	case kUint:
		return x
	case kInt:
		if x.i < 0 {
			return errUintOverflow
		}
		return val{k: kUint, i: x.i}
	case kDouble:
		if math.IsInf(x.f, 0) || math.IsNaN(x.f) || x.f < 0 || x.f >= 1.8446744073709551616e19 {
			return errUintOverflow
		}
		return val{k: kUint, i: int64(uint64(x.f))}
	case kString:
		n, err := strconv.ParseUint(x.s, 10, 64)
		if err != nil {
			return errorf("type conversion error from string to uint")
		}
		return val{k: kUint, i: int64(n)}
	}
	return noOverload("uint", a[0])
}

func toDouble(a []val) val {
	switch x := a[0]; x.k {
	case kDouble:
		return x
	case kInt, kUint:
		return val{k: kDouble, f: toFloat(x)}
	case kString:
		f, err := strconv.ParseFloat(x.s, 64)
		if err != nil {
			return errorf("type conversion error from string to double")
		}
		return val{k: kDouble, f: f}
	}
	return noOverload("double", a[0])
}

func toString(a []val) val {
	switch x := a[0]; x.k {
	case kString:
		return x
	case kInt:
		return val{k: kString, s: strconv.FormatInt(x.i, 10)}
	case kUint:
		return val{k: kString, s: strconv.FormatUint(uint64(x.i), 10)}
	case kDouble:
		return val{k: kString, s: fmt.Sprintf("%g", x.f)}
	case kBool:
		return val{k: kString, s: strconv.FormatBool(x.i != 0)}
	case kBytes:
		b := x.x.([]byte)
		if !utf8.Valid(b) {
			return errorf("invalid UTF-8 in bytes, cannot convert to string")
		}
		return val{k: kString, s: string(b)}
	case kTimestamp:
		return val{k: kString, s: x.t.Format(time.RFC3339Nano)}
	case kDuration:
		return val{k: kString, s: strconv.FormatFloat(time.Duration(x.i).Seconds(), 'f', -1, 64) + "s"}
	}
	return noOverload("string", a[0])
}

func toBool(a []val) val {
	switch x := a[0]; x.k {
	case kBool:
		return x
	case kString:
		b, err := strconv.ParseBool(x.s)
		if err != nil {
			return errorf("type conversion error from string to bool")
		}
		return boolVal(b)
	}
	return noOverload("bool", a[0])
}

func toBytes(a []val) val {
	switch x := a[0]; x.k {
	case kBytes:
		return x
	case kString:
		return val{k: kBytes, x: []byte(x.s)}
	}
	return noOverload("bytes", a[0])
}

// Range of CEL timestamps: years 0001 to 9999.
const (
	minUnixTime = -62135596800
	maxUnixTime = 253402300799
)

func toTimestamp(a []val) val {
	switch x := a[0]; x.k {
	case kTimestamp:
		return x
	case kInt:
		if x.i < minUnixTime || x.i > maxUnixTime {
			return errorf("timestamp overflow")
		}
		return val{k: kTimestamp, t: time.Unix(x.i, 0).UTC()}
	case kString:
		if !strictRFC3339().MatchString(x.s) {
			return errorf("invalid RFC 3339 timestamp %q", x.s)
		}
		t, err := time.Parse(time.RFC3339, x.s)
		if err != nil {
			return errorf("type conversion error from string to timestamp")
		}
		if t.Unix() < minUnixTime || t.Unix() > maxUnixTime {
			return errorf("timestamp overflow")
		}
		return val{k: kTimestamp, t: t}
	}
	return noOverload("timestamp", a[0])
}

// strictRFC3339 is the shape CEL accepts: full date, 'T', time, optional
// fraction, then 'Z' or an offset. Compiled on first use, not at every
// function's start.
var strictRFC3339 = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$`)
})

func toDuration(a []val) val {
	switch x := a[0]; x.k {
	case kDuration:
		return x
	case kInt:
		return val{k: kDuration, i: x.i}
	case kString:
		d, err := time.ParseDuration(x.s)
		if err != nil {
			return errorf("type conversion error from string to duration")
		}
		return val{k: kDuration, i: int64(d)}
	}
	return noOverload("duration", a[0])
}

func asciiCase(to func(rune) rune) func(string) string {
	return func(s string) string {
		runes := []rune(s)
		for i, r := range runes {
			if r <= unicode.MaxASCII {
				runes[i] = to(r)
			}
		}
		return string(runes)
	}
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// allKinds reports whether every argument has the wanted kind, in order.
func allKinds(a []val, want ...kind) bool {
	for i, k := range want {
		if i >= len(a) || a[i].k != k {
			return false
		}
	}
	return len(a) == len(want)
}

func replace(a []val) val {
	switch {
	case allKinds(a, kString, kString, kString):
		return val{k: kString, s: strings.ReplaceAll(a[0].s, a[1].s, a[2].s)}
	case allKinds(a, kString, kString, kString, kInt):
		return val{k: kString, s: strings.Replace(a[0].s, a[1].s, a[2].s, int(a[3].i))}
	}
	return noOverload("replace", a...)
}

func split(a []val) val {
	var parts []string
	switch {
	case allKinds(a, kString, kString):
		parts = strings.Split(a[0].s, a[1].s)
	case allKinds(a, kString, kString, kInt):
		parts = strings.SplitN(a[0].s, a[1].s, int(a[2].i))
	default:
		return noOverload("split", a...)
	}
	out := make(listVal, len(parts))
	for i, p := range parts {
		out[i] = val{k: kString, s: p}
	}
	return val{k: kList, x: out}
}

func join(a []val) val {
	sep := ""
	switch {
	case allKinds(a, kList):
	case allKinds(a, kList, kString):
		sep = a[1].s
	default:
		return noOverload("join", a...)
	}
	l := a[0].x.(list)
	var b strings.Builder
	for i := range l.size() {
		e := l.at(i)
		if e.k != kString {
			return errorf("join: invalid input: %s", e.k)
		}
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(e.s)
	}
	return val{k: kString, s: b.String()}
}

func charAt(a []val) val {
	if !allKinds(a, kString, kInt) {
		return noOverload("charAt", a...)
	}
	runes := []rune(a[0].s)
	i := a[1].i
	switch {
	case i < 0 || i > int64(len(runes)):
		return errorf("index out of range: %d", i)
	case i == int64(len(runes)):
		return val{k: kString}
	}
	return val{k: kString, s: string(runes[i])}
}

func substring(a []val) val {
	runes := []rune(a[0].s)
	n := int64(len(runes))
	switch {
	case allKinds(a, kString, kInt):
		if a[1].i < 0 || a[1].i > n {
			return errorf("index out of range: %d", a[1].i)
		}
		return val{k: kString, s: string(runes[a[1].i:])}
	case allKinds(a, kString, kInt, kInt):
		start, end := a[1].i, a[2].i
		switch {
		case start > end:
			return errorf("invalid substring range. start: %d, end: %d", start, end)
		case start < 0 || start > n:
			return errorf("index out of range: %d", start)
		case end < 0 || end > n:
			return errorf("index out of range: %d", end)
		}
		return val{k: kString, s: string(runes[start:end])}
	}
	return noOverload("substring", a...)
}

func indexOf(a []val) val {
	var off int64
	switch {
	case allKinds(a, kString, kString):
	case allKinds(a, kString, kString, kInt):
		off = a[2].i
	default:
		return noOverload("indexOf", a...)
	}
	if off < 0 {
		return errorf("index out of range: %d", off)
	}
	runes, sub := []rune(a[0].s), []rune(a[1].s)
	if len(sub) == 0 {
		return val{k: kInt, i: min(off, int64(len(runes)))}
	}
	if off >= int64(len(runes)) {
		return val{k: kInt, i: -1}
	}
	for i := int(off); i < len(runes)-(len(sub)-1); i++ {
		if runesAt(runes, sub, i) {
			return val{k: kInt, i: int64(i)}
		}
	}
	return val{k: kInt, i: -1}
}

func lastIndexOf(a []val) val {
	runes, sub := []rune(a[0].s), []rune(a[1].s)
	var off int64
	switch {
	case allKinds(a, kString, kString):
		if len(sub) == 0 {
			return val{k: kInt, i: int64(len(runes))}
		}
		if len(a[0].s) < len(a[1].s) {
			return val{k: kInt, i: -1}
		}
		off = int64(len(runes) - 1)
	case allKinds(a, kString, kString, kInt):
		off = a[2].i
	default:
		return noOverload("lastIndexOf", a...)
	}
	if off < 0 {
		return errorf("index out of range: %d", off)
	}
	if len(sub) == 0 {
		return val{k: kInt, i: min(off, int64(len(runes)))}
	}
	if off >= int64(len(runes)) {
		return val{k: kInt, i: -1}
	}
	if off > int64(len(runes)-len(sub)) {
		off = int64(len(runes) - len(sub))
	}
	for i := int(off); i >= 0; i-- {
		if runesAt(runes, sub, i) {
			return val{k: kInt, i: int64(i)}
		}
	}
	return val{k: kInt, i: -1}
}

func runesAt(runes, sub []rune, i int) bool {
	for j := range sub {
		if runes[i+j] != sub[j] {
			return false
		}
	}
	return true
}
