package stack_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Placeholder values for the intrinsics in a state machine definition, so
// that the definition is plain ASL.
const (
	fakeRegion  = "us-east-1"
	fakeAccount = "123456789012"
)

// resolve renders a CloudFormation value with Fn::Join, Ref and Fn::GetAtt
// replaced by placeholder ARNs; refs collects the logical ids met.
func (c cfnTemplate) resolve(v any, refs map[string]bool) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case map[string]any:
		if join, ok := v["Fn::Join"].([]any); ok && len(join) == 2 {
			var parts []string
			for _, p := range asSlice(join[1]) {
				s, err := c.resolve(p, refs)
				if err != nil {
					return "", err
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, fmt.Sprint(join[0])), nil
		}
		switch ref, _ := v["Ref"].(string); ref {
		case "AWS::Partition":
			return "aws", nil
		case "AWS::Region":
			return fakeRegion, nil
		case "AWS::AccountId":
			return fakeAccount, nil
		}
		id := intrinsic(v)
		if id == "" {
			return "", fmt.Errorf("cannot resolve %v", v)
		}
		refs[id] = true
		if c.Resources[id].Type == "AWS::Lambda::Function" {
			return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", fakeRegion, fakeAccount, id), nil
		}
		return id, nil
	}
	return "", fmt.Errorf("cannot resolve %T %v", v, v)
}

// definitionJSON returns a state machine's definition as plain ASL and the
// logical ids it refers to.
func (s *synthesized) definitionJSON(t *testing.T, machine string) (string, map[string]bool) {
	t.Helper()
	refs := map[string]bool{}
	def, err := s.tpl.resolve(s.tpl.Resources[machine].Properties["DefinitionString"], refs)
	if err != nil {
		t.Fatalf("%s: %v", machine, err)
	}
	return def, refs
}

func (s *synthesized) definition(t *testing.T, machine string) map[string]any {
	t.Helper()
	raw, _ := s.definitionJSON(t, machine)
	var def map[string]any
	if err := json.Unmarshal([]byte(raw), &def); err != nil {
		t.Fatalf("%s: definition is not JSON: %v", machine, err)
	}
	return def
}

// functionOfDefinition returns the logical id of the one function a
// machine's definition calls, or "".
func (s *synthesized) functionOfDefinition(machine string) string {
	refs := map[string]bool{}
	if _, err := s.tpl.resolve(s.tpl.Resources[machine].Properties["DefinitionString"], refs); err != nil {
		return ""
	}
	for id := range refs {
		if s.tpl.Resources[id].Type == "AWS::Lambda::Function" {
			return id
		}
	}
	return ""
}

// nodeTool returns a pinned tool of package.json from node_modules/.bin.
func nodeTool(t *testing.T, name string) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "node_modules", ".bin", name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s is not installed: run `make node-deps` (npm ci) first: %v", name, err)
	}
	return path
}

// TestStateMachinesAreValidASL runs the pinned asl-validator on both
// definitions.
func TestStateMachinesAreValidASL(t *testing.T) {
	s := synth(t)
	validator := nodeTool(t, "asl-validator")
	for id := range s.tpl.ofType("AWS::StepFunctions::StateMachine") {
		t.Run(id, func(t *testing.T) {
			def, _ := s.definitionJSON(t, id)
			file := filepath.Join(t.TempDir(), id+".asl.json")
			if err := os.WriteFile(file, []byte(def), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(validator, "--json-path", file).CombinedOutput()
			if err != nil {
				t.Errorf("asl-validator: %v\n%s\n%s", err, out, def)
			}
		})
	}
}

// TestCfnLint runs cfn-lint on the template: errors fail, warnings are
// logged.
func TestCfnLint(t *testing.T) {
	s := synth(t)
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatalf("cfn-lint (Python, pip install cfn-lint) is not installed: %v", err)
	}
	var out bytes.Buffer
	cmd := exec.Command(lint, "--format", "parseable", "--", s.templateFile)
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	// cfn-lint's exit code is a bit set: 2 errors, 4 warnings, 8 infos.
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode()&^(4|8) == 0:
		t.Logf("cfn-lint warnings:\n%s", out.String())
	default:
		t.Errorf("cfn-lint: %v\n%s", err, out.String())
	}
}

// TestGoldenTemplate compares the template, asset hashes masked, with
// testdata/Leadflow.template.json; -update rewrites it.
func TestGoldenTemplate(t *testing.T) {
	s := synth(t)
	raw, err := os.ReadFile(s.templateFile)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	pretty, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got := append(normalise(pretty), '\n')
	golden := filepath.Join("testdata", "Leadflow.template.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./infra/stack -run TestGoldenTemplate -update)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("template differs from %s; review the change, then rerun with -update:\n%s", golden, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the first differing lines, enough to see what changed.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, wl, gl)
		}
	}
	return ""
}
