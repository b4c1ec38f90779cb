// Package cloudbox deploys leadflow's synthesized stack into a moto server
// (a local imitation of the AWS APIs) and drives leads through the deployed
// resources with the real adapters, a test driver playing Lambda's part:
// API Gateway's request to capture, and each event source mapping's poll of
// its queue. The infra tests and the Lambda benchmark use it; it needs
// python3 with moto[server] 5.2.1 installed.
package cloudbox

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsclient"
	"github.com/leadflow/leadflow/shared/awsenv"
)

// Region and Account are where moto puts every resource.
const (
	Region  = "us-east-1"
	Account = "123456789012"
)

// serve runs moto's WSGI app with every request under one lock: moto's
// threaded server lets concurrent requests interleave inside a backend,
// while AWS makes each request atomic, and the handlers run a batch's
// records concurrently. Connections stay concurrent.
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

// Moto is a running moto server on 127.0.0.1.
type Moto struct {
	// Endpoint is the server's base URL.
	Endpoint string
	cmd      *exec.Cmd
	exited   chan struct{}
}

// StartMoto launches moto on a free loopback port and waits until it
// answers, retrying once or twice if another process takes the port first.
// Returns an error saying how to install moto when python3 cannot import it.
func StartMoto(ctx context.Context) (*Moto, error) {
	if err := exec.CommandContext(ctx, "python3", "-c", "import moto.server").Run(); err != nil {
		return nil, fmt.Errorf("moto is not installed (python3 -c 'import moto.server': %v); install it with: pip install 'moto[server]==5.2.1'", err)
	}
	var lastErr error
	for range 3 {
		m, err := launch(ctx)
		if err == nil {
			return m, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func launch(ctx context.Context) (*Moto, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("python3", "-c", serve, "127.0.0.1", strconv.Itoa(port))
	if os.Getenv("MOTO_VERBOSE") != "" {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	m := &Moto{Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(m.exited)
	}()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-m.exited:
			return nil, fmt.Errorf("moto exited before answering on port %d (set MOTO_VERBOSE=1 to see its output)", port)
		case <-ctx.Done():
			m.Close()
			return nil, ctx.Err()
		default:
		}
		if resp, err := client.Get(m.Endpoint + "/moto-api/"); err == nil {
			resp.Body.Close()
			return m, nil
		}
		// Polling is the only readiness signal moto gives.
		time.Sleep(50 * time.Millisecond)
	}
	m.Close()
	return nil, fmt.Errorf("moto did not answer on port %d within 30s", port)
}

// Close stops the server; it is killed if it has not exited after 5s.
func (m *Moto) Close() error {
	_ = m.cmd.Process.Signal(os.Interrupt)
	select {
	case <-m.exited:
	case <-time.After(5 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.exited
	}
	return nil
}

// Env returns the variables that aim a function at endpoint (moto, or a
// proxy in front of it) in Region, as awsclient.Load reads them.
func Env(endpoint string) map[string]string {
	return map[string]string{awsenv.EndpointOverride: endpoint, "AWS_REGION": Region}
}

// AWSConfig returns an aws.Config aimed at endpoint, built by the same
// awsclient.Load the functions use. Returns EUNAVAILABLE as Load does.
func AWSConfig(ctx context.Context, endpoint string) (aws.Config, error) {
	env := Env(endpoint)
	return awsclient.Load(ctx, func(k string) string { return env[k] })
}
