package scoring

import "github.com/leadflow/leadflow/shared/lead"

// Guard returns the activity types x requires, nil when unconstrained.
func Guard(x *Expr) map[lead.ActivityType]bool { return x.guard }

// Native reports whether x is answered in Go without the interpreter.
func Native(x *Expr) bool { return x.native != nil }

// Interpreted returns x without its Go translation.
func Interpreted(x *Expr) *Expr {
	y := *x
	y.native = nil
	return &y
}
