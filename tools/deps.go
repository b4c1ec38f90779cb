//go:build tools

// Package tools pins modules that are fetched before their importers exist.
package tools
