package stack_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"

	"github.com/leadflow/leadflow/infra/stack"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/configfile"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
)

var update = flag.Bool("update", false, "rewrite the golden template")

// tmpRoot holds everything the tests write; TestMain removes it.
var tmpRoot string

func TestMain(m *testing.M) {
	os.Setenv("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
	dir, err := os.MkdirTemp("", "leadflow-infra-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmpRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testSender is the SES identity of the test stack.
const testSender = "leads@example.com"

// synthesized is the stack as `cdk synth` would write it, made once per
// test binary because a synthesis costs seconds.
type synthesized struct {
	tpl          cfnTemplate
	config       *config.Config
	assert       assertions.Template
	templateFile string
	messages     []*cxapi.SynthesisMessage
	placeholders bool          // the functions were placeholders, not functions/<name>
	built, took  time.Duration // config check and build; synthesis
}

var (
	synthOnce sync.Once
	synthRes  *synthesized
	synthErr  error
)

func synth(t *testing.T) *synthesized {
	t.Helper()
	synthOnce.Do(func() { synthRes, synthErr = doSynth() })
	if synthErr != nil {
		t.Fatal(synthErr)
	}
	return synthRes
}

func doSynth() (*synthesized, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	moduleDir, placeholders, err := functionsModule(root)
	if err != nil {
		return nil, err
	}
	cfg, err := configfile.Load(filepath.Join(root, stack.ConfigFileName), celrules.Compile)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: strPtr(filepath.Join(tmpRoot, "cdk.out"))})
	s, err := stack.AddLeadflow(context.Background(), app, "Leadflow", stack.AppOptions{
		ModuleDir:   moduleDir,
		ConfigFile:  filepath.Join(root, stack.ConfigFileName),
		BuildDir:    filepath.Join(tmpRoot, "bundles"),
		SenderEmail: testSender,
		AlarmEmail:  "ops@example.com",
		Slack:       true,
	})
	if err != nil {
		return nil, err
	}
	built := time.Since(start)
	art := app.Synth(nil).GetStackArtifact(s.ArtifactId())
	took := time.Since(start) - built
	raw, err := json.Marshal(art.Template())
	if err != nil {
		return nil, err
	}
	var tpl cfnTemplate
	if err := json.Unmarshal(raw, &tpl); err != nil {
		return nil, err
	}
	var asMap map[string]any
	if err := json.Unmarshal(raw, &asMap); err != nil {
		return nil, err
	}
	file := filepath.Join(tmpRoot, "Leadflow.template.json")
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		return nil, err
	}
	return &synthesized{
		tpl:          tpl,
		config:       cfg,
		assert:       assertions.Template_FromJSON(&asMap, nil),
		templateFile: file,
		messages:     *art.Messages(),
		placeholders: placeholders,
		built:        built,
		took:         took,
	}, nil
}

// functionsModule returns the repository when every functions/<name>/main.go
// exists, else a temporary module of placeholder functions (reported by the
// placeholders result), so the stack can be tested before the handlers land.
func functionsModule(root string) (dir string, placeholders bool, err error) {
	names := stack.FunctionNames()
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(root, "functions", n, "main.go")); err != nil {
			placeholders = true
		}
	}
	if !placeholders {
		return root, false, nil
	}
	dir = filepath.Join(tmpRoot, "placeholders")
	return dir, true, writePlaceholderModule(dir, names)
}

func writePlaceholderModule(dir string, names []string) error {
	files := map[string]string{"go.mod": "module placeholder\n\ngo 1.26\n"}
	for _, n := range names {
		files[filepath.Join("functions", n, "main.go")] = "package main\n\nfunc main() {}\n"
	}
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test directory")
		}
		dir = parent
	}
}

func strPtr(s string) *string { return &s }

// cfnTemplate is the part of a CloudFormation template the tests walk.
type cfnTemplate struct {
	Resources map[string]resource `json:"Resources"`
	Outputs   map[string]any      `json:"Outputs"`
}

type resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

// ofType returns the resources of a CloudFormation type by logical id.
func (c cfnTemplate) ofType(typ string) map[string]resource {
	out := map[string]resource{}
	for id, r := range c.Resources {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

// functionID returns the logical id of the function declared as name (its
// description is "leadflow <name>").
func (c cfnTemplate) functionID(t *testing.T, name string) string {
	t.Helper()
	for id, r := range c.ofType("AWS::Lambda::Function") {
		if r.Properties["Description"] == "leadflow "+name {
			return id
		}
	}
	t.Fatalf("no function %q in the template", name)
	return ""
}

// intrinsic returns the logical id named by {"Ref": id} or
// {"Fn::GetAtt": [id, attr]}, or "".
func intrinsic(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if id, ok := m["Ref"].(string); ok {
		return id
	}
	if att, ok := m["Fn::GetAtt"].([]any); ok && len(att) == 2 {
		id, _ := att[0].(string)
		return id
	}
	return ""
}

// noPanic turns a failed jsii assertion (a panic in Go) into a test error.
func noPanic(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%v", r)
		}
	}()
	f()
}

var assetHash = regexp.MustCompile(`[0-9a-f]{64}`)

// normalise masks what changes with every build of the functions.
func normalise(raw []byte) []byte {
	return assetHash.ReplaceAll(raw, []byte("ASSET_HASH"))
}
