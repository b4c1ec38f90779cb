package scoring

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

// Variables visible to CEL expressions. Their fields are the snake_case JSON
// names of lead.Lead, lead.Account and lead.Activity (lead.employees,
// activity.url), so a typo is a type error when the config loads. Besides
// the standard library and the strings extension, url_path(url) returns a
// URL's path.
const (
	VarLead       = "lead"       // lead.Lead
	VarAccount    = "account"    // lead.Account (zero value when unknown)
	VarActivity   = "activity"   // lead.Activity, in activity predicates only
	VarActivities = "activities" // list of lead.Activity, in conditions only
	VarNow        = "now"        // timestamp: the scoring clock
)

// Scope says which variables an expression may use.
type Scope int

// Expression scopes.
const (
	// ScopeLead: lead, account, activities, now (lead-level rules and
	// nurture conditions).
	ScopeLead Scope = iota
	// ScopeActivity: activity, lead, account, now (activity predicates).
	ScopeActivity
)

// URLPath cuts the scheme, host, query and fragment off a URL without
// allocating: "https://x.io/demo?a" → "/demo".
func URLPath(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
		j := strings.IndexByte(s, '/')
		if j < 0 {
			return ""
		}
		s = s[j:]
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	return s
}

// ExprError is a compile or type error of one expression. Line and Column
// are 1-based positions inside the expression text.
type ExprError struct {
	Line, Column int
	Message      string
}

func (e ExprError) Error() string { return e.Message }

// Expr is a compiled, type-checked boolean rule expression. It is safe
// for concurrent use.
type Expr struct {
	Source string
	// Node is the checked expression the engine evaluates; a deployed
	// function loads it instead of compiling Source.
	Node  *Node
	scope Scope
	prog  program
	// Guard holds the activity types the expression requires when it has the
	// shape `activity.type == 'x' && …` or `activity.type in [...] && …`;
	// nil when it does not constrain the type.
	guard map[lead.ActivityType]bool
	// native, when set, answers the predicate in Go: the expression is a
	// conjunction of simple tests on activity fields (equality, in,
	// contains, startsWith, endsWith, url_path), the shape of almost every
	// activity rule, and need not be interpreted per activity.
	native func(a *lead.Activity) bool
}

// Compiler compiles rule source in a scope into an Expr, or returns every
// problem found, positioned inside src. The CEL checker (package celrules)
// is one; Compiled, over rules checked earlier, is the other.
type Compiler func(src string, scope Scope) (*Expr, []ExprError)

// NewExpr builds the Expr of a checked node. Returns an error when the node
// uses a function or a field the engine cannot evaluate.
func NewExpr(src string, scope Scope, n *Node) (*Expr, error) {
	prog, err := compileNode(n, scope)
	if err != nil {
		return nil, err
	}
	x := &Expr{Source: src, Node: n, scope: scope, prog: prog}
	if scope == ScopeActivity {
		x.guard = typeGuard(n)
		x.native = nativeTest(conjuncts(n, nil))
	}
	return x, nil
}

// typeGuard finds a top-level conjunct that pins activity.type to literals.
func typeGuard(n *Node) map[lead.ActivityType]bool {
	for _, c := range conjuncts(n, nil) {
		if g := typeTest(c); g != nil {
			return g
		}
	}
	return nil
}

// nativeTest translates a conjunction of simple activity tests to Go, or
// returns nil when any conjunct is something else.
func nativeTest(conj []*Node) func(a *lead.Activity) bool {
	tests := make([]func(a *lead.Activity) bool, 0, len(conj))
	for _, c := range conj {
		t := simpleTest(c)
		if t == nil {
			return nil
		}
		tests = append(tests, t)
	}
	return func(a *lead.Activity) bool {
		for _, t := range tests {
			if !t(a) {
				return false
			}
		}
		return true
	}
}

// simpleTest recognises getter == 'lit', getter in ['lit', …] and
// getter.contains|startsWith|endsWith('lit').
func simpleTest(n *Node) func(a *lead.Activity) bool {
	if n.Kind != NodeCall {
		return nil
	}
	args := n.Args
	if n.Target != nil && len(args) == 1 {
		get := activityGetter(n.Target)
		lit, ok := stringLit(args[0])
		if get == nil || !ok {
			return nil
		}
		var op func(s, sub string) bool
		switch n.Name {
		case "contains":
			op = strings.Contains
		case "startsWith":
			op = strings.HasPrefix
		case "endsWith":
			op = strings.HasSuffix
		default:
			return nil
		}
		return func(a *lead.Activity) bool { return op(get(a), lit) }
	}
	if n.Target != nil || len(args) != 2 {
		return nil
	}
	switch n.Name {
	case fnEq:
		for i := range 2 {
			if get := activityGetter(args[i]); get != nil {
				if lit, ok := stringLit(args[1-i]); ok {
					return func(a *lead.Activity) bool { return get(a) == lit }
				}
			}
		}
	case fnIn:
		get := activityGetter(args[0])
		set, ok := stringSet(args[1])
		if get == nil || !ok {
			return nil
		}
		return func(a *lead.Activity) bool { return set[get(a)] }
	}
	return nil
}

// activityGetter recognises activity.type, activity.url, activity.form and
// url_path(activity.url).
func activityGetter(n *Node) func(a *lead.Activity) string {
	if n.Kind == NodeCall && n.Name == "url_path" && n.Target == nil && len(n.Args) == 1 {
		if inner := activityGetter(n.Args[0]); inner != nil {
			return func(a *lead.Activity) string { return URLPath(inner(a)) }
		}
		return nil
	}
	if !isSelectOf(n, VarActivity) {
		return nil
	}
	switch n.Name {
	case "type":
		return func(a *lead.Activity) string { return string(a.Type) }
	case "url":
		return func(a *lead.Activity) string { return a.URL }
	case "form":
		return func(a *lead.Activity) string { return a.Form }
	}
	return nil
}

// isSelectOf reports whether n reads a field of the variable named v.
func isSelectOf(n *Node, v string) bool {
	return n.Kind == NodeSelect && n.Target != nil && n.Target.Kind == NodeIdent && n.Target.Name == v
}

func conjuncts(n *Node, out []*Node) []*Node {
	if n.Kind == NodeCall && n.Name == fnAnd && n.Target == nil {
		for _, a := range n.Args {
			out = conjuncts(a, out)
		}
		return out
	}
	return append(out, n)
}

// typeTest recognises `activity.type == 'x'`, `'x' == activity.type` and
// `activity.type in ['x', 'y']`.
func typeTest(n *Node) map[lead.ActivityType]bool {
	if n.Kind != NodeCall || n.Target != nil || len(n.Args) != 2 {
		return nil
	}
	args := n.Args
	isType := func(n *Node) bool { return isSelectOf(n, VarActivity) && n.Name == "type" }
	switch n.Name {
	case fnEq:
		for i := range 2 {
			if isType(args[i]) {
				if s, ok := stringLit(args[1-i]); ok {
					return map[lead.ActivityType]bool{lead.ActivityType(s): true}
				}
			}
		}
	case fnIn:
		set, ok := stringSet(args[1])
		if !isType(args[0]) || !ok {
			return nil
		}
		g := make(map[lead.ActivityType]bool, len(set))
		for s := range set {
			g[lead.ActivityType(s)] = true
		}
		return g
	}
	return nil
}

func stringLit(n *Node) (string, bool) {
	if n.Kind != NodeLit || n.Lit == nil || n.Lit.Type != "string" {
		return "", false
	}
	return n.Lit.String, true
}

// stringSet reads a list literal of strings.
func stringSet(n *Node) (map[string]bool, bool) {
	if n.Kind != NodeList {
		return nil, false
	}
	set := make(map[string]bool, len(n.Args))
	for _, el := range n.Args {
		s, ok := stringLit(el)
		if !ok {
			return nil, false
		}
		set[s] = true
	}
	return set, true
}

// Fields returns the lead and account fields the expression reads, as
// "lead.<json name>" and "account.<json name>", sorted.
func (x *Expr) Fields() []string {
	set := map[string]bool{}
	x.addFields(set)
	return sortedKeys(set)
}

func (x *Expr) addFields(set map[string]bool) {
	var walk func(n *Node)
	walk = func(n *Node) {
		if n == nil {
			return
		}
		if isSelectOf(n, VarLead) || isSelectOf(n, VarAccount) || (n.Kind == NodeHas && n.Target != nil && n.Target.Kind == NodeIdent && (n.Target.Name == VarLead || n.Target.Name == VarAccount)) {
			set[n.Target.Name+"."+n.Name] = true
		}
		walk(n.Target)
		for _, a := range n.Args {
			walk(a)
		}
		for _, c := range []*Node{n.Range, n.Init, n.Cond, n.Step, n.Result} {
			walk(c)
		}
	}
	walk(x.Node)
}

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Eval evaluates a ScopeLead expression (a nurture condition, say) over a
// lead, its account (nil: unknown), its activities and the clock. It returns
// an error when evaluation fails at run time, e.g. a missing map key.
func (x *Expr) Eval(l *lead.Lead, a *lead.Account, acts []lead.Activity, now time.Time) (bool, error) {
	if x.scope != ScopeLead {
		return false, fmt.Errorf("eval %q: an activity predicate needs an activity", x.Source)
	}
	var f frame
	f.bind(l, a, acts, now)
	return x.eval(&f)
}

// Match evaluates an activity predicate (ScopeActivity) on one activity of
// lead l with account a (nil: unknown). It returns an error when evaluation
// fails at run time.
func (x *Expr) Match(l *lead.Lead, a *lead.Account, act *lead.Activity, now time.Time) (bool, error) {
	if x.scope != ScopeActivity {
		return false, fmt.Errorf("match %q: a lead condition takes no activity", x.Source)
	}
	var f frame
	f.bind(l, a, nil, now)
	bound := false
	return x.match(&f, act, &bound)
}

// match evaluates an activity predicate for act, natively when it can;
// bound tracks whether the frame already holds act.
func (x *Expr) match(f *frame, act *lead.Activity, bound *bool) (bool, error) {
	if x.native != nil {
		return x.native(act), nil
	}
	if !*bound {
		f.setActivity(act)
		*bound = true
	}
	return x.eval(f)
}

func (x *Expr) eval(f *frame) (bool, error) {
	if n := x.prog.slots; len(f.slots) < n {
		f.slots = append(f.slots, make([]val, n-len(f.slots))...)
	}
	v := x.prog.eval(f)
	switch v.k {
	case kBool:
		return v.i != 0, nil
	case kError:
		return false, fmt.Errorf("eval %q: %s", x.Source, v.s)
	}
	return false, fmt.Errorf("eval %q: result is %s, not bool", x.Source, v.k)
}

var (
	emptyLead    = &lead.Lead{}
	emptyAccount = &lead.Account{}
	noActivity   = errorf("no activity")
)

// bind sets the root variables; values are read from the lead's structs
// in place, field by field, as rules ask for them.
func (f *frame) bind(l *lead.Lead, acc *lead.Account, acts []lead.Activity, now time.Time) {
	if l == nil {
		l = emptyLead
	}
	if acc == nil {
		acc = emptyAccount
	}
	if len(f.slots) < rootSlots {
		f.slots = make([]val, rootSlots)
	}
	f.slots[slotLead] = val{k: kObject, x: reflect.ValueOf(l).Elem()}
	f.slots[slotAccount] = val{k: kObject, x: reflect.ValueOf(acc).Elem()}
	f.slots[slotActivities] = val{k: kList, x: reflectList{reflect.ValueOf(acts)}}
	f.slots[slotNow] = val{k: kTimestamp, t: now}
	f.slots[slotActivity] = noActivity
}

func (f *frame) setActivity(act *lead.Activity) {
	f.slots[slotActivity] = val{k: kObject, x: reflect.ValueOf(act).Elem()}
}
