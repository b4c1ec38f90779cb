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
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// rie runs one function binary under the Lambda Runtime Interface
// Emulator, on loopback ports of its own, and invokes it one request at a
// time.
type rie struct {
	cmd    *exec.Cmd
	invoke string // the invocation URL
	mu     sync.Mutex
	seq    int
	// reports receives the REPORT line of each invocation by request id.
	reports map[string]chan report
	logged  int64 // bytes the function and the emulator wrote to stdout
	done    chan struct{}
}

// report is what the emulator's REPORT line says of one invocation.
type report struct {
	init, duration time.Duration // init is zero on warm invocations
}

var reportLine = regexp.MustCompile(`^REPORT RequestId: (\S+)\s+(?:Init Duration: ([0-9.]+) ms\s+)?Duration: ([0-9.]+) ms`)

// startRIE starts the emulator for binary with env as the function's
// whole environment. The emulator starts the function at the first
// invocation, as Lambda does at a cold start.
func startRIE(ctx context.Context, emulator, binary string, env []string) (*rie, error) {
	apiPort, err := freePort()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(emulator,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(apiPort),
		"--log-level", "error",
		binary)
	cmd.Env = env
	// Its own process group, so that stopping it stops the function too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", emulator, err)
	}
	r := &rie{cmd: cmd, invoke: "http://" + addr + "/2015-03-31/functions/function/invocations", reports: map[string]chan report{}, done: make(chan struct{})}
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
		var rep report
		if m[2] != "" {
			rep.init = millis(m[2])
		}
		rep.duration = millis(m[3])
		r.channel(m[1]) <- rep
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
