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
	ctx       context.Context
	emulator  string
	binDir    string
	envOf     func(string) []string
	running   map[string]*rie
	durations map[string][]time.Duration
	base      int64 // log bytes before the measured run
}

func newWarm(ctx context.Context, emulator, binDir string, envOf func(string) []string) *warmPool {
	return &warmPool{ctx: ctx, emulator: emulator, binDir: binDir, envOf: envOf, running: map[string]*rie{}, durations: map[string][]time.Duration{}}
}

// invoke is the pool's cloudbox.Invoker.
func (w *warmPool) invoke(ctx context.Context, function string, event []byte) ([]byte, error) {
	r, ok := w.running[function]
	if !ok {
		var err error
		if r, err = startRIE(w.ctx, w.emulator, filepath.Join(w.binDir, function), w.envOf(function)); err != nil {
			return nil, err
		}
		w.running[function] = r
	}
	out, rep, err := r.call(ctx, event)
	if rep.init == 0 && rep.duration > 0 {
		w.durations[function] = append(w.durations[function], rep.duration)
	}
	return out, err
}

// reset forgets the durations and log bytes so far (the warm-up).
func (w *warmPool) reset() {
	w.durations = map[string][]time.Duration{}
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
