// Package moto launches a moto server (a local imitation of the AWS APIs) on
// a free 127.0.0.1 port: the AWS adapter tests, the cloud-in-a-box test and
// the Lambda benchmark all run against one started this way.
package moto

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// Region is the region every client aims at moto.
const Region = "us-east-1"

// Account is the account id moto assigns to every resource.
const Account = "123456789012"

// serve runs moto's own WSGI app (what `python3 -m moto.server` runs) with
// every request under one lock. moto's threaded server lets concurrent
// requests interleave inside its backends, so two racing conditional
// transactions can both succeed; AWS makes each request atomic, and the
// adapters' concurrency tests and the handlers' concurrent batch records
// rely on that. Connections stay concurrent and keep-alive; only the
// handling is serialised.
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

// Server is one running moto process.
type Server struct {
	// Endpoint is the server's base URL.
	Endpoint string
	cmd      *exec.Cmd
	exited   chan struct{}
}

// Launch starts moto on a free 127.0.0.1 port and waits until it answers
// or ctx ends. A port taken between choosing it and moto binding it is
// retried. Returns an error saying how to install moto when python3 cannot
// import it.
func Launch(ctx context.Context) (*Server, error) {
	if err := exec.CommandContext(ctx, "python3", "-c", "import moto.server").Run(); err != nil {
		return nil, fmt.Errorf("moto is not installed (python3 -c 'import moto.server': %v); install it with: pip install 'moto[server]==5.2.1'", err)
	}
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := launch(ctx, port)
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

func launch(ctx context.Context, port int) (*Server, error) {
	cmd := exec.Command("python3", "-c", serve, "127.0.0.1", strconv.Itoa(port))
	// moto logs every request; keep its output only when asked to debug.
	if os.Getenv("MOTO_VERBOSE") != "" {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	s := &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, exited: make(chan struct{})}
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
		case <-ctx.Done():
			s.Close()
			return nil, ctx.Err()
		default:
		}
		if resp, err := client.Get(s.Endpoint + "/moto-api/"); err == nil {
			resp.Body.Close()
			return s, nil
		}
		// Polling is the only readiness signal moto gives.
		time.Sleep(50 * time.Millisecond)
	}
	s.Close()
	return nil, fmt.Errorf("moto did not answer on port %d within %s", port, startTimeout)
}

// Close stops the server; it is killed if it has not exited after 5 s.
func (s *Server) Close() error {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	return nil
}
