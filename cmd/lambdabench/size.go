package main

import (
	"bufio"
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// hostBuild builds the main packages pkgs (module-relative directories) for
// this machine's architecture
// with the build settings of reference (a bootstrap that
// stack.BuildFunctions made), so the emulator runs the same program Lambda
// would: tags, -trimpath and CGO_ENABLED as its build info records them,
// and, since -trimpath keeps -ldflags out of the build info, -s and -w when
// it has no symbol table and no DWARF. With strip false, those are left
// out, keeping the symbols for sizing. Returns the directory holding one
// binary per package, named after its last path element.
func hostBuild(ctx context.Context, moduleDir, reference, out string, pkgs []string, strip bool) (string, error) {
	info, err := buildinfo.ReadFile(reference)
	if err != nil {
		return "", fmt.Errorf("read build settings of %s: %w", reference, err)
	}
	args := []string{"build"}
	env := append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH)
	ldflags := ""
	for _, s := range info.Settings {
		switch s.Key {
		case "-tags", "-gcflags", "-asmflags":
			args = append(args, s.Key, s.Value)
		case "-ldflags":
			ldflags = s.Value
		case "-trimpath":
			if s.Value == "true" {
				args = append(args, "-trimpath")
			}
		case "CGO_ENABLED":
			env = append(env, "CGO_ENABLED="+s.Value)
		}
	}
	if ldflags == "" {
		ldflags = strippedFlags(reference)
	}
	if strip && ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	args = append(args, "-o", out+string(filepath.Separator))
	for _, p := range pkgs {
		args = append(args, "./"+p)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Env = moduleDir, env
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, msg)
	}
	return out, nil
}

// strippedFlags returns the linker flags that strip what binary lacks:
// -s for the symbol table, -w for DWARF.
func strippedFlags(binary string) string {
	f, err := elf.Open(binary)
	if err != nil {
		return ""
	}
	defer f.Close()
	var flags []string
	if f.Section(".symtab") == nil {
		flags = append(flags, "-s")
	}
	if f.Section(".debug_info") == nil && f.Section(".zdebug_info") == nil {
		flags = append(flags, "-w")
	}
	return strings.Join(flags, " ")
}

// moduleShare is the symbol bytes one module contributes to a binary.
type moduleShare struct {
	module string
	bytes  int64
}

// symbolsByModule sums the sizes of binary's symbols (go tool nm) by the
// module that defines them; the standard library is "std", and the
// linker's type and itab data "runtime metadata". Returns the shares,
// largest first, and their total.
func symbolsByModule(ctx context.Context, binary string) ([]moduleShare, int64, error) {
	info, err := buildinfo.ReadFile(binary)
	if err != nil {
		return nil, 0, err
	}
	modules := []string{info.Main.Path}
	for _, d := range info.Deps {
		modules = append(modules, d.Path)
	}
	sort.Slice(modules, func(i, j int) bool { return len(modules[i]) > len(modules[j]) })
	out, err := exec.CommandContext(ctx, "go", "tool", "nm", "-size", binary).Output()
	if err != nil {
		return nil, 0, fmt.Errorf("go tool nm %s: %w", binary, err)
	}
	// Zeroed data (.bss, .noptrbss) takes memory, not file bytes.
	f, err := elf.Open(binary)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	inFile := func(addr uint64) bool {
		for _, s := range f.Sections {
			if s.Addr <= addr && addr < s.Addr+s.Size {
				return s.Type != elf.SHT_NOBITS
			}
		}
		return false
	}
	sums := map[string]int64{}
	var total int64
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			continue
		}
		addr, err := strconv.ParseUint(fields[0], 16, 64)
		if err != nil {
			continue
		}
		size, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil || size == 0 || !inFile(addr) {
			continue
		}
		name := strings.Join(fields[3:], " ")
		sums[moduleOf(symbolPackage(name), modules)] += size
		total += size
	}
	shares := make([]moduleShare, 0, len(sums))
	for m, b := range sums {
		shares = append(shares, moduleShare{m, b})
	}
	sort.Slice(shares, func(i, j int) bool { return shares[i].bytes > shares[j].bytes })
	return shares, total, nil
}

// symbolPackage returns the import path of a Go symbol name such as
// "github.com/a/b/c.(*T).M" or "slices.Sort[...]".
func symbolPackage(name string) string {
	if strings.HasPrefix(name, "type:") || strings.HasPrefix(name, "go:") || strings.HasPrefix(name, "go.") {
		return "runtime metadata"
	}
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	slash := strings.LastIndexByte(name, '/')
	if dot := strings.IndexByte(name[slash+1:], '.'); dot >= 0 {
		return name[:slash+1+dot]
	}
	return name
}

func moduleOf(pkg string, modules []string) string {
	if pkg == "runtime metadata" {
		return pkg
	}
	for _, m := range modules {
		if pkg == m || strings.HasPrefix(pkg, m+"/") {
			return m
		}
	}
	if first, _, _ := strings.Cut(pkg, "/"); !strings.Contains(first, ".") {
		return "std"
	}
	return "other"
}
