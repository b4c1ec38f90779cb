package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func init() {
	register("import", "bulk-capture a CSV through the capture path: import FILE.csv --form NAME", runImport)
}

// importRow is one CSV row to capture.
type importRow struct {
	line   int
	fields map[string]string
}

// rowError is a rejected row with the API's reason.
type rowError struct {
	line int
	err  error
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if isHistoryImport(args) {
		return runHistoryImport(ctx, args, stdout, stderr)
	}
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	form := fs.String("form", "", "the form whose field map applies (e.g. webinar-registration)")
	workers := fs.Int("concurrency", 16, "parallel requests")
	quiet := fs.Bool("quiet", false, "no progress bar")
	mk := clientFlags(fs)
	// Accept the file before or after the flags.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	}
	if file == "" || *form == "" {
		fmt.Fprintln(stderr, "usage: leadflow import FILE.csv --form NAME")
		return 2
	}
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintf(stderr, "leadflow import: %v\n", err)
		return 1
	}
	defer f.Close()
	rows, err := readRows(f)
	if err != nil {
		fmt.Fprintf(stderr, "leadflow import: %s: %v\n", file, err)
		return 1
	}
	c := mk()
	c.http.Transport = &http.Transport{MaxIdleConnsPerHost: *workers}
	res := importRows(ctx, c, *form, filepath.Base(file), rows, *workers, progressTo(stderr, *quiet, len(rows)))
	fmt.Fprintf(stdout, "imported %s: %d rows, %d accepted, %d rejected in %s (%.0f rows/s)\n",
		file, len(rows), res.accepted, len(res.rejected), res.elapsed.Round(time.Millisecond), float64(len(rows))/res.elapsed.Seconds())
	const shown = 50
	for i, r := range res.rejected {
		if i == shown {
			fmt.Fprintf(stdout, "  … and %d more rejected rows\n", len(res.rejected)-shown)
			break
		}
		fmt.Fprintf(stdout, "  line %d: %v\n", r.line, r.err)
	}
	if len(res.rejected) > 0 {
		return 1
	}
	return 0
}

func readRows(r io.Reader) ([]importRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
	}
	var rows []importRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		// After the error check: FieldPos panics when the read failed.
		line, _ := cr.FieldPos(0)
		fields := make(map[string]string, len(header))
		for i, v := range rec {
			if i < len(header) && header[i] != "" && v != "" {
				fields[header[i]] = v
			}
		}
		rows = append(rows, importRow{line: line, fields: fields})
	}
}

type importResult struct {
	accepted int64
	rejected []rowError
	elapsed  time.Duration
}

// importRows posts every row through POST /v1/forms/{form}. Each row's
// Idempotency-Key derives from the file and the row, so a re-run of the
// same import creates nothing new.
func importRows(ctx context.Context, c *client, form, name string, rows []importRow, workers int, progress func(done, rejected int64)) importResult {
	startAt := time.Now()
	var res importResult
	var done, rejected int64
	var mu sync.Mutex
	next := make(chan importRow)
	var wg sync.WaitGroup
	for i := 0; i < max(1, workers); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for row := range next {
				err := postRow(ctx, c, form, name, row)
				if err != nil {
					mu.Lock()
					res.rejected = append(res.rejected, rowError{line: row.line, err: err})
					mu.Unlock()
					atomic.AddInt64(&rejected, 1)
				} else {
					atomic.AddInt64(&res.accepted, 1)
				}
				progress(atomic.AddInt64(&done, 1), atomic.LoadInt64(&rejected))
			}
		}()
	}
	for _, r := range rows {
		select {
		case next <- r:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	res.elapsed = time.Since(startAt)
	slices.SortFunc(res.rejected, func(a, b rowError) int { return a.line - b.line })
	return res
}

func postRow(ctx context.Context, c *client, form, name string, row importRow) error {
	body, _ := json.Marshal(row.fields)
	sum := sha256.Sum256(append([]byte(fmt.Sprintf("%s\x00%d\x00", name, row.line)), body...))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/forms/"+url.PathEscape(form), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Idempotency-Key", "import-"+hex.EncodeToString(sum[:16]))
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode == http.StatusAccepted {
		return nil
	}
	var e struct {
		Error struct{ Code, Message, Field string } `json:"error"`
	}
	_ = json.Unmarshal(raw, &e)
	return &apiError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message, Field: e.Error.Field}
}

// progressTo draws a progress bar on w, at most every 100 ms.
func progressTo(w io.Writer, quiet bool, total int) func(done, rejected int64) {
	if quiet || total == 0 {
		return func(int64, int64) {}
	}
	var mu sync.Mutex
	var last time.Time
	startAt := time.Now()
	return func(done, rejected int64) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < 100*time.Millisecond && done != int64(total) {
			return
		}
		last = time.Now()
		const width = 30
		filled := int(done) * width / total
		rate := float64(done) / time.Since(startAt).Seconds()
		fmt.Fprintf(w, "\r[%s%s] %d/%d rows  %d rejected  %.0f rows/s", strings.Repeat("#", filled), strings.Repeat(" ", width-filled), done, total, rejected, rate)
		if done == int64(total) {
			fmt.Fprintln(w)
		}
	}
}
