package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// rie runs one function binary under the Lambda Runtime Interface
// Emulator, on loopback ports of its own, and invokes it one request at a
// time. The function reaches the emulator's Runtime API through a proxy
// that notes its first request for an invocation, which ends its init.
type rie struct {
	cmd    *exec.Cmd
	invoke string // the invocation URL
	api    *http.Server
	mu     sync.Mutex
	seq    int
	// sent is when the first invocation was sent (the emulator starts the
	// function then) and polled when the function first asked for an
	// invocation.
	sent, polled time.Time
	// aws reports the time spent in AWS calls so far (the counter's), to
	// tell the init's own work from its waits on moto.
	aws                func() time.Duration
	awsSent, awsPolled time.Duration
	// reports receives the REPORT line of each invocation by request id.
	reports map[string]chan report
	logged  int64 // bytes the function and the emulator wrote to stdout
	done    chan struct{}
}

// report is what the emulator's REPORT line says of one invocation, with
// the init measured through the Runtime API proxy.
type report struct {
	init, duration time.Duration // init is zero on warm invocations
	initAWS        time.Duration // of init, the time spent in AWS calls
}

var reportLine = regexp.MustCompile(`^REPORT RequestId: (\S+)\s+(Init Duration: [0-9.]+ ms\s+)?Duration: ([0-9.]+) ms`)

// startRIE starts the emulator for binary with env as the function's
// whole environment; dir receives the wrapper that points the function at
// the Runtime API proxy. The emulator starts the function at the first
// invocation, as Lambda does at a cold start.
func startRIE(ctx context.Context, emulator, binary, dir string, env []string, aws func() time.Duration) (*rie, error) {
	apiPort, err := freePort()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	r := &rie{reports: map[string]chan report{}, done: make(chan struct{}), aws: aws}
	proxied, err := r.serveRuntimeAPI("127.0.0.1:" + strconv.Itoa(apiPort))
	if err != nil {
		return nil, err
	}
	// The emulator sets AWS_LAMBDA_RUNTIME_API for the process it starts;
	// the wrapper re-points it at the proxy, costing one exec of sh.
	wrapper := filepath.Join(dir, filepath.Base(binary)+".sh")
	script := "#!/bin/sh\nAWS_LAMBDA_RUNTIME_API=" + proxied + " exec " + binary + "\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		r.api.Close()
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(emulator,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(apiPort),
		"--log-level", "error",
		wrapper)
	cmd.Env = env
	// Its own process group, so that stopping it stops the function too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		r.api.Close()
		return nil, fmt.Errorf("start %s: %w", emulator, err)
	}
	r.cmd, r.invoke = cmd, "http://"+addr+"/2015-03-31/functions/function/invocations"
	go r.scan(out)
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			conn.Close()
			return r, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			r.stop()
			return nil, fmt.Errorf("emulator for %s did not listen on %s", binary, addr)
		}
		// The emulator gives no readiness signal but its listening port.
		time.Sleep(10 * time.Millisecond)
	}
}

// serveRuntimeAPI proxies a free loopback port to the emulator's Runtime
// API at target and returns the port's address.
func (r *rie) serveRuntimeAPI(target string) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target})
	// A function stopped while it waits for an invocation breaks its
	// request; that is how every run ends, not an error.
	proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	r.api = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasSuffix(req.URL.Path, "/runtime/invocation/next") {
			r.mu.Lock()
			if r.polled.IsZero() {
				r.polled, r.awsPolled = time.Now(), r.aws()
			}
			r.mu.Unlock()
		}
		proxy.ServeHTTP(w, req)
	})}
	go func() { _ = r.api.Serve(l) }()
	return l.Addr().String(), nil
}

func (r *rie) scan(out io.Reader) {
	defer close(r.done)
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		r.mu.Lock()
		r.logged += int64(len(line) + 1)
		r.mu.Unlock()
		m := reportLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		r.channel(m[1]) <- report{duration: millis(m[3])}
	}
}

func millis(s string) time.Duration {
	f, _ := strconv.ParseFloat(s, 64) // the pattern admits only numbers
	return time.Duration(f * float64(time.Millisecond))
}

func (r *rie) channel(id string) chan report {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch, ok := r.reports[id]
	if !ok {
		ch = make(chan report, 1)
		r.reports[id] = ch
	}
	return ch
}

// call invokes the function once with event and returns its response and
// the emulator's report. A function error (errorMessage in the response) is
// returned as an error, with the report.
func (r *rie) call(ctx context.Context, event []byte) ([]byte, report, error) {
	r.mu.Lock()
	r.seq++
	id := fmt.Sprintf("bench-%d", r.seq)
	first := r.seq == 1
	if first {
		r.sent, r.awsSent = time.Now(), r.aws()
	}
	r.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.invoke, bytes.NewReader(event))
	if err != nil {
		return nil, report{}, err
	}
	req.Header.Set("X-Amzn-RequestId", id)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, report{}, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, report{}, err
	}
	var rep report
	select {
	case rep = <-r.channel(id):
	case <-time.After(10 * time.Second):
		return body, rep, fmt.Errorf("no REPORT line for %s", id)
	}
	// The emulator's own Init Duration ends when it has started the
	// process, not when the runtime is ready: the init is measured here.
	rep.init = 0
	if first {
		r.mu.Lock()
		if !r.polled.IsZero() {
			rep.init, rep.initAWS = r.polled.Sub(r.sent), r.awsPolled-r.awsSent
		}
		r.mu.Unlock()
		if rep.init <= 0 {
			return body, rep, fmt.Errorf("the function never asked for an invocation")
		}
	}
	var fnErr struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if json.Unmarshal(body, &fnErr) == nil && fnErr.ErrorMessage != "" {
		return body, rep, fmt.Errorf("function error %s: %s", fnErr.ErrorType, fnErr.ErrorMessage)
	}
	return body, rep, nil
}

// loggedBytes returns how many bytes of log lines the function (and the
// emulator's START/END/REPORT lines, as Lambda writes them) produced.
func (r *rie) loggedBytes() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.logged
}

// stop ends the emulator and the function it started.
func (r *rie) stop() {
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	_ = r.cmd.Wait()
	<-r.done
	r.api.Close()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// environ turns a function's variables into an environment list with a
// PATH and an empty HOME, so no shared AWS config of this machine leaks in.
func environ(vars map[string]string, home string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// coldStart starts binary under a fresh emulator, sends it event and
// returns the report of that first invocation, which carries the init.
func coldStart(ctx context.Context, emulator, binary, dir string, env []string, aws func() time.Duration, event []byte) (report, error) {
	r, err := startRIE(ctx, emulator, binary, dir, env, aws)
	if err != nil {
		return report{}, err
	}
	_, rep, callErr := r.call(ctx, event)
	r.stop()
	if rep.init == 0 {
		return report{}, fmt.Errorf("no init measured: %v", callErr)
	}
	return rep, nil
}
