package scoring

import "slices"

// Compiled holds rule expressions checked earlier, in their Node form: the
// rules of a config's compiled form (configfile.Compile), which a deployed
// function loads without a CEL compiler. Record collects them; Compiler
// serves them. Config loading compiles one rule at a time, so neither is
// meant for concurrent use.
type Compiled struct {
	Exprs []CompiledExpr `json:"exprs"`
}

// CompiledExpr is one checked expression.
type CompiledExpr struct {
	Scope  Scope  `json:"scope"`
	Source string `json:"source"`
	Node   *Node  `json:"node"`
}

// Record returns a Compiler that compiles with c and keeps every
// expression that compiles.
func (cs *Compiled) Record(c Compiler) Compiler {
	return func(src string, scope Scope) (*Expr, []ExprError) {
		x, errs := c(src, scope)
		if x != nil && !slices.ContainsFunc(cs.Exprs, func(e CompiledExpr) bool { return e.Scope == scope && e.Source == src }) {
			cs.Exprs = append(cs.Exprs, CompiledExpr{Scope: scope, Source: src, Node: x.Node})
		}
		return x, errs
	}
}

// Compiler serves the recorded expressions. An expression that was not
// recorded — the config changed after the rules were compiled — is an
// error asking for a rebuild.
func (cs *Compiled) Compiler() Compiler {
	type key struct {
		scope Scope
		src   string
	}
	nodes := make(map[key]*Node, len(cs.Exprs))
	for _, e := range cs.Exprs {
		nodes[key{e.Scope, e.Source}] = e.Node
	}
	return func(src string, scope Scope) (*Expr, []ExprError) {
		n, ok := nodes[key{scope, src}]
		if !ok {
			return nil, []ExprError{{Line: 1, Column: 1, Message: "not among the compiled rules: rebuild them from this config (cdk synth)"}}
		}
		x, err := NewExpr(src, scope, n)
		if err != nil {
			return nil, []ExprError{{Line: 1, Column: 1, Message: err.Error()}}
		}
		return x, nil
	}
}
