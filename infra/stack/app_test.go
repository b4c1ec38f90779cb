package stack_test

import (
	"context"
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/leadflow/leadflow/infra/stack"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/configfile"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
	"github.com/leadflow/leadflow/shared/wire"
)

// TestBadConfigFailsSynth: a config whose CEL rule does not compile stops
// the app before anything is built, with the file:line of the rule.
func TestBadConfigFailsSynth(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(root, stack.ConfigFileName))
	if err != nil {
		t.Fatal(err)
	}
	const rule = "url_path(activity.url).contains('/pricing')"
	lines := strings.Split(string(good), "\n")
	line := 0
	for i, l := range lines {
		if strings.Contains(l, rule) {
			lines[i], line = strings.Replace(l, rule, "url_path(activity.url).contains(", 1), i+1
			break
		}
	}
	if line == 0 {
		t.Fatalf("the shipped config has no rule %q to break", rule)
	}
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, stack.ConfigFileName)
	if err := os.WriteFile(cfgFile, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	// The datasets the config names, so that the CEL rule is the only fault.
	cfg, err := configfile.Load(filepath.Join(root, stack.ConfigFileName), celrules.Compile)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range cfg.Enrichment.Providers {
		if p.Kind == config.ProviderDataset {
			copyFile(t, filepath.Join(root, p.Dataset), filepath.Join(dir, p.Dataset))
		}
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: strPtr(filepath.Join(dir, "cdk.out"))})
	_, err = stack.AddLeadflow(context.Background(), app, "Leadflow", stack.AppOptions{
		ModuleDir: filepath.Join(dir, "no-module"), ConfigFile: cfgFile, BuildDir: filepath.Join(dir, "build"),
	})
	var errs config.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v, want config.Errors", err)
	}
	want := stack.ConfigFileName + ":" + strconv.Itoa(line) + ":"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error does not name %s:\n%v", want, err)
	}
	if _, statErr := os.Stat(filepath.Join(dir, "build")); !os.IsNotExist(statErr) {
		t.Errorf("functions were built despite the bad config")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBuildFunctions builds placeholder functions: each bundle holds an
// arm64 Linux bootstrap and the config files at their relative paths.
func TestBuildFunctions(t *testing.T) {
	dir := t.TempDir()
	names := []string{"one", "two"}
	if err := writePlaceholderModule(filepath.Join(dir, "mod"), names); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "cfg", "leadflow.yaml")
	copyFileBytes(t, cfgFile, "version: test\n")
	copyFileBytes(t, filepath.Join(dir, "cfg", "data", "companies.csv"), "domain\n")
	bundles, err := stack.BuildFunctions(context.Background(), stack.BuildOptions{
		ModuleDir: filepath.Join(dir, "mod"), Names: names, OutDir: filepath.Join(dir, "out"),
		ConfigFile: cfgFile, ConfigDeps: []string{"data/companies.csv"}, CompiledConfig: []byte(`{"Config":{}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			b := bundles[n]
			f, err := elf.Open(filepath.Join(b, "bootstrap"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Machine != elf.EM_AARCH64 || f.OSABI != elf.ELFOSABI_NONE {
				t.Errorf("bootstrap is %v/%v, want linux arm64", f.Machine, f.OSABI)
			}
			if f.Section(".symtab") != nil {
				t.Errorf("bootstrap is not stripped")
			}
			for rel, want := range map[string]string{stack.ConfigFileName: "version: test\n", "data/companies.csv": "domain\n", wire.CompiledConfigFile: `{"Config":{}}`} {
				got, err := os.ReadFile(filepath.Join(b, rel))
				if err != nil || string(got) != want {
					t.Errorf("%s = %q, %v; want %q", rel, got, err, want)
				}
			}
		})
	}
}

func copyFileBytes(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBuildFunctionsErrors(t *testing.T) {
	dir := t.TempDir()
	if err := writePlaceholderModule(filepath.Join(dir, "mod"), []string{"one"}); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "leadflow.yaml")
	copyFileBytes(t, cfgFile, "version: test\n")
	tests := []struct {
		name string
		opts stack.BuildOptions
		want string
	}{
		{"missing function", stack.BuildOptions{Names: []string{"one", "absent"}, ConfigFile: cfgFile}, "functions/absent"},
		{"missing config", stack.BuildOptions{Names: []string{"one"}, ConfigFile: filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
		{"config dep outside", stack.BuildOptions{Names: []string{"one"}, ConfigFile: cfgFile, ConfigDeps: []string{"../x.csv"}}, "../x.csv"},
		{"no names", stack.BuildOptions{ConfigFile: cfgFile}, "no function names"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.ModuleDir, tc.opts.OutDir = filepath.Join(dir, "mod"), t.TempDir()
			_, err := stack.BuildFunctions(context.Background(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one naming %q", err, tc.want)
			}
		})
	}
}

// TestMissingBundleIsASynthError: a function without a bundle is reported
// on the stack, which fails synthesis, instead of a panic.
func TestMissingBundleIsASynthError(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: strPtr(t.TempDir())})
	s := stack.NewLeadflowStack(app, "Leadflow", &stack.LeadflowStackProps{})
	noPanic(t, func() {
		assertions.Annotations_FromStack(s).HasError(strPtr("/Leadflow"), assertions.Match_StringLikeRegexp(strPtr("no bundle for functions capture, api")))
	})
}
