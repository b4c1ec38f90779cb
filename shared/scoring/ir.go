package scoring

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

// Node is a type-checked rule expression in a small tree form: what the
// checker (package celrules) lowers CEL to and what the scoring engine
// evaluates. It serialises to JSON, so a deployed function can load rules
// compiled at synth without linking a CEL compiler.
type Node struct {
	Kind NodeKind `json:"k"`
	// Lit is the value of a literal node.
	Lit *Literal `json:"lit,omitempty"`
	// Name is the identifier, the selected field or the called function.
	Name string `json:"n,omitempty"`
	// Target is the receiver of a member call (x.contains(y)) or the operand
	// of a select.
	Target *Node `json:"tg,omitempty"`
	// Args are a call's arguments, a list's elements or a map's keys and
	// values (k0, v0, k1, v1, …).
	Args []*Node `json:"a,omitempty"`
	// Comprehension parts (the expanded form of exists, all, map, filter).
	IterVar string `json:"iv,omitempty"`
	AccuVar string `json:"av,omitempty"`
	Range   *Node  `json:"rg,omitempty"`
	Init    *Node  `json:"in,omitempty"`
	Cond    *Node  `json:"cd,omitempty"`
	Step    *Node  `json:"st,omitempty"`
	Result  *Node  `json:"rs,omitempty"`
}

// NodeKind names a Node's shape.
type NodeKind string

// Node kinds.
const (
	NodeLit    NodeKind = "lit"
	NodeIdent  NodeKind = "ident"
	NodeSelect NodeKind = "select" // Target.Name
	NodeHas    NodeKind = "has"    // has(Target.Name)
	NodeCall   NodeKind = "call"   // Name(Args) or Target.Name(Args)
	NodeList   NodeKind = "list"
	NodeMap    NodeKind = "map"
	NodeComp   NodeKind = "comp"
)

// Literal is a constant. Type is one of bool, int, uint, double, string,
// bytes and null.
type Literal struct {
	Type   string  `json:"t"`
	Bool   bool    `json:"b,omitempty"`
	Int    int64   `json:"i,omitempty"`
	Uint   uint64  `json:"u,omitempty"`
	Double float64 `json:"d,omitempty"`
	String string  `json:"s,omitempty"`
	Bytes  []byte  `json:"y,omitempty"`
}

// Function names of the operators, as the checker writes them.
const (
	fnAnd            = "_&&_"
	fnOr             = "_||_"
	fnNot            = "!_"
	fnNeg            = "-_"
	fnCond           = "_?_:_"
	fnIndex          = "_[_]"
	fnIn             = "@in"
	fnNotStrictFalse = "@not_strictly_false"
	fnEq             = "_==_"
	fnNe             = "_!=_"
)

// Static types of the scopes' variables and of the values rules read.
var (
	leadType     = reflect.TypeFor[lead.Lead]()
	accountType  = reflect.TypeFor[lead.Account]()
	activityType = reflect.TypeFor[lead.Activity]()
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
)

// slot numbers of the root variables in a frame; comprehension variables
// take the slots after them.
const (
	slotLead = iota
	slotAccount
	slotActivity
	slotActivities
	slotNow
	rootSlots
)

// evalFn evaluates one node against a frame.
type evalFn func(f *frame) val

// frame holds the variables of one evaluation and the arguments of the
// calls in progress.
type frame struct {
	slots []val
	stack []val
}

// scopeVar is a variable visible while compiling: its slot and static type
// (nil when only known at run time).
type scopeVar struct {
	slot int
	typ  reflect.Type
}

// program is a compiled Node.
type program struct {
	eval  evalFn
	slots int
}

// compiler turns a Node into closures, tracking the static Go type of
// every value read from the lead, so field access resolves its index once.
type compiler struct {
	vars  map[string]scopeVar
	slots int
}

// compileNode compiles root for scope. It fails on shapes the engine does
// not evaluate: the checker reports them as rule errors.
func compileNode(root *Node, scope Scope) (program, error) {
	c := &compiler{vars: map[string]scopeVar{
		VarLead:    {slotLead, leadType},
		VarAccount: {slotAccount, accountType},
		VarNow:     {slotNow, timeType},
	}, slots: rootSlots}
	if scope == ScopeActivity {
		c.vars[VarActivity] = scopeVar{slotActivity, activityType}
	} else {
		c.vars[VarActivities] = scopeVar{slotActivities, reflect.TypeFor[[]lead.Activity]()}
	}
	fn, _, err := c.compile(root)
	if err != nil {
		return program{}, err
	}
	return program{eval: fn, slots: c.slots}, nil
}

func (c *compiler) compile(n *Node) (evalFn, reflect.Type, error) {
	if n == nil {
		return nil, nil, fmt.Errorf("empty expression node")
	}
	switch n.Kind {
	case NodeLit:
		v, err := literal(n.Lit)
		if err != nil {
			return nil, nil, err
		}
		return func(*frame) val { return v }, nil, nil
	case NodeIdent:
		sv, ok := c.vars[n.Name]
		if !ok {
			return nil, nil, fmt.Errorf("unknown variable %q", n.Name)
		}
		slot := sv.slot
		return func(f *frame) val { return f.slots[slot] }, sv.typ, nil
	case NodeSelect, NodeHas:
		return c.selectField(n)
	case NodeCall:
		return c.call(n)
	case NodeList:
		elems, err := c.all(n.Args)
		if err != nil {
			return nil, nil, err
		}
		if constant(n.Args) {
			// A list of literals (the `x in ['a', 'b']` of most rules) is
			// built once.
			out := make(listVal, len(elems))
			for i, e := range elems {
				out[i] = e(nil)
			}
			return func(*frame) val { return val{k: kList, x: out} }, nil, nil
		}
		return func(f *frame) val {
			out := make(listVal, len(elems))
			for i, e := range elems {
				if out[i] = e(f); out[i].k == kError {
					return out[i]
				}
			}
			return val{k: kList, x: out}
		}, nil, nil
	case NodeMap:
		return c.mapLiteral(n)
	case NodeComp:
		return c.comprehension(n)
	}
	return nil, nil, fmt.Errorf("unknown node kind %q", n.Kind)
}

// constant reports whether every node is a literal.
func constant(nodes []*Node) bool {
	for _, n := range nodes {
		if n.Kind != NodeLit {
			return false
		}
	}
	return true
}

func (c *compiler) all(nodes []*Node) ([]evalFn, error) {
	out := make([]evalFn, len(nodes))
	for i, a := range nodes {
		fn, _, err := c.compile(a)
		if err != nil {
			return nil, err
		}
		out[i] = fn
	}
	return out, nil
}

func literal(l *Literal) (val, error) {
	if l == nil {
		return val{}, fmt.Errorf("literal without a value")
	}
	switch l.Type {
	case "bool":
		return boolVal(l.Bool), nil
	case "int":
		return val{k: kInt, i: l.Int}, nil
	case "uint":
		return val{k: kUint, i: int64(l.Uint)}, nil
	case "double":
		return val{k: kDouble, f: l.Double}, nil
	case "string":
		return val{k: kString, s: l.String}, nil
	case "bytes":
		return val{k: kBytes, x: l.Bytes}, nil
	case "null":
		return val{k: kNull}, nil
	}
	return val{}, fmt.Errorf("unknown literal type %q", l.Type)
}

// selectField compiles x.f and has(x.f) on a struct or a map of the lead's
// data; the operand's static type must be known.
func (c *compiler) selectField(n *Node) (evalFn, reflect.Type, error) {
	operand, t, err := c.compile(n.Target)
	if err != nil {
		return nil, nil, err
	}
	has, name := n.Kind == NodeHas, n.Name
	switch {
	case t == nil:
		return nil, nil, fmt.Errorf("select .%s: the operand's type is only known at run time", name)
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		return func(f *frame) val {
			m := operand(f)
			if m.k != kMap {
				return errorf("no such key: %s", name)
			}
			v, ok := m.x.(mapVal).get(val{k: kString, s: name})
			if has {
				return boolVal(ok)
			}
			if !ok {
				return errorf("no such key: %s", name)
			}
			return v
		}, t.Elem(), nil
	case t.Kind() != reflect.Struct || t == timeType:
		return nil, nil, fmt.Errorf("select .%s: %s has no fields", name, t)
	}
	field, ok := jsonField(t, name)
	if !ok {
		return nil, nil, fmt.Errorf("%s has no field %q", t, name)
	}
	if ft := field.Type; ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Interface {
		return nil, nil, fmt.Errorf("field %s of %s cannot be read by rules", name, t)
	}
	index := field.Index
	return func(f *frame) val {
		o := operand(f)
		if o.k != kObject {
			if o.k == kError {
				return o
			}
			return errorf("no such field: %s", name)
		}
		fv := o.x.(reflect.Value).FieldByIndex(index)
		if has {
			return boolVal(!fv.IsZero())
		}
		return fromReflect(fv)
	}, field.Type, nil
}

// jsonField finds a struct field by its JSON name, the name rules use.
func jsonField(t reflect.Type, name string) (reflect.StructField, bool) {
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		if jsonName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func jsonName(f reflect.StructField) string {
	tag, ok := f.Tag.Lookup("json")
	if !ok {
		return f.Name
	}
	tag, _, _ = strings.Cut(tag, ",")
	switch tag {
	case "-":
		return ""
	case "":
		return f.Name
	}
	return tag
}

func (c *compiler) mapLiteral(n *Node) (evalFn, reflect.Type, error) {
	if len(n.Args)%2 != 0 {
		return nil, nil, fmt.Errorf("map literal with an odd number of parts")
	}
	parts, err := c.all(n.Args)
	if err != nil {
		return nil, nil, err
	}
	return func(f *frame) val {
		m := &literalMap{}
		for i := 0; i < len(parts); i += 2 {
			k, v := parts[i](f), parts[i+1](f)
			if k.k == kError {
				return k
			}
			if v.k == kError {
				return v
			}
			switch k.k {
			case kString, kInt, kUint, kBool:
			default:
				return errorf("unsupported key type: %s", k.k)
			}
			if _, dup := m.get(k); dup {
				return errorf("Failed with repeated key")
			}
			m.keys, m.vals = append(m.keys, k), append(m.vals, v)
		}
		return val{k: kMap, x: m}
	}, nil, nil
}

// comprehension compiles the expanded form of the list macros: fold Step
// over Range into the accumulator while Cond holds, then Result.
func (c *compiler) comprehension(n *Node) (evalFn, reflect.Type, error) {
	rng, rt, err := c.compile(n.Range)
	if err != nil {
		return nil, nil, err
	}
	init, _, err := c.compile(n.Init)
	if err != nil {
		return nil, nil, err
	}
	var elem reflect.Type
	if rt != nil {
		switch rt.Kind() {
		case reflect.Slice:
			elem = rt.Elem()
		case reflect.Map:
			elem = rt.Key()
		}
	}
	saved := c.vars
	c.vars = maps.Clone(saved)
	defer func() { c.vars = saved }()
	iter, accu := c.slots, c.slots+1
	c.slots += 2
	c.vars[n.AccuVar] = scopeVar{slot: accu}
	// The iteration variable is out of scope in Result.
	c.vars[n.IterVar] = scopeVar{slot: iter, typ: elem}
	cond, _, err := c.compile(n.Cond)
	if err != nil {
		return nil, nil, err
	}
	step, _, err := c.compile(n.Step)
	if err != nil {
		return nil, nil, err
	}
	delete(c.vars, n.IterVar)
	result, _, err := c.compile(n.Result)
	if err != nil {
		return nil, nil, err
	}
	return func(f *frame) val {
		r := rng(f)
		var items list
		switch r.k {
		case kList:
			items = r.x.(list)
		case kMap: // a map iterates over its keys
			items = listVal(r.x.(mapVal).keyList())
		case kError:
			return r
		default:
			return errorf("cannot iterate over %s", r.k)
		}
		f.slots[accu] = init(f)
		for i := range items.size() {
			if b := cond(f); b.k == kBool && b.i == 0 {
				break
			}
			f.slots[iter] = items.at(i)
			f.slots[accu] = step(f)
		}
		return result(f)
	}, nil, nil
}

// call compiles a function or operator call.
func (c *compiler) call(n *Node) (evalFn, reflect.Type, error) {
	args := n.Args
	if n.Target != nil {
		args = append([]*Node{n.Target}, n.Args...)
	}
	fns, err := c.all(args)
	if err != nil {
		return nil, nil, err
	}
	switch n.Name {
	case fnAnd, fnOr:
		if len(fns) != 2 {
			break
		}
		return logical(n.Name == fnAnd, fns[0], fns[1]), nil, nil
	case fnCond:
		if len(fns) != 3 {
			break
		}
		cond, yes, no := fns[0], fns[1], fns[2]
		return func(f *frame) val {
			switch b := cond(f); {
			case b.k == kError:
				return b
			case b.k != kBool:
				return noOverload(fnCond, b)
			case b.i != 0:
				return yes(f)
			default:
				return no(f)
			}
		}, nil, nil
	case fnNotStrictFalse:
		if len(fns) != 1 {
			break
		}
		x := fns[0]
		return func(f *frame) val {
			v := x(f)
			return boolVal(v.k != kBool || v.i != 0)
		}, nil, nil
	case "matches":
		if len(args) == 2 && args[1].Kind == NodeLit && args[1].Lit != nil && args[1].Lit.Type == "string" {
			re, err := regexp.Compile(args[1].Lit.String)
			if err != nil {
				return nil, nil, fmt.Errorf("matches: %w", err)
			}
			return strict(func(a []val) val {
				if a[0].k != kString {
					return noOverload("matches", a[0])
				}
				return boolVal(re.MatchString(a[0].s))
			}, fns[:1]), nil, nil
		}
	}
	impl, ok := functions[n.Name]
	if !ok || !impl.arity(len(fns)) {
		return nil, nil, fmt.Errorf("function %s with %d arguments is not supported in rules", displayName(n.Name), len(fns))
	}
	return strict(impl.fn, fns), nil, nil
}

// strict evaluates every argument and returns the first error among them
// before calling fn: CEL functions other than the logical operators are
// strict. The arguments go on the frame's stack, so a call allocates
// nothing: nested calls finish before this one pushes, and functions do not
// keep their argument slice.
func strict(fn func(args []val) val, fns []evalFn) evalFn {
	return func(f *frame) val {
		base := len(f.stack)
		r := pushAndCall(f, base, fn, fns)
		clear(f.stack[base:])
		f.stack = f.stack[:base]
		return r
	}
}

// pushAndCall pushes each argument above base and calls fn on them, or
// returns the first argument that is an error.
func pushAndCall(f *frame, base int, fn func(args []val) val, fns []evalFn) val {
	for _, a := range fns {
		x := a(f)
		if x.k == kError {
			return x
		}
		f.stack = append(f.stack, x)
	}
	return fn(f.stack[base:])
}

// logical implements && and || with CEL's commutative error handling:
// false && error is false, true || error is true, whichever side errs.
func logical(and bool, a, b evalFn) evalFn {
	name := fnOr
	if and {
		name = fnAnd
	}
	return func(f *frame) val {
		x := a(f)
		if x.k == kBool && (x.i != 0) != and {
			return x // short circuit
		}
		y := b(f)
		if y.k == kBool && (y.i != 0) != and {
			return y
		}
		switch {
		case x.k == kError:
			return x
		case y.k == kError:
			return y
		case x.k != kBool:
			return noOverload(name, x)
		case y.k != kBool:
			return noOverload(name, y)
		}
		return boolVal(and)
	}
}

func displayName(fn string) string {
	switch fn {
	case fnIndex:
		return "index"
	case fnIn:
		return "in"
	}
	return fmt.Sprintf("%q", fn)
}
