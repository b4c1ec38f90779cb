package scoring

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
)

// kind is the run-time type of a val.
type kind uint8

const (
	kNull kind = iota
	kBool
	kInt
	kUint
	kDouble
	kString
	kBytes
	kTimestamp
	kDuration
	kList
	kMap
	kObject
	kError
)

var kindNames = [...]string{"null", "bool", "int", "uint", "double", "string", "bytes", "timestamp", "duration", "list", "map", "object", "error"}

func (k kind) String() string { return kindNames[k] }

// val is one value during evaluation. Scalars live in the fields, so
// evaluating a rule over strings and numbers allocates nothing; an error is
// a value too, as CEL's logical operators absorb errors.
type val struct {
	k kind
	i int64   // bool (0 or 1), int, uint (as bits), duration (ns)
	f float64 // double
	s string  // string; the message of an error
	t time.Time
	x any // []byte, list, mapVal or reflect.Value of a struct
}

func boolVal(b bool) val {
	if b {
		return val{k: kBool, i: 1}
	}
	return val{k: kBool}
}

func errorf(format string, args ...any) val {
	return val{k: kError, s: fmt.Sprintf(format, args...)}
}

func noOverload(fn string, args ...val) val {
	kinds := make([]string, len(args))
	for i, a := range args {
		kinds[i] = a.k.String()
	}
	return errorf("no such overload: %s(%s)", fn, strings.Join(kinds, ", "))
}

// fromReflect converts a field of the lead's data to a val.
func fromReflect(v reflect.Value) val {
	switch v.Kind() {
	case reflect.String:
		return val{k: kString, s: v.String()}
	case reflect.Bool:
		return boolVal(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.Type() == durationType {
			return val{k: kDuration, i: v.Int()}
		}
		return val{k: kInt, i: v.Int()}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return val{k: kUint, i: int64(v.Uint())}
	case reflect.Float32, reflect.Float64:
		return val{k: kDouble, f: v.Float()}
	case reflect.Struct:
		if v.Type() == timeType {
			return val{k: kTimestamp, t: v.Interface().(time.Time)}
		}
		return val{k: kObject, x: v}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return val{k: kBytes, x: v.Bytes()}
		}
		return val{k: kList, x: reflectList{v}}
	case reflect.Map:
		return val{k: kMap, x: reflectMap{v}}
	}
	return errorf("unsupported field type %s", v.Type())
}

// list is a CEL list: a literal or a slice of the lead's data.
type list interface {
	size() int
	at(i int) val
}

type listVal []val

func (l listVal) size() int    { return len(l) }
func (l listVal) at(i int) val { return l[i] }

type reflectList struct{ v reflect.Value }

func (l reflectList) size() int    { return l.v.Len() }
func (l reflectList) at(i int) val { return fromReflect(l.v.Index(i)) }

// mapVal is a CEL map: a literal or a map of the lead's data.
type mapVal interface {
	size() int
	get(k val) (val, bool)
	keyList() []val
}

type literalMap struct{ keys, vals []val }

func (m *literalMap) size() int { return len(m.keys) }
func (m *literalMap) get(k val) (val, bool) {
	for i, key := range m.keys {
		if eq, ok := equal(key, k); ok && eq {
			return m.vals[i], true
		}
	}
	return val{}, false
}
func (m *literalMap) keyList() []val { return m.keys }

type reflectMap struct{ v reflect.Value }

func (m reflectMap) size() int { return m.v.Len() }
func (m reflectMap) get(k val) (val, bool) {
	kt := m.v.Type().Key()
	if k.k != kString || kt.Kind() != reflect.String {
		return val{}, false
	}
	e := m.v.MapIndex(reflect.ValueOf(k.s).Convert(kt))
	if !e.IsValid() {
		return val{}, false
	}
	return fromReflect(e), true
}
func (m reflectMap) keyList() []val {
	keys := make([]val, 0, m.v.Len())
	for _, k := range m.v.MapKeys() {
		keys = append(keys, fromReflect(k))
	}
	return keys
}

// equal is CEL's heterogeneous equality: numbers compare by value across
// int, uint and double; values of different types are unequal. ok is false
// when a list or map holds an error.
func equal(a, b val) (eq, ok bool) {
	if isNumber(a.k) && isNumber(b.k) {
		c, ok := compareNumbers(a, b)
		return ok && c == 0, true
	}
	if a.k != b.k {
		return false, true
	}
	switch a.k {
	case kNull:
		return true, true
	case kBool, kDuration:
		return a.i == b.i, true
	case kString:
		return a.s == b.s, true
	case kBytes:
		return bytes.Equal(a.x.([]byte), b.x.([]byte)), true
	case kTimestamp:
		return a.t.Equal(b.t), true
	case kObject:
		x, y := a.x.(reflect.Value), b.x.(reflect.Value)
		return x.Type() == y.Type() && reflect.DeepEqual(x.Interface(), y.Interface()), true
	case kList:
		x, y := a.x.(list), b.x.(list)
		if x.size() != y.size() {
			return false, true
		}
		for i := range x.size() {
			if eq, ok := equal(x.at(i), y.at(i)); !ok || !eq {
				return eq, ok
			}
		}
		return true, true
	case kMap:
		x, y := a.x.(mapVal), b.x.(mapVal)
		if x.size() != y.size() {
			return false, true
		}
		for _, k := range x.keyList() {
			yv, found := y.get(k)
			if !found {
				return false, true
			}
			xv, _ := x.get(k)
			if eq, ok := equal(xv, yv); !ok || !eq {
				return eq, ok
			}
		}
		return true, true
	}
	return false, false
}

func isNumber(k kind) bool { return k == kInt || k == kUint || k == kDouble }

// compareNumbers orders two numbers of any numeric kinds; ok is false when
// either is NaN.
func compareNumbers(a, b val) (int, bool) {
	switch {
	case a.k == kDouble || b.k == kDouble:
		x, y := toFloat(a), toFloat(b)
		if math.IsNaN(x) || math.IsNaN(y) {
			return 0, false
		}
		// Exact comparison of a large int with a double: compare in the
		// integer domain when the double is integral and in range.
		if a.k == kInt && y == math.Trunc(y) && y >= -9.223372036854775808e18 && y < 9.223372036854775808e18 {
			return cmp.Compare(a.i, int64(y)), true
		}
		if b.k == kInt && x == math.Trunc(x) && x >= -9.223372036854775808e18 && x < 9.223372036854775808e18 {
			return cmp.Compare(int64(x), b.i), true
		}
		if a.k == kUint && y == math.Trunc(y) && y >= 0 && y < 1.8446744073709551616e19 {
			return cmp.Compare(uint64(a.i), uint64(y)), true
		}
		if b.k == kUint && x == math.Trunc(x) && x >= 0 && x < 1.8446744073709551616e19 {
			return cmp.Compare(uint64(x), uint64(b.i)), true
		}
		return cmp.Compare(x, y), true
	case a.k == kInt && b.k == kInt:
		return cmp.Compare(a.i, b.i), true
	case a.k == kUint && b.k == kUint:
		return cmp.Compare(uint64(a.i), uint64(b.i)), true
	case a.k == kInt: // int vs uint
		if a.i < 0 {
			return -1, true
		}
		return cmp.Compare(uint64(a.i), uint64(b.i)), true
	default: // uint vs int
		if b.i < 0 {
			return 1, true
		}
		return cmp.Compare(uint64(a.i), uint64(b.i)), true
	}
}

func toFloat(v val) float64 {
	switch v.k {
	case kInt:
		return float64(v.i)
	case kUint:
		return float64(uint64(v.i))
	}
	return v.f
}

// compare orders two values of an ordered type; ok is false when they do
// not compare (different types, NaN).
func compare(a, b val) (int, bool) {
	if isNumber(a.k) && isNumber(b.k) {
		return compareNumbers(a, b)
	}
	if a.k != b.k {
		return 0, false
	}
	switch a.k {
	case kBool, kDuration:
		return cmp.Compare(a.i, b.i), true
	case kString:
		return strings.Compare(a.s, b.s), true
	case kBytes:
		return bytes.Compare(a.x.([]byte), b.x.([]byte)), true
	case kTimestamp:
		return a.t.Compare(b.t), true
	}
	return 0, false
}
