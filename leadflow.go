// Package leadflow holds what the module ships besides code: the default
// config file and the offline company dataset it refers to, embedded so that
// every binary can run without files beside it.
package leadflow

import "embed"

// DefaultConfigName is the file name of the default config, used in error
// messages and as the file `leadflow validate` looks for.
const DefaultConfigName = "leadflow.yaml"

// DefaultConfig is the shipped default config: SPEC §5's reference scoring
// model, a demo roster, forms, nurture cadences and enrichment providers.
//
//go:embed leadflow.yaml
var DefaultConfig []byte

// FS holds the default config and the files its relative paths name (the
// company dataset), laid out as in the repository.
//
//go:embed leadflow.yaml examples/companies.csv
var FS embed.FS
