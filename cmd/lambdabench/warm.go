package main

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/leadflow/leadflow/infra/cloudbox"
)

// warmPool keeps one emulator per function, started at the function's
// first invocation, and records every warm invocation's duration.
type warmPool struct {
	ctx      context.Context
	emulator string
	binDir   string
	dir      string // for the emulators' wrappers
	envOf    func(string) []string
	count    *counter
	running  map[string]*rie
	warm     map[string][]warmCall
	base     int64 // log bytes before the measured run
}

// warmCall is one warm invocation: its duration, and the AWS requests it
// made through the counter with the time spent in them.
type warmCall struct {
	duration, waited time.Duration
	requests         int
}

func newWarm(ctx context.Context, emulator, binDir, dir string, envOf func(string) []string, count *counter) *warmPool {
	return &warmPool{ctx: ctx, emulator: emulator, binDir: binDir, dir: dir, envOf: envOf, count: count, running: map[string]*rie{}, warm: map[string][]warmCall{}}
}

// invoke is the pool's cloudbox.Invoker.
func (w *warmPool) invoke(ctx context.Context, function string, event []byte) ([]byte, error) {
	r, ok := w.running[function]
	if !ok {
		var err error
		if r, err = startRIE(w.ctx, w.emulator, filepath.Join(w.binDir, function), w.dir, w.envOf(function), w.count.waitedSoFar); err != nil {
			return nil, err
		}
		w.running[function] = r
	}
	n0, t0 := w.count.totals()
	out, rep, err := r.call(ctx, event)
	n1, t1 := w.count.totals()
	if rep.init == 0 && rep.duration > 0 {
		w.warm[function] = append(w.warm[function], warmCall{duration: rep.duration, waited: t1 - t0, requests: n1 - n0})
	}
	return out, err
}

// reset forgets the durations and log bytes so far (the warm-up).
func (w *warmPool) reset() {
	w.warm = map[string][]warmCall{}
	w.base = w.total()
}

func (w *warmPool) total() int64 {
	var n int64
	for _, r := range w.running {
		n += r.loggedBytes()
	}
	return n
}

// logged returns the log bytes written since reset.
func (w *warmPool) logged() int64 { return w.total() - w.base }

// timerTasks calls each timer task with the input of every execution its
// state machine holds, as the Task state would.
func (w *warmPool) timerTasks(ctx context.Context, client *awssfn.Client, st *cloudbox.Stack) error {
	for function, output := range map[string]string{"sla": "SlaStateMachineArn", "touch": "NurtureStateMachineArn"} {
		list, err := client.ListExecutions(ctx, &awssfn.ListExecutionsInput{StateMachineArn: aws.String(st.Outputs[output])})
		if err != nil {
			return fmt.Errorf("list %s executions: %w", function, err)
		}
		for _, e := range list.Executions {
			desc, err := client.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: e.ExecutionArn})
			if err != nil {
				return fmt.Errorf("describe %s execution: %w", function, err)
			}
			if _, err := w.invoke(ctx, function, []byte(aws.ToString(desc.Input))); err != nil {
				return fmt.Errorf("%s task: %w", function, err)
			}
		}
	}
	return nil
}

func (w *warmPool) stop() {
	for _, r := range w.running {
		r.stop()
	}
}

func hostArch() string { return runtime.GOARCH }
