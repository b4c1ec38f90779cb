package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

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

// index maps config paths ("scoring.rules[3].when") to lines and knows the
// named items that contain them, so every error can say where and what. It
// parses the file into nodes only when the first error needs a position: a
// valid config (every function's cold start) is decoded once.
type index struct {
	file string
	data []byte
	// parse reads data into nodes; nil for a config loaded from its
	// compiled form, which has no source to point into (it validated when
	// it was compiled).
	parse  func(data []byte, root any) error
	built  bool
	src    []string // the file's lines, to place errors inside folded text
	lines  map[string]int
	nodes  map[string]*yaml.Node // path → value node
	labels map[string]string     // path of a named item → its label
	spans  []span
	errs   Errors
}

type span struct {
	path, label string
	from, to    int
}

// labelled lists the collections whose items are named in errors: the
// pattern of the item's path and how to label it from its node.
var labelled = []struct {
	re    func() *regexp.Regexp
	kind  string
	field string // the key naming a sequence item; "" for map entries
}{
	{lazyRegexp(`^forms\.[^.]+$`), "form", ""},
	{lazyRegexp(`^sources\.[^.]+$`), "source", ""},
	{lazyRegexp(`^scoring\.rules\[\d+\]$`), "scoring rule", "code"},
	{lazyRegexp(`^routing\.teams\[\d+\]$`), "team", "id"},
	{lazyRegexp(`^routing\.reps\[\d+\]$`), "rep", "id"},
	{lazyRegexp(`^routing\.managers\[\d+\]$`), "manager", "id"},
	{lazyRegexp(`^routing\.named_accounts\[\d+\]$`), "named account", "domain"},
	{lazyRegexp(`^nurture\.cadences\[\d+\]$`), "cadence", "name"},
	{lazyRegexp(`^nurture\.cadences\[\d+\]\.steps\[\d+\]$`), "step", "id"},
	{lazyRegexp(`^enrichment\.providers\[\d+\]$`), "enrichment provider", "name"},
	{lazyRegexp(`^scenarios\[\d+\]$`), "scenario", "name"},
	{lazyRegexp(`^[a-z_]+$`), "", ""}, // a top-level section names itself
}

func newIndex(file string, data []byte) *index {
	return &index{file: file, data: data, parse: yaml.Unmarshal}
}

// build parses the file into nodes and walks them, once. A file that does
// not parse leaves the index empty: its errors come from the decoder, with
// their lines.
func (ix *index) build() {
	if ix.built {
		return
	}
	ix.built = true
	ix.src = strings.Split(string(ix.data), "\n")
	ix.lines, ix.nodes, ix.labels = map[string]int{}, map[string]*yaml.Node{}, map[string]string{}
	var root yaml.Node
	if ix.parse != nil && ix.parse(ix.data, &root) == nil && root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		ix.walk("", root.Content[0], root.Content[0].Line, "")
	}
}

// walk records each path's line, labels named items (inner ones after their
// container: `cadence "qualification" step "intro"`) and returns the last
// line below n.
func (ix *index) walk(path string, n *yaml.Node, line int, outer string) int {
	ix.lines[path] = line
	ix.nodes[path] = n
	label := labelFor(path, n)
	if label != "" && strings.HasPrefix(label, "step ") && outer != "" {
		label = outer + " " + label
	}
	inner := outer
	if label != "" {
		inner = label
	}
	last := n.Line
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			last = max(last, ix.walk(p, v, k.Line, inner))
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			last = max(last, ix.walk(fmt.Sprintf("%s[%d]", path, i), v, v.Line, inner))
		}
	case yaml.ScalarNode:
		last = n.Line + strings.Count(strings.TrimRight(n.Value, "\n"), "\n")
	}
	if label != "" {
		ix.labels[path] = label
		ix.spans = append(ix.spans, span{path: path, label: label, from: line, to: last})
	}
	return last
}

func labelFor(path string, n *yaml.Node) string {
	for _, l := range labelled {
		if !l.re().MatchString(path) {
			continue
		}
		if l.kind == "" {
			return path
		}
		name := path[strings.LastIndexAny(path, ".[")+1:]
		if l.field != "" {
			name = "#" + strings.TrimSuffix(name, "]")
			if v := child(n, l.field); v != nil && v.Value != "" {
				name = v.Value
			}
			if l.kind == "step" {
				if v := child(n, l.field); v == nil || v.Value == "" {
					n, _ := strconv.Atoi(name[1:])
					return fmt.Sprintf("step %d", n+1)
				}
			}
		}
		return fmt.Sprintf("%s %q", l.kind, name)
	}
	return ""
}

func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// at records an error at a config path. The line is the path's own, or its
// nearest ancestor's when the key is missing; the rule is the innermost
// named item holding the path, and the message is prefixed with the rest of
// the path inside that item.
func (ix *index) at(path, format string, args ...any) {
	ix.build()
	msg := fmt.Sprintf(format, args...)
	line, p := 0, path
	for {
		if l, ok := ix.lines[p]; ok {
			line = l
			break
		}
		if p == "" {
			break
		}
		p = parentPath(p)
	}
	rule, rest := "", path
	for q := path; q != ""; q = parentPath(q) {
		if label, ok := ix.labels[q]; ok {
			rule, rest = label, strings.TrimPrefix(strings.TrimPrefix(path, q), ".")
			break
		}
	}
	if rest != "" {
		msg = rest + ": " + msg
	}
	ix.errs = append(ix.errs, Error{File: ix.file, Line: line, Rule: rule, Message: msg})
}

// atExpr records a CEL error at the file line inside the expression it
// names.
func (ix *index) atExpr(path string, e scoring.ExprError) {
	before := len(ix.errs)
	ix.at(path, "%s", e.Message)
	if n := ix.nodes[path]; n != nil && n.Kind == yaml.ScalarNode {
		ix.errs[before].Line = ix.exprLine(n, e)
	}
}

// exprLine maps a position inside a scalar's value to a file line. Plain
// and quoted scalars start on the node's line; block scalars one below;
// folded text (>) joins its lines with spaces, so the offset is walked back
// over the source lines.
func (ix *index) exprLine(n *yaml.Node, e scoring.ExprError) int {
	switch {
	case n.Style&yaml.FoldedStyle != 0:
		off := e.Column - 1
		for i, l := range strings.Split(n.Value, "\n") {
			if i+1 >= e.Line {
				break
			}
			off += len(l) + 1
		}
		for ln := n.Line + 1; ln <= len(ix.src); ln++ {
			text := strings.TrimSpace(ix.src[ln-1])
			if off < len(text)+1 {
				return ln
			}
			off -= len(text) + 1
		}
		return n.Line + 1
	case n.Style&yaml.LiteralStyle != 0:
		return n.Line + e.Line
	}
	return n.Line + e.Line - 1
}

// atLine records an error known only by line (a YAML decode error), named
// after the innermost item spanning that line.
func (ix *index) atLine(line int, msg string) {
	ix.build()
	var best *span
	for i := range ix.spans {
		s := &ix.spans[i]
		if s.from <= line && line <= s.to && (best == nil || len(s.path) > len(best.path)) {
			best = s
		}
	}
	rule := ""
	if best != nil {
		rule = best.label
	}
	ix.errs = append(ix.errs, Error{File: ix.file, Line: line, Rule: rule, Message: msg})
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

var (
	yamlLineRe  = lazyRegexp(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownRe   = lazyRegexp(`^field (\S+) not found in type \S+$`)
	unmarshalRe = lazyRegexp("^cannot unmarshal !!(\\w+) `(.*)` into (\\S+)$")
)

// decodeErrors turns yaml.v3's messages into Errors with readable text.
func (ix *index) decodeError(err error) {
	var msgs []string
	if te, ok := err.(*yaml.TypeError); ok {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	for _, m := range msgs {
		sub := yamlLineRe().FindStringSubmatch(m)
		if sub == nil {
			ix.errs = append(ix.errs, Error{File: ix.file, Line: 1, Message: strings.TrimPrefix(m, "yaml: ")})
			continue
		}
		line, _ := strconv.Atoi(sub[1])
		msg := sub[2]
		if u := unknownRe().FindStringSubmatch(msg); u != nil {
			msg = fmt.Sprintf("unknown key %q", u[1])
		} else if u := unmarshalRe().FindStringSubmatch(msg); u != nil {
			msg = fmt.Sprintf("wrong type: want %s, got %s %q", goTypeName(u[3]), yamlTagName(u[1]), u[2])
		}
		ix.atLine(line, msg)
	}
}

func goTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "bool":
		return "true or false"
	case t == "string", strings.HasSuffix(t, "Stage"), strings.HasSuffix(t, "ActivityType"):
		return "a string"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["), strings.Contains(t, "."):
		return "a mapping"
	}
	return t
}

func yamlTagName(tag string) string {
	switch tag {
	case "str":
		return "string"
	case "seq":
		return "list"
	case "map":
		return "mapping"
	case "int":
		return "integer"
	case "float":
		return "number"
	}
	return tag
}
