// Package celrules is the rule checker: it parses and type-checks CEL rule
// expressions against the domain types and lowers them to the scoring
// engine's Node form. It is the only package that links the CEL compiler;
// deployed functions load the lowered rules instead (scoring.Compiled).
package celrules

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/scoring"
)

var (
	envOnce sync.Once
	envs    [2]*cel.Env
	envErr  error
)

// Environments returns the CEL environments of the two scopes, built once;
// the declared types are the real domain structs, so the checker knows
// every field (by its JSON name).
func Environments() ([2]*cel.Env, error) {
	envOnce.Do(func() {
		native := ext.NativeTypes(reflect.TypeOf(lead.Lead{}), reflect.TypeOf(lead.Account{}), reflect.TypeOf(lead.Activity{}), ext.ParseStructTag("json"))
		leadT, accountT, activityT := cel.ObjectType("lead.Lead"), cel.ObjectType("lead.Account"), cel.ObjectType("lead.Activity")
		base, err := cel.NewEnv(native, ext.Strings(), urlPathFunc,
			cel.Variable(scoring.VarLead, leadT),
			cel.Variable(scoring.VarAccount, accountT),
			cel.Variable(scoring.VarNow, cel.TimestampType))
		if err != nil {
			envErr = fmt.Errorf("celrules: build CEL environment: %w", err)
			return
		}
		if envs[scoring.ScopeLead], err = base.Extend(cel.Variable(scoring.VarActivities, cel.ListType(activityT))); err != nil {
			envErr = fmt.Errorf("celrules: build CEL environment: %w", err)
			return
		}
		if envs[scoring.ScopeActivity], err = base.Extend(cel.Variable(scoring.VarActivity, activityT)); err != nil {
			envErr = fmt.Errorf("celrules: build CEL environment: %w", err)
		}
	})
	return envs, envErr
}

// urlPathFunc declares url_path(string) string, the path of a URL as
// written (scoring.URLPath).
var urlPathFunc = cel.Function("url_path",
	cel.Overload("url_path_string", []*cel.Type{cel.StringType}, cel.StringType,
		cel.UnaryBinding(func(v ref.Val) ref.Val {
			s, _ := v.(types.String)
			return types.String(scoring.URLPath(string(s)))
		})))

// Compile parses and type-checks src in scope and lowers it for the
// scoring engine; it is a scoring.Compiler. The result type must be bool.
// It returns every problem found, positioned inside src: syntax and type
// errors, and constructs the engine does not evaluate (message
// construction, optional syntax, two-variable comprehensions).
func Compile(src string, scope scoring.Scope) (*scoring.Expr, []scoring.ExprError) {
	es, err := Environments()
	if err != nil {
		return nil, []scoring.ExprError{{Line: 1, Column: 1, Message: err.Error()}}
	}
	if strings.TrimSpace(src) == "" {
		return nil, []scoring.ExprError{{Line: 1, Column: 1, Message: "empty expression"}}
	}
	checked, iss := es[scope].Compile(src)
	if iss != nil && iss.Err() != nil {
		var out []scoring.ExprError
		for _, e := range iss.Errors() {
			out = append(out, scoring.ExprError{Line: e.Location.Line(), Column: e.Location.Column() + 1, Message: e.Message})
		}
		return nil, out
	}
	if !checked.OutputType().IsExactType(cel.BoolType) {
		return nil, []scoring.ExprError{{Line: 1, Column: 1, Message: fmt.Sprintf("must be bool, is %s", checked.OutputType())}}
	}
	native := checked.NativeRep()
	l := lowering{info: native.SourceInfo()}
	node := l.lower(native.Expr())
	if l.err != nil {
		return nil, []scoring.ExprError{*l.err}
	}
	x, err := scoring.NewExpr(src, scope, node)
	if err != nil {
		return nil, []scoring.ExprError{{Line: 1, Column: 1, Message: err.Error()}}
	}
	return x, nil
}

// lowering converts a checked CEL AST to a scoring.Node, recording the first
// construct it cannot convert with its position.
type lowering struct {
	info *ast.SourceInfo
	err  *scoring.ExprError
}

func (l *lowering) fail(e ast.Expr, format string, args ...any) *scoring.Node {
	if l.err == nil {
		loc := l.info.GetStartLocation(e.ID())
		l.err = &scoring.ExprError{Line: max(loc.Line(), 1), Column: loc.Column() + 1, Message: fmt.Sprintf(format, args...)}
	}
	return nil
}

func (l *lowering) lower(e ast.Expr) *scoring.Node {
	switch e.Kind() {
	case ast.LiteralKind:
		lit, ok := literal(e.AsLiteral())
		if !ok {
			return l.fail(e, "literal %v is not supported in rules", e.AsLiteral())
		}
		return &scoring.Node{Kind: scoring.NodeLit, Lit: lit}
	case ast.IdentKind:
		return &scoring.Node{Kind: scoring.NodeIdent, Name: e.AsIdent()}
	case ast.SelectKind:
		sel := e.AsSelect()
		kind := scoring.NodeSelect
		if sel.IsTestOnly() {
			kind = scoring.NodeHas
		}
		return &scoring.Node{Kind: kind, Name: sel.FieldName(), Target: l.lower(sel.Operand())}
	case ast.CallKind:
		call := e.AsCall()
		n := &scoring.Node{Kind: scoring.NodeCall, Name: call.FunctionName(), Args: l.all(call.Args())}
		if call.IsMemberFunction() {
			n.Target = l.lower(call.Target())
		}
		return n
	case ast.ListKind:
		list := e.AsList()
		if len(list.OptionalIndices()) > 0 {
			return l.fail(e, "optional list elements are not supported in rules")
		}
		return &scoring.Node{Kind: scoring.NodeList, Args: l.all(list.Elements())}
	case ast.MapKind:
		n := &scoring.Node{Kind: scoring.NodeMap}
		for _, entry := range e.AsMap().Entries() {
			me := entry.AsMapEntry()
			if me.IsOptional() {
				return l.fail(e, "optional map entries are not supported in rules")
			}
			n.Args = append(n.Args, l.lower(me.Key()), l.lower(me.Value()))
		}
		return n
	case ast.ComprehensionKind:
		c := e.AsComprehension()
		if c.HasIterVar2() {
			return l.fail(e, "two-variable comprehensions are not supported in rules")
		}
		return &scoring.Node{
			Kind: scoring.NodeComp, IterVar: c.IterVar(), AccuVar: c.AccuVar(),
			Range: l.lower(c.IterRange()), Init: l.lower(c.AccuInit()), Cond: l.lower(c.LoopCondition()),
			Step: l.lower(c.LoopStep()), Result: l.lower(c.Result()),
		}
	}
	return l.fail(e, "this expression form is not supported in rules")
}

func (l *lowering) all(es []ast.Expr) []*scoring.Node {
	out := make([]*scoring.Node, len(es))
	for i, e := range es {
		out[i] = l.lower(e)
	}
	return out
}

func literal(v ref.Val) (*scoring.Literal, bool) {
	switch v := v.(type) {
	case types.Bool:
		return &scoring.Literal{Type: "bool", Bool: bool(v)}, true
	case types.Int:
		return &scoring.Literal{Type: "int", Int: int64(v)}, true
	case types.Uint:
		return &scoring.Literal{Type: "uint", Uint: uint64(v)}, true
	case types.Double:
		return &scoring.Literal{Type: "double", Double: float64(v)}, true
	case types.String:
		return &scoring.Literal{Type: "string", String: string(v)}, true
	case types.Bytes:
		return &scoring.Literal{Type: "bytes", Bytes: []byte(v)}, true
	case types.Null:
		return &scoring.Literal{Type: "null"}, true
	}
	return nil, false
}
