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
	"net/http"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/internal/moto"
	"github.com/leadflow/leadflow/shared/awsclient"
	"github.com/leadflow/leadflow/shared/awsenv"
)

// Region is the region the tests use.
const Region = moto.Region

// Account is the account id moto assigns to every resource.
const Account = moto.Account

func start() (*moto.Server, error) { return moto.Launch(context.Background()) }

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
	tb.Cleanup(func() { s.Close() })
	return s.Endpoint
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
	defer s.Close()
	shared.Lock()
	shared.endpoint = s.Endpoint
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
