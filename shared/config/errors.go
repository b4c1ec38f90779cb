package config

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/leadflow/leadflow/shared/scoring"
)

// Error is one problem of a config file: where it is, which rule (a scoring
// rule code, a team or rep id, a form or cadence name, labelled with its
// kind) and what is wrong.
type Error struct {
	File    string
	Line    int
	Rule    string // e.g. `scoring rule "icp_title"`; empty outside a named item
	Message string
}

func (e Error) Error() string {
	if e.Rule == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Rule, e.Message)
}

// Errors is every problem found in a config file, in file order.
type Errors []Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// A Locator places config paths ("scoring.rules[3].when") in the file they
// were read from, so every error can say where it is and in which named
// item. Package configfile makes one from the YAML, parsing it only when the
// first error needs a position; a config loaded from its compiled form has
// none (it validated when it was compiled).
type Locator interface {
	// Line returns the line of path's key (of the item, in a list); false
	// when the file has no such path.
	Line(path string) (int, bool)
	// Label names the item at path in errors (`scoring rule "icp_title"`,
	// `cadence "q" step "intro"`); "" when path is not a named item.
	Label(path string) string
	// ExprLine returns the file line of position e inside the expression
	// written at path; false when path holds no expression text.
	ExprLine(path string, e scoring.ExprError) (int, bool)
}

// nowhere is the Locator of a config without a source file.
type nowhere struct{}

func (nowhere) Line(string) (int, bool)                        { return 0, false }
func (nowhere) Label(string) string                            { return "" }
func (nowhere) ExprLine(string, scoring.ExprError) (int, bool) { return 0, false }

// index collects the errors of one config, placed by its Locator.
type index struct {
	file string
	loc  Locator
	errs Errors
}

// at records an error at a config path. The line is the path's own, or its
// nearest ancestor's when the key is missing; the rule is the innermost
// named item holding the path, and the message is prefixed with the rest of
// the path inside that item.
func (ix *index) at(path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	line := 0
	for p := path; ; p = parentPath(p) {
		if l, ok := ix.loc.Line(p); ok {
			line = l
			break
		}
		if p == "" {
			break
		}
	}
	rule, rest := "", path
	for q := path; q != ""; q = parentPath(q) {
		if label := ix.loc.Label(q); label != "" {
			rule, rest = label, strings.TrimPrefix(strings.TrimPrefix(path, q), ".")
			break
		}
	}
	if rest != "" {
		msg = rest + ": " + msg
	}
	ix.errs = append(ix.errs, Error{File: ix.file, Line: line, Rule: rule, Message: msg})
}

// atExpr records a rule error at the file line inside the expression it
// names.
func (ix *index) atExpr(path string, e scoring.ExprError) {
	ix.at(path, "%s", e.Message)
	if l, ok := ix.loc.ExprLine(path, e); ok {
		ix.errs[len(ix.errs)-1].Line = l
	}
}

// dropEchoes removes semantic errors (those after the first n) about items
// that already have a decode error: a value of the wrong type decodes as
// zero, and reporting that zero again would only be noise.
func (ix *index) dropEchoes(n int) {
	if n == 0 {
		return
	}
	rules, lines := map[string]bool{}, map[int]bool{}
	for _, e := range ix.errs[:n] {
		rules[e.Rule], lines[e.Line] = true, true
	}
	kept := ix.errs[:n]
	for _, e := range ix.errs[n:] {
		if !rules[e.Rule] && !lines[e.Line] {
			kept = append(kept, e)
		}
	}
	ix.errs = kept
}

// parentPath drops the last element of a path: "a.b[2]" → "a.b" → "a" → "".
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// lazyRegexp compiles expr on first use: the patterns here serve validation
// errors and optional sections, and a deployed function loads a config that
// already validated.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
