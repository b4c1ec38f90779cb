package stack

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/leadflow/leadflow/shared/wire"
)

// ConfigFileName is the name of the config file inside every function
// bundle, next to bootstrap; the functions find it through awsenv.Config.
const ConfigFileName = "leadflow.yaml"

// BuildOptions tell BuildFunctions what to compile and where.
type BuildOptions struct {
	// ModuleDir is the Go module root holding functions/<name>/.
	ModuleDir string
	// Names are the functions to build (see FunctionNames).
	Names []string
	// OutDir receives one directory per function: OutDir/<name>/bootstrap
	// OutDir/<name>/leadflow.yaml and its compiled form.
	OutDir string
	// ConfigFile is copied into every bundle as ConfigFileName.
	ConfigFile string
	// CompiledConfig, the config's compiled form (configfile.Compile), is
	// written into every bundle as wire.CompiledConfigFile: the functions
	// load it instead of linking a YAML parser and the CEL checker.
	CompiledConfig []byte
	// ConfigDeps are files the config names by paths relative to its
	// directory (enrichment datasets); each is copied to the same relative
	// path in every bundle, so the config loads there as it does here.
	ConfigDeps []string
	// Go is the go command; "go" when empty.
	Go string
}

// BuildFunctions cross-compiles every named function for Lambda
// (linux/arm64, provided.al2023: a static binary named bootstrap, built with
// -tags lambda.norpc, trimmed and stripped) in one go invocation, and copies
// the config file next to each binary. It returns the bundle directory of each
// function, ready for awslambda.Code_FromAsset. Returns an error naming the
// failing package with the compiler's output when the build fails, or the
// file when the config cannot be copied.
func BuildFunctions(ctx context.Context, o BuildOptions) (map[string]string, error) {
	if len(o.Names) == 0 {
		return nil, fmt.Errorf("build functions: no function names")
	}
	goCmd := o.Go
	if goCmd == "" {
		goCmd = "go"
	}
	files := map[string][]byte{ConfigFileName: nil, wire.CompiledConfigFile: o.CompiledConfig}
	var err error
	if files[ConfigFileName], err = os.ReadFile(o.ConfigFile); err != nil {
		return nil, fmt.Errorf("build functions: read config: %w", err)
	}
	for _, rel := range o.ConfigDeps {
		if !filepath.IsLocal(rel) {
			return nil, fmt.Errorf("build functions: config file %q is not inside the config's directory", rel)
		}
		if files[rel], err = os.ReadFile(filepath.Join(filepath.Dir(o.ConfigFile), rel)); err != nil {
			return nil, fmt.Errorf("build functions: read config file: %w", err)
		}
	}
	// go build -o DIR/ with several main packages writes DIR/<last path
	// element> for each; they are then moved into their bundles.
	bin := filepath.Join(o.OutDir, ".bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, fmt.Errorf("build functions: %w", err)
	}
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", bin + string(filepath.Separator)}
	for _, n := range o.Names {
		args = append(args, "./functions/"+n)
	}
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = o.ModuleDir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("build functions in %s: %w\n%s", o.ModuleDir, err, strings.TrimSpace(out.String()))
	}
	dirs := make(map[string]string, len(o.Names))
	for _, n := range o.Names {
		dir := filepath.Join(o.OutDir, n)
		if err := bundle(dir, filepath.Join(bin, n), files); err != nil {
			return nil, fmt.Errorf("bundle function %s: %w", n, err)
		}
		dirs[n] = dir
	}
	return dirs, os.RemoveAll(bin)
}

// bundle makes dir hold exactly bootstrap and the config files, so the asset
// hash changes only when one of them does.
func bundle(dir, binary string, files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Rename(binary, filepath.Join(dir, "bootstrap")); err != nil {
		return err
	}
	for rel, data := range files {
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
