package configfile

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/scoring"
)

// file is a config file's source: it places paths in it for errors
// (config.Locator) and turns the decoder's messages into errors. It parses
// the file into nodes only when the first error needs a position, so a
// valid config is decoded once.
type file struct {
	name   string
	data   []byte
	built  bool
	src    []string // the file's lines, to place errors inside folded text
	lines  map[string]int
	nodes  map[string]*yaml.Node // path → value node
	labels map[string]string     // path of a named item → its label
	spans  []span
	errs   config.Errors // the decoder's
}

type span struct {
	path, label string
	from, to    int
}

func newFile(name string, data []byte) *file { return &file{name: name, data: data} }

// labelRule names the items of one collection in errors: the pattern of an
// item's path, its kind and the key naming a sequence item ("" for map
// entries, named by their key).
type labelRule struct {
	re          *regexp.Regexp
	kind, field string
}

// labelled lists the collections whose items are named in errors.
var labelled = sync.OnceValue(func() []labelRule {
	return []labelRule{
		{regexp.MustCompile(`^forms\.[^.]+$`), "form", ""},
		{regexp.MustCompile(`^sources\.[^.]+$`), "source", ""},
		{regexp.MustCompile(`^scoring\.rules\[\d+\]$`), "scoring rule", "code"},
		{regexp.MustCompile(`^routing\.teams\[\d+\]$`), "team", "id"},
		{regexp.MustCompile(`^routing\.reps\[\d+\]$`), "rep", "id"},
		{regexp.MustCompile(`^routing\.managers\[\d+\]$`), "manager", "id"},
		{regexp.MustCompile(`^routing\.named_accounts\[\d+\]$`), "named account", "domain"},
		{regexp.MustCompile(`^nurture\.cadences\[\d+\]$`), "cadence", "name"},
		{regexp.MustCompile(`^nurture\.cadences\[\d+\]\.steps\[\d+\]$`), "step", "id"},
		{regexp.MustCompile(`^enrichment\.providers\[\d+\]$`), "enrichment provider", "name"},
		{regexp.MustCompile(`^scenarios\[\d+\]$`), "scenario", "name"},
		{regexp.MustCompile(`^[a-z_]+$`), "", ""}, // a top-level section names itself
	}
})

// build parses the file into nodes and walks them, once. A file that does
// not parse leaves the maps empty: its errors come from the decoder, with
// their lines.
func (f *file) build() {
	if f.built {
		return
	}
	f.built = true
	f.src = strings.Split(string(f.data), "\n")
	f.lines, f.nodes, f.labels = map[string]int{}, map[string]*yaml.Node{}, map[string]string{}
	var root yaml.Node
	if yaml.Unmarshal(f.data, &root) == nil && root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		f.walk("", root.Content[0], root.Content[0].Line, "")
	}
}

// walk records each path's line, labels named items (inner ones after their
// container: `cadence "qualification" step "intro"`) and returns the last
// line below n.
func (f *file) walk(path string, n *yaml.Node, line int, outer string) int {
	f.lines[path] = line
	f.nodes[path] = n
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
			last = max(last, f.walk(p, v, k.Line, inner))
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			last = max(last, f.walk(fmt.Sprintf("%s[%d]", path, i), v, v.Line, inner))
		}
	case yaml.ScalarNode:
		last = n.Line + strings.Count(strings.TrimRight(n.Value, "\n"), "\n")
	}
	if label != "" {
		f.labels[path] = label
		f.spans = append(f.spans, span{path: path, label: label, from: line, to: last})
	}
	return last
}

func labelFor(path string, n *yaml.Node) string {
	for _, l := range labelled() {
		if !l.re.MatchString(path) {
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

// Line implements config.Locator.
func (f *file) Line(path string) (int, bool) {
	f.build()
	l, ok := f.lines[path]
	return l, ok
}

// Label implements config.Locator.
func (f *file) Label(path string) string {
	f.build()
	return f.labels[path]
}

// ExprLine implements config.Locator: it maps a position inside a scalar's
// value to a file line. Plain and quoted scalars start on the node's line;
// block scalars one below; folded text (>) joins its lines with spaces, so
// the offset is walked back over the source lines.
func (f *file) ExprLine(path string, e scoring.ExprError) (int, bool) {
	f.build()
	n := f.nodes[path]
	if n == nil || n.Kind != yaml.ScalarNode {
		return 0, false
	}
	switch {
	case n.Style&yaml.FoldedStyle != 0:
		off := e.Column - 1
		for i, l := range strings.Split(n.Value, "\n") {
			if i+1 >= e.Line {
				break
			}
			off += len(l) + 1
		}
		for ln := n.Line + 1; ln <= len(f.src); ln++ {
			text := strings.TrimSpace(f.src[ln-1])
			if off < len(text)+1 {
				return ln, true
			}
			off -= len(text) + 1
		}
		return n.Line + 1, true
	case n.Style&yaml.LiteralStyle != 0:
		return n.Line + e.Line, true
	}
	return n.Line + e.Line - 1, true
}

// atLine records an error known only by line (a YAML decode error), named
// after the innermost item spanning that line.
func (f *file) atLine(line int, msg string) {
	f.build()
	var best *span
	for i := range f.spans {
		s := &f.spans[i]
		if s.from <= line && line <= s.to && (best == nil || len(s.path) > len(best.path)) {
			best = s
		}
	}
	rule := ""
	if best != nil {
		rule = best.label
	}
	f.errs = append(f.errs, config.Error{File: f.name, Line: line, Rule: rule, Message: msg})
}

var (
	yamlLineRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`) })
	unknownRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^field (\S+) not found in type \S+$`) })
	unmarshalRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")
	})
)

// decodeErrors turns yaml.v3's messages into errors with readable text.
func (f *file) decodeErrors(msgs []string) {
	for _, m := range msgs {
		sub := yamlLineRe().FindStringSubmatch(m)
		if sub == nil {
			f.errs = append(f.errs, config.Error{File: f.name, Line: 1, Message: strings.TrimPrefix(m, "yaml: ")})
			continue
		}
		line, _ := strconv.Atoi(sub[1])
		msg := sub[2]
		if u := unknownRe().FindStringSubmatch(msg); u != nil {
			msg = fmt.Sprintf("unknown key %q", u[1])
		} else if u := unmarshalRe().FindStringSubmatch(msg); u != nil {
			msg = fmt.Sprintf("wrong type: want %s, got %s", goTypeName(u[3]), yamlTagName(u[1]))
			if u[2] != "" {
				msg += fmt.Sprintf(" %q", u[2])
			}
		}
		f.atLine(line, msg)
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
	case strings.HasSuffix(t, "Duration"):
		return "a duration, e.g. 4h or 90d"
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
