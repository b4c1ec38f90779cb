package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/embedded"
	"github.com/leadflow/leadflow/shared/history/mappingfile"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/replay"
)

const historyUsage = `usage: leadflow import --history FILE.csv --map MAPPING.yaml [--data DIR] [--activity SIGNAL=TYPE,…]
  Loads a CRM export of past leads, with their activities and outcomes, straight into the
  embedded store DIR/store.db (default ./.data). It needs the store to itself: stop
  ` + "`leadflow dev`" + ` first (the file is locked while it runs). Importing the same file
  again adds nothing. A signal named after an activity type (page_view, email_open, …)
  becomes that many activities; --activity maps other signals (visits=page_view).`

// isHistoryImport reports whether import's arguments ask for a history
// import rather than a capture through the API.
func isHistoryImport(args []string) bool {
	for _, a := range args {
		if a == "--history" || a == "-history" || strings.HasPrefix(a, "--history=") || strings.HasPrefix(a, "-history=") {
			return true
		}
	}
	return false
}

// runHistoryImport is `leadflow import --history`.
func runHistoryImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("import --history", flag.ContinueOnError)
	fl.SetOutput(stderr)
	file := fl.String("history", "", "history CSV exported from the CRM")
	mapping := fl.String("map", "", "history mapping YAML")
	data := fl.String("data", ".data", "data directory of the embedded store")
	activity := fl.String("activity", "", "signals to turn into activities, as SIGNAL=TYPE pairs, comma-separated")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	acts, err := parseActivityMap(*activity)
	if *file == "" || *mapping == "" || fl.NArg() > 0 || err != nil {
		if err != nil {
			fmt.Fprintf(stderr, "leadflow import: %v\n", err)
		}
		fmt.Fprintln(stderr, historyUsage)
		return 2
	}
	start := time.Now()
	items, err := loadHistory(*file, *mapping, acts)
	if err != nil {
		fmt.Fprintf(stderr, "leadflow import: %v\n", err)
		return 1
	}
	st, err := openStore(*data, true)
	if err != nil {
		fmt.Fprintf(stderr, "leadflow import: %v\n", err)
		return 1
	}
	defer st.Close()
	// Many concurrent writers share each commit's fsyncs.
	res, err := replay.Import(ctx, st, items, 256)
	if err != nil {
		fmt.Fprintf(stderr, "leadflow import: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "imported %s: %d leads, %d new, %d already stored, %d activities in %s\n",
		*file, len(items), res.Created, res.Existing, res.Activities, time.Since(start).Round(time.Millisecond))
	return 0
}

// openStore opens the embedded store of a data directory, creating it only
// when create is set: reading a store that is not there is a mistake (a
// wrong --data) better reported than answered with an empty report. Returns
// ENOTFOUND for a missing store and EUNAVAILABLE, with a hint, when another
// process (leadflow dev) holds it.
func openStore(dir string, create bool) (*embedded.Store, error) {
	path := filepath.Join(dir, "store.db")
	if create {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	} else if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, lead.Errorf(lead.ENOTFOUND, "no store at %s: import a history or run `leadflow dev` first", path)
	}
	st, err := embedded.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w (is `leadflow dev` running on %s? it holds the store: stop it first)", err, dir)
	}
	return st, nil
}

// loadHistory reads a history file through its mapping into leads.
func loadHistory(file, mapping string, acts map[string]lead.ActivityType) ([]replay.Item, error) {
	ds, err := mappingfile.LoadDataset(file, mapping)
	if err != nil {
		return nil, err
	}
	return replay.FromHistory(ds, replay.ImportOptions{Activities: acts, Now: time.Now().UTC(), Name: filepath.Base(file)})
}

// parseActivityMap reads "visits=page_view,opens=email_open".
func parseActivityMap(s string) (map[string]lead.ActivityType, error) {
	out := map[string]lead.ActivityType{}
	if s == "" {
		return out, nil
	}
	for pair := range strings.SplitSeq(s, ",") {
		name, typ, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || name == "" || typ == "" {
			return nil, fmt.Errorf("--activity: %q is not SIGNAL=TYPE", pair)
		}
		out[name] = lead.ActivityType(typ)
	}
	return out, nil
}
