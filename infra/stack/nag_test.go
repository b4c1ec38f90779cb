package stack_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"

	"github.com/leadflow/leadflow/infra/stack"
)

// TestNagAwsSolutions: every cdk-nag AwsSolutions finding is either fixed or
// suppressed with a reason; an unsuppressed one is an error annotation.
func TestNagAwsSolutions(t *testing.T) {
	s := synth(t)
	t.Logf("config check and build %s, synthesis %s (placeholder functions: %v)", s.built, s.took, s.placeholders)
	for _, m := range s.messages {
		switch m.Level {
		case cxapi.SynthesisMessageLevel_ERROR:
			t.Errorf("%s: %v", *m.Id, m.Entry.Data)
		case cxapi.SynthesisMessageLevel_WARNING:
			t.Logf("warning %s: %v", *m.Id, m.Entry.Data)
		}
	}
}

// TestProviderSecrets: a provider secret named in the config is readable by
// enrich only, and its ARN wildcard passes cdk-nag with its reason.
func TestProviderSecrets(t *testing.T) {
	synth(t) // builds the bundles reused here
	bundles := map[string]string{}
	for _, n := range stack.FunctionNames() {
		bundles[n] = filepath.Join(tmpRoot, "bundles", n)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: strPtr(t.TempDir())})
	s := stack.NewLeadflowStack(app, "Leadflow", &stack.LeadflowStackProps{Bundles: bundles, ProviderSecrets: []string{"leadflow/company-api"}})
	stack.Check(app)
	art := app.Synth(nil).GetStackArtifact(s.ArtifactId())
	for _, m := range *art.Messages() {
		if m.Level == cxapi.SynthesisMessageLevel_ERROR {
			t.Errorf("%s: %v", *m.Id, m.Entry.Data)
		}
	}
	raw, err := json.Marshal(art.Template())
	if err != nil {
		t.Fatal(err)
	}
	var tpl cfnTemplate
	if err := json.Unmarshal(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	for _, f := range stack.Functions() {
		readable := false
		role := intrinsic(tpl.Resources[tpl.functionID(t, f.Name)].Properties["Role"])
		for _, p := range tpl.ofType("AWS::IAM::Policy") {
			if intrinsic(asSlice(p.Properties["Roles"])[0]) != role {
				continue
			}
			for _, st := range statements(p.Properties["PolicyDocument"]) {
				res, _ := json.Marshal(st["Resource"])
				readable = readable || strings.Contains(string(res), ":secret:leadflow/company-api-??????")
			}
		}
		if want := f.Access&stack.AccessProviderSecrets != 0; readable != want {
			t.Errorf("%s may read the provider secret: %v, want %v", f.Name, readable, want)
		}
	}
}
