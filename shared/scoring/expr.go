package scoring

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"

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

var (
	envOnce sync.Once
	envs    [2]*cel.Env
	envErr  error
)

// environments builds the two CEL environments once; the declared types are
// the real domain structs, so the checker knows every field.
func environments() ([2]*cel.Env, error) {
	envOnce.Do(func() {
		native := ext.NativeTypes(reflect.TypeOf(lead.Lead{}), reflect.TypeOf(lead.Account{}), reflect.TypeOf(lead.Activity{}), ext.ParseStructTag("json"))
		leadT, accountT, activityT := cel.ObjectType("lead.Lead"), cel.ObjectType("lead.Account"), cel.ObjectType("lead.Activity")
		base, err := cel.NewEnv(native, ext.Strings(), urlPathFunc,
			cel.Variable(VarLead, leadT),
			cel.Variable(VarAccount, accountT),
			cel.Variable(VarNow, cel.TimestampType))
		if err != nil {
			envErr = fmt.Errorf("scoring: build CEL environment: %w", err)
			return
		}
		if envs[ScopeLead], err = base.Extend(cel.Variable(VarActivities, cel.ListType(activityT))); err != nil {
			envErr = fmt.Errorf("scoring: build CEL environment: %w", err)
			return
		}
		if envs[ScopeActivity], err = base.Extend(cel.Variable(VarActivity, activityT)); err != nil {
			envErr = fmt.Errorf("scoring: build CEL environment: %w", err)
		}
	})
	return envs, envErr
}

// urlPathFunc declares url_path(string) string: the path of a URL as
// written (no query or fragment), so page rules match the path, not a
// query string.
var urlPathFunc = cel.Function("url_path",
	cel.Overload("url_path_string", []*cel.Type{cel.StringType}, cel.StringType,
		cel.UnaryBinding(func(v ref.Val) ref.Val {
			s, _ := v.(types.String)
			return types.String(urlPath(string(s)))
		})))

// urlPath cuts the scheme, host, query and fragment off a URL without
// allocating: "https://x.io/demo?a" → "/demo".
func urlPath(s string) string {
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

// Expr is a compiled, type-checked boolean CEL expression. It is safe for
// concurrent use.
type Expr struct {
	Source string
	scope  Scope
	prog   cel.Program
	ast    *cel.Ast
	// Guard holds the activity types the expression requires when it has the
	// shape `activity.type == 'x' && …` or `activity.type in [...] && …`;
	// nil when it does not constrain the type.
	guard map[lead.ActivityType]bool
	// native, when set, answers the predicate in Go: the expression is a
	// conjunction of simple tests on activity fields (equality, in,
	// contains, startsWith, endsWith, url_path), the shape of almost every
	// activity rule, and CEL need not run per activity.
	native func(a *lead.Activity) bool
}

// Compile parses and type-checks src in scope; the result type must be
// bool. It returns every problem found, positioned inside src.
func Compile(src string, scope Scope) (*Expr, []ExprError) {
	es, err := environments()
	if err != nil {
		return nil, []ExprError{{Line: 1, Column: 1, Message: err.Error()}}
	}
	if strings.TrimSpace(src) == "" {
		return nil, []ExprError{{Line: 1, Column: 1, Message: "empty expression"}}
	}
	env := es[scope]
	checked, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		var out []ExprError
		for _, e := range iss.Errors() {
			out = append(out, ExprError{Line: e.Location.Line(), Column: e.Location.Column() + 1, Message: e.Message})
		}
		return nil, out
	}
	if !checked.OutputType().IsExactType(cel.BoolType) {
		return nil, []ExprError{{Line: 1, Column: 1, Message: fmt.Sprintf("must be bool, is %s", checked.OutputType())}}
	}
	prog, err := env.Program(checked, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, []ExprError{{Line: 1, Column: 1, Message: err.Error()}}
	}
	x := &Expr{Source: src, scope: scope, prog: prog, ast: checked}
	if scope == ScopeActivity {
		root := checked.NativeRep().Expr()
		x.guard = typeGuard(root)
		x.native = nativeTest(conjuncts(root, nil))
	}
	return x, nil
}

// typeGuard finds a top-level conjunct that pins activity.type to literals.
func typeGuard(e ast.Expr) map[lead.ActivityType]bool {
	for _, c := range conjuncts(e, nil) {
		if g := typeTest(c); g != nil {
			return g
		}
	}
	return nil
}

// nativeTest translates a conjunction of simple activity tests to Go, or
// returns nil when any conjunct is something else.
func nativeTest(conj []ast.Expr) func(a *lead.Activity) bool {
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
func simpleTest(e ast.Expr) func(a *lead.Activity) bool {
	if e.Kind() != ast.CallKind {
		return nil
	}
	call := e.AsCall()
	args := call.Args()
	if call.IsMemberFunction() && len(args) == 1 {
		get, lit, ok := activityGetter(call.Target()), "", false
		if lit, ok = stringLit(args[0]); get == nil || !ok {
			return nil
		}
		var op func(s, sub string) bool
		switch call.FunctionName() {
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
	if len(args) != 2 {
		return nil
	}
	switch call.FunctionName() {
	case "_==_":
		for i := range 2 {
			if get := activityGetter(args[i]); get != nil {
				if lit, ok := stringLit(args[1-i]); ok {
					return func(a *lead.Activity) bool { return get(a) == lit }
				}
			}
		}
	case "@in":
		get := activityGetter(args[0])
		if get == nil || args[1].Kind() != ast.ListKind {
			return nil
		}
		set := map[string]bool{}
		for _, el := range args[1].AsList().Elements() {
			lit, ok := stringLit(el)
			if !ok {
				return nil
			}
			set[lit] = true
		}
		return func(a *lead.Activity) bool { return set[get(a)] }
	}
	return nil
}

// activityGetter recognises activity.type, activity.url, activity.form and
// url_path(activity.url).
func activityGetter(e ast.Expr) func(a *lead.Activity) string {
	if e.Kind() == ast.CallKind && e.AsCall().FunctionName() == "url_path" && len(e.AsCall().Args()) == 1 {
		if inner := activityGetter(e.AsCall().Args()[0]); inner != nil {
			return func(a *lead.Activity) string { return urlPath(inner(a)) }
		}
		return nil
	}
	if e.Kind() != ast.SelectKind {
		return nil
	}
	sel := e.AsSelect()
	op := sel.Operand()
	if sel.IsTestOnly() || op.Kind() != ast.IdentKind || op.AsIdent() != VarActivity {
		return nil
	}
	switch sel.FieldName() {
	case "type":
		return func(a *lead.Activity) string { return string(a.Type) }
	case "url":
		return func(a *lead.Activity) string { return a.URL }
	case "form":
		return func(a *lead.Activity) string { return a.Form }
	}
	return nil
}

func conjuncts(e ast.Expr, out []ast.Expr) []ast.Expr {
	if e.Kind() == ast.CallKind && e.AsCall().FunctionName() == "_&&_" {
		for _, a := range e.AsCall().Args() {
			out = conjuncts(a, out)
		}
		return out
	}
	return append(out, e)
}

// typeTest recognises `activity.type == 'x'`, `'x' == activity.type` and
// `activity.type in ['x', 'y']`.
func typeTest(e ast.Expr) map[lead.ActivityType]bool {
	if e.Kind() != ast.CallKind {
		return nil
	}
	call := e.AsCall()
	args := call.Args()
	if len(args) != 2 {
		return nil
	}
	switch call.FunctionName() {
	case "_==_":
		for i := range 2 {
			if isActivityType(args[i]) {
				if s, ok := stringLit(args[1-i]); ok {
					return map[lead.ActivityType]bool{lead.ActivityType(s): true}
				}
			}
		}
	case "@in":
		if !isActivityType(args[0]) || args[1].Kind() != ast.ListKind {
			return nil
		}
		g := map[lead.ActivityType]bool{}
		for _, el := range args[1].AsList().Elements() {
			s, ok := stringLit(el)
			if !ok {
				return nil
			}
			g[lead.ActivityType(s)] = true
		}
		return g
	}
	return nil
}

func isActivityType(e ast.Expr) bool {
	if e.Kind() != ast.SelectKind {
		return false
	}
	sel := e.AsSelect()
	op := sel.Operand()
	return sel.FieldName() == "type" && !sel.IsTestOnly() && op.Kind() == ast.IdentKind && op.AsIdent() == VarActivity
}

func stringLit(e ast.Expr) (string, bool) {
	if e.Kind() != ast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

// Fields returns the lead and account fields the expression reads, as
// "lead.<json name>" and "account.<json name>", sorted.
func (x *Expr) Fields() []string {
	set := map[string]bool{}
	x.addFields(set)
	return sortedKeys(set)
}

func (x *Expr) addFields(set map[string]bool) {
	ast.PreOrderVisit(x.ast.NativeRep().Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() != ast.SelectKind {
			return
		}
		op := e.AsSelect().Operand()
		if op.Kind() == ast.IdentKind && (op.AsIdent() == VarLead || op.AsIdent() == VarAccount) {
			set[op.AsIdent()+"."+e.AsSelect().FieldName()] = true
		}
	}))
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
	var act activation
	act.bind(l, a, acts, now)
	return x.eval(&act)
}

// match evaluates an activity predicate for act, natively when it can;
// bound tracks whether the activation already holds act.
func (x *Expr) match(ac *activation, act *lead.Activity, bound *bool) (bool, error) {
	if x.native != nil {
		return x.native(act), nil
	}
	if !*bound {
		ac.setActivity(act)
		*bound = true
	}
	return x.eval(ac)
}

func (x *Expr) eval(act *activation) (bool, error) {
	v, _, err := x.prog.Eval(act)
	if err != nil {
		return false, fmt.Errorf("eval %q: %w", x.Source, err)
	}
	b, ok := v.(types.Bool)
	if !ok {
		return false, fmt.Errorf("eval %q: result is %s, not bool", x.Source, v.Type())
	}
	return bool(b), nil
}

var (
	emptyLead    = &lead.Lead{}
	emptyAccount = &lead.Account{}
)

// activation resolves the CEL variables without building a map per call;
// values are converted once per lead and once per activity.
type activation struct {
	lead, account, now, activity ref.Val
	acts                         []lead.Activity
	actsVal                      ref.Val
}

func (a *activation) bind(l *lead.Lead, acc *lead.Account, acts []lead.Activity, now time.Time) {
	if l == nil {
		l = emptyLead
	}
	if acc == nil {
		acc = emptyAccount
	}
	adapter := envs[ScopeLead].CELTypeAdapter()
	a.lead = adapter.NativeToValue(l)
	a.account = adapter.NativeToValue(acc)
	a.now = types.Timestamp{Time: now}
	a.acts, a.actsVal, a.activity = acts, nil, nil
}

func (a *activation) setActivity(act *lead.Activity) {
	a.activity = envs[ScopeActivity].CELTypeAdapter().NativeToValue(act)
}

// ResolveName implements interpreter.Activation.
func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case VarLead:
		return a.lead, true
	case VarAccount:
		return a.account, true
	case VarNow:
		return a.now, true
	case VarActivity:
		return a.activity, a.activity != nil
	case VarActivities:
		if a.actsVal == nil {
			a.actsVal = envs[ScopeLead].CELTypeAdapter().NativeToValue(a.acts)
		}
		return a.actsVal, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (a *activation) Parent() interpreter.Activation { return nil }
