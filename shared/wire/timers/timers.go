// Package timers wires the Step Functions scheduler of the nurture and SLA
// timers into a function.
package timers

import (
	"context"

	"github.com/leadflow/leadflow/shared/awsenv"
	"github.com/leadflow/leadflow/shared/pipeline"
	"github.com/leadflow/leadflow/shared/sfn"
	"github.com/leadflow/leadflow/shared/wire"
)

// Scheduler starts and stops timer executions on the state machines the
// environment names.
var Scheduler = wire.Option{Provides: wire.NeedScheduler, Apply: func(_ context.Context, c *wire.Cloud) error {
	machines := map[string]string{}
	if arn := c.Getenv(awsenv.SLAMachine); arn != "" {
		machines[pipeline.TimerSLA] = arn
	}
	if arn := c.Getenv(awsenv.NurtureMachine); arn != "" {
		machines[pipeline.TimerNurture] = arn
	}
	c.Service.Scheduler = sfn.NewFromConfig(c.AWS, machines)
	return nil
}}
