// Command infra is leadflow's CDK app; cdk.json runs it (`go run ./infra`)
// from the repository root. It validates leadflow.yaml, builds every function
// for Lambda and synthesizes the stack. Context values (-c key=value):
// config (path of the config file, default leadflow.yaml), senderEmail (an
// address or domain to send email from), alarmEmail (subscribed to alarms),
// slack=true (owner notifications to a Slack webhook), stack (the stack
// name, default Leadflow).
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/leadflow/leadflow/infra/stack"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	if err := run(app); err != nil {
		fmt.Fprintln(os.Stderr, err)
		jsii.Close()
		os.Exit(1)
	}
	app.Synth(nil)
}

func run(app awscdk.App) error {
	value := func(key, def string) string {
		if v, ok := app.Node().TryGetContext(&key).(string); ok && v != "" {
			return v
		}
		return def
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	config := value("config", stack.ConfigFileName)
	if !filepath.IsAbs(config) {
		config = filepath.Join(root, config)
	}
	_, err = stack.AddLeadflow(context.Background(), app, value("stack", "Leadflow"), stack.AppOptions{
		ModuleDir:   root,
		ConfigFile:  config,
		BuildDir:    filepath.Join(root, "bin", "lambda"),
		SenderEmail: value("senderEmail", ""),
		AlarmEmail:  value("alarmEmail", ""),
		Slack:       value("slack", "") == "true",
	})
	return err
}
