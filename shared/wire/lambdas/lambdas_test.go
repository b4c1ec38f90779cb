package lambdas_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/internal/repotest"
	"github.com/leadflow/leadflow/shared/wire"
	"github.com/leadflow/leadflow/shared/wire/httpfn"
	"github.com/leadflow/leadflow/shared/wire/lambdas"
	"github.com/leadflow/leadflow/shared/wire/messaging"
	"github.com/leadflow/leadflow/shared/wire/phones"
	"github.com/leadflow/leadflow/shared/wire/providers"
	"github.com/leadflow/leadflow/shared/wire/queues"
	"github.com/leadflow/leadflow/shared/wire/timers"
)

// TestMainsWireWhatTheirFunctionsNeed reads every functions/<name>/main.go:
// it must call wire.RunLambda with the function named <name> and options
// providing every port the function needs. A main that forgot an option
// would fail its first invocation in AWS; here it fails the build.
func TestMainsWireWhatTheirFunctionsNeed(t *testing.T) {
	functions := map[string]wire.Function{
		"httpfn.Capture": httpfn.Capture, "httpfn.API": httpfn.API,
		"wire.Enrich": wire.Enrich, "wire.Score": wire.Score, "wire.Route": wire.Route, "wire.Notify": wire.Notify,
		"wire.Nurture": wire.Nurture, "wire.CRMSync": wire.CRMSync, "wire.Touch": wire.Touch, "wire.SLA": wire.SLA,
		"wire.Sweep": wire.Sweep,
	}
	options := map[string]wire.Option{
		"timers.Scheduler": timers.Scheduler, "messaging.Notifier": messaging.Notifier, "messaging.Mailer": messaging.Mailer,
		"queues.Sender": queues.Sender, "providers.Enricher": providers.Enricher, "providers.CRM": providers.CRM,
		"phones.E164": phones.E164,
	}
	if len(functions) != len(lambdas.Functions) || len(options) != len(lambdas.Options) {
		t.Fatalf("this test names %d functions and %d options, lambdas lists %d and %d", len(functions), len(options), len(lambdas.Functions), len(lambdas.Options))
	}
	dirs, err := os.ReadDir(filepath.Join(repotest.Root(t), "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, d := range dirs {
		name := d.Name()
		seen = append(seen, name)
		args := runLambdaArgs(t, filepath.Join(repotest.Root(t), "functions", name, "main.go"))
		if len(args) == 0 {
			t.Errorf("functions/%s/main.go does not call wire.RunLambda", name)
			continue
		}
		fn, ok := functions[args[0]]
		if !ok || fn.Name != name {
			t.Errorf("functions/%s/main.go runs %s, want the function named %q", name, args[0], name)
			continue
		}
		var have wire.Need
		for _, a := range args[1:] {
			o, ok := options[a]
			if !ok {
				t.Errorf("functions/%s/main.go: unknown option %s", name, a)
			}
			have |= o.Provides
		}
		if missing := fn.Needs &^ have; missing != 0 {
			t.Errorf("functions/%s/main.go wires no %s", name, missing)
		}
		if extra := have &^ fn.Needs; extra != 0 {
			t.Errorf("functions/%s/main.go wires %s, which %s does not use", name, extra, name)
		}
	}
	var want []string
	for _, fn := range lambdas.Functions {
		want = append(want, fn.Name)
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("functions/ directories (-want +got):\n%s", diff)
	}
}

// runLambdaArgs returns the arguments of the wire.RunLambda call in a main,
// as written ("wire.Touch", "timers.Scheduler").
func runLambdaArgs(t *testing.T, path string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || selector(call.Fun) != "wire.RunLambda" {
			return true
		}
		for _, a := range call.Args {
			args = append(args, selector(a))
		}
		return false
	})
	return args
}

func selector(e ast.Expr) string {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	x, ok := sel.X.(*ast.Ident)
	if !ok {
		return ""
	}
	return x.Name + "." + sel.Sel.Name
}

// TestFunctionLinksOnlyItsOwnStage builds the score function and reads its
// symbol table: it holds the score stage and none of the other stages'
// code, nor the lead parser and the YAML decoder it never runs.
// Each is linked only when reachable from main, so this fails when a change
// makes every function's code reachable from every main again (a function
// value built by a call at package init does that).
func TestFunctionLinksOnlyItsOwnStage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a function")
	}
	bin := filepath.Join(t.TempDir(), "score")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "./functions/score")
	build.Dir = repotest.Root(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	symbols := string(out)
	const pipeline = "github.com/leadflow/leadflow/shared/pipeline.(*Service)."
	if !strings.Contains(symbols, pipeline+"Score\n") {
		t.Fatalf("the score function has no %sScore: the symbol names changed, fix this test", pipeline)
	}
	for _, absent := range []string{
		pipeline + "Enrich\n", pipeline + "Route\n", pipeline + "NotifyRouted\n", pipeline + "NurtureEvent\n",
		pipeline + "SyncCRM\n", pipeline + "CheckSLA\n", pipeline + "Sweep\n",
		"github.com/leadflow/leadflow/shared/lead.Parse\n",
		"go.yaml.in/yaml/v3.",
	} {
		if strings.Contains(symbols, absent) {
			t.Errorf("the score function links %s", strings.TrimSpace(absent))
		}
	}
}
