package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/configfile"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
)

func init() {
	register("validate", "check a config file, every error with its line: validate [FILE]", runValidate)
}

func runValidate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: leadflow validate [FILE]  (default ./leadflow.yaml, else the shipped config)")
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil || len(pos) > 1 {
		fs.Usage()
		return 2
	}
	path := configPath(first(pos))
	cfg, ok := openConfig(path, stderr)
	if !ok {
		return 1
	}
	rc := cfg.RoutingConfig
	fmt.Fprintf(stdout, "ok: %s (version %s: %d rules, %d reps in %d teams, %d forms, %d cadences, %d enrichment providers, %d scenarios)\n",
		configName(path), cfg.Version, len(cfg.Scoring.Spec().Rules), len(rc.Reps), len(rc.Teams), len(cfg.Forms), len(cfg.Nurture), len(cfg.Enrichment.Providers), len(cfg.Scenarios))
	return 0
}

// openConfig loads path ("" for the shipped default) and prints every
// config error, one per line, to w when it fails.
func openConfig(path string, w io.Writer) (*config.Config, bool) {
	var (
		cfg *config.Config
		err error
	)
	if path == "" {
		cfg, err = configfile.Default(celrules.Compile)
	} else {
		cfg, err = configfile.Load(path, celrules.Compile)
	}
	var errs config.Errors
	switch {
	case errors.As(err, &errs):
		for _, e := range errs {
			fmt.Fprintln(w, e)
		}
		return nil, false
	case err != nil:
		fmt.Fprintf(w, "leadflow: %v\n", err)
		return nil, false
	}
	return cfg, true
}

func configName(path string) string {
	if path == "" {
		return leadflow.DefaultConfigName + " (shipped default)"
	}
	return path
}

func first(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// parseInterspersed parses flags that may come before or after positional
// arguments ("score FILE --at T") and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
