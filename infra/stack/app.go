package stack

import (
	"context"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/configfile"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
)

// AppOptions configure AddLeadflow.
type AppOptions struct {
	// ModuleDir is the Go module root holding functions/<name>/.
	ModuleDir string
	// ConfigFile is the leadflow config (leadflow.yaml) shipped to the
	// functions.
	ConfigFile string
	// BuildDir receives the function bundles.
	BuildDir string
	// SenderEmail, AlarmEmail and Slack: see LeadflowStackProps.
	SenderEmail, AlarmEmail string
	Slack                   bool
	// Stack props such as the environment.
	awscdk.StackProps
}

// AddLeadflow is what `cdk synth` runs: it validates the config file, builds
// every function with it and its compiled form (the functions load it
// without linking a YAML parser or CEL), adds the leadflow stack with id to
// app and applies the cdk-nag checks. A config that does not validate (a
// bad CEL rule, an unknown field) returns config.Errors, each naming file,
// line and rule, and nothing is built; a failing build returns the
// compiler's output.
func AddLeadflow(ctx context.Context, app awscdk.App, id string, o AppOptions) (awscdk.Stack, error) {
	cfg, compiled, err := configfile.Compile(o.ConfigFile, celrules.Compile)
	if err != nil {
		return nil, fmt.Errorf("invalid config:\n%w", err)
	}
	var deps, secrets []string
	for _, p := range cfg.Enrichment.Providers {
		if p.Kind == config.ProviderDataset {
			deps = append(deps, p.Dataset)
		}
		if p.Secret != "" {
			secrets = append(secrets, p.Secret)
		}
	}
	bundles, err := BuildFunctions(ctx, BuildOptions{
		ModuleDir:      o.ModuleDir,
		Names:          FunctionNames(),
		OutDir:         o.BuildDir,
		ConfigFile:     o.ConfigFile,
		ConfigDeps:     deps,
		CompiledConfig: compiled,
	})
	if err != nil {
		return nil, err
	}
	stack := NewLeadflowStack(app, id, &LeadflowStackProps{
		StackProps:      o.StackProps,
		Bundles:         bundles,
		CORSOrigins:     cfg.CORSOrigins,
		SenderEmail:     o.SenderEmail,
		AlarmEmail:      o.AlarmEmail,
		Slack:           o.Slack,
		ProviderSecrets: secrets,
	})
	Check(app)
	return stack, nil
}
