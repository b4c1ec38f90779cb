// Package configfile reads leadflow's config file, YAML, into a checked
// config.Config. Every problem is reported with its file, line and rule:
// unknown keys and values of the wrong type found here, the rest by
// config.Build. It is apart from package config so that a deployed
// function, which loads the compiled form (config.LoadCompiled), links no
// YAML parser.
package configfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/scoring"
)

// Load reads and validates the config file at path, compiling its rule
// expressions with compile (celrules.Compile). Relative paths inside it
// resolve against its directory. Returns config.Errors listing every
// problem, or an error wrapping the read failure.
func Load(path string, compile scoring.Compiler) (*config.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	c, _, err := read(path, data, os.DirFS(filepath.Dir(path)), compile)
	return c, err
}

// Parse validates config data named name (used in errors) as Load does;
// relative paths resolve against name's directory.
func Parse(name string, data []byte, compile scoring.Compiler) (*config.Config, error) {
	c, _, err := read(name, data, os.DirFS(filepath.Dir(name)), compile)
	return c, err
}

// Default returns the shipped default config. It fails only if the
// embedded file is broken, which its tests rule out.
func Default(compile scoring.Compiler) (*config.Config, error) {
	c, _, err := read(leadflow.DefaultConfigName, leadflow.DefaultConfig, leadflow.FS, compile)
	return c, err
}

// Compile loads and validates the config file at path as Load does, and
// also returns its compiled form (config.EncodeCompiled): what `cdk synth`
// ships to the functions. Returns Load's errors.
func Compile(path string, compile scoring.Compiler) (*config.Config, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load config: %w", err)
	}
	var rules scoring.Compiled
	c, doc, err := read(path, data, os.DirFS(filepath.Dir(path)), rules.Record(compile))
	if err != nil {
		return nil, nil, err
	}
	form, err := config.EncodeCompiled(c.File, doc, &rules)
	if err != nil {
		return nil, nil, err
	}
	return c, form, nil
}

// read decodes data strictly (unknown keys are errors) and builds the
// config, returning the decoded document too. Values of the wrong type
// decode as zero and are reported; the rest of the file is still checked.
func read(name string, data []byte, fsys fs.FS, compile scoring.Compiler) (*config.Config, *config.Document, error) {
	f := newFile(filepath.Base(name), data)
	var doc config.Document
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var typeErr *yaml.TypeError
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		return nil, nil, config.Errors{{File: f.name, Line: 1, Message: "empty config"}}
	case errors.As(err, &typeErr):
		f.decodeErrors(typeErr.Errors)
	case err != nil:
		f.decodeErrors([]string{err.Error()}) // a syntax error: nothing to check
		return nil, nil, f.errs
	}
	c, err := config.Build(config.Input{File: f.name, FS: fsys, Doc: &doc, Locator: f, ReadErrors: f.errs}, compile)
	return c, &doc, err
}
