// Package motoserver runs a moto server (a local imitation of the AWS APIs)
// for the AWS adapter tests. A package starts one server for all its tests
// from TestMain with Run, and each test reaches it through Endpoint or
// Config.
//
// When python3 or moto is missing the tests fail with a clear message if the
// CI environment variable is "true", and are skipped otherwise.
package motoserver

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsclient"
	"github.com/leadflow/leadflow/shared/awsenv"
)

// Region is the region the tests use.
const Region = "us-east-1"

// Account is the account id moto assigns to every resource.
const Account = "123456789012"

// serve runs moto's own WSGI app (what `python3 -m moto.server` runs) with
// every request under one lock. moto's threaded server lets concurrent
// requests interleave inside its backends, so two racing conditional
// transactions can both succeed; AWS makes each request atomic, and the
// adapters' concurrency tests rely on that. Connections stay concurrent and
// keep-alive; only the handling is serialised.
const serve = `
import os, sys, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()
def serialised(environ, start_response):
    with lock:
        return list(app(environ, start_response))
run_simple(host, port, serialised, threaded=True)
`

// startTimeout bounds how long a server may take to answer its first request.
const startTimeout = 30 * time.Second

// server is one running moto process.
type server struct {
	endpoint string
	cmd      *exec.Cmd
	exited   chan struct{}
}

// start launches moto on a free 127.0.0.1 port and waits until it answers.
// A port taken between choosing it and moto binding it is retried.
func start() (*server, error) {
	if err := exec.Command("python3", "-c", "import moto.server").Run(); err != nil {
		return nil, fmt.Errorf("moto is not installed (python3 -c 'import moto.server': %v); install it with: pip install 'moto[server]==5.2.1'", err)
	}
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := launch(port)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func launch(port int) (*server, error) {
	cmd := exec.Command("python3", "-c", serve, "127.0.0.1", strconv.Itoa(port))
	// moto logs every request; keep its output only when asked to debug.
	if os.Getenv("MOTO_VERBOSE") != "" {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	s := &server{endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	deadline := time.Now().Add(startTimeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("moto exited before answering on port %d (set MOTO_VERBOSE=1 to see its output)", port)
		default:
		}
		resp, err := client.Get(s.endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		// Polling is the only readiness signal moto gives.
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("moto did not answer on port %d within %s", port, startTimeout)
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// inCI reports whether the tests run in CI, where a missing moto is a failure.
func inCI() bool { return os.Getenv("CI") == "true" }

// Start launches a moto server for tb alone and stops it on cleanup. Prefer
// Run in TestMain: one server per package keeps test time low. If moto cannot
// start, tb fails in CI and is skipped elsewhere.
func Start(tb testing.TB) string {
	tb.Helper()
	s, err := start()
	if err != nil {
		unavailable(tb, err)
		return ""
	}
	tb.Cleanup(s.stop)
	return s.endpoint
}

func unavailable(tb testing.TB, err error) {
	tb.Helper()
	if inCI() {
		tb.Fatalf("moto server unavailable: %v", err)
		return
	}
	tb.Skipf("moto server unavailable (CI unset, skipping): %v", err)
}

var shared struct {
	sync.Mutex
	endpoint string
	err      error
}

// Run starts one moto server, runs the package's tests against it and stops
// it; call it from TestMain as os.Exit(motoserver.Run(m)). If moto cannot
// start, Run returns 1 in CI; elsewhere the tests run and those calling
// Endpoint or Config are skipped.
func Run(m *testing.M) int {
	s, err := start()
	if err != nil {
		if inCI() {
			fmt.Fprintf(os.Stderr, "FAIL: moto server unavailable: %v\n", err)
			return 1
		}
		shared.Lock()
		shared.err = err
		shared.Unlock()
		return m.Run()
	}
	defer s.stop()
	shared.Lock()
	shared.endpoint = s.endpoint
	shared.Unlock()
	return m.Run()
}

// Endpoint returns the URL of the server Run started. It fails tb if Run was
// not called, and skips or fails tb (see Run) if moto could not start.
func Endpoint(tb testing.TB) string {
	tb.Helper()
	shared.Lock()
	endpoint, err := shared.endpoint, shared.err
	shared.Unlock()
	if err != nil {
		unavailable(tb, err)
		return ""
	}
	if endpoint == "" {
		tb.Fatal("motoserver.Endpoint called without motoserver.Run in TestMain")
	}
	return endpoint
}

// Config returns an aws.Config aimed at the shared server, built by the same
// awsclient.Load the functions use at cold start.
func Config(tb testing.TB) aws.Config {
	tb.Helper()
	endpoint := Endpoint(tb)
	cfg, err := awsclient.Load(context.Background(), func(name string) string {
		switch name {
		case awsenv.EndpointOverride:
			return endpoint
		case "AWS_REGION":
			return Region
		}
		return ""
	})
	if err != nil {
		tb.Fatalf("aws config for moto: %v", err)
	}
	return cfg
}

// Get fetches path (such as "/moto-api/data.json") from the shared server,
// for assertions on what moto recorded.
func Get(tb testing.TB, path string) []byte {
	tb.Helper()
	resp, err := http.Get(Endpoint(tb) + path)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: status %d: %s", path, resp.StatusCode, body)
	}
	return body
}
