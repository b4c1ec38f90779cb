// Package queues wires direct SQS sends (the sweep's and nurture's
// enrichment requests) into a function.
package queues

import (
	"context"

	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadflow/leadflow/shared/sqs"
	"github.com/leadflow/leadflow/shared/wire"
)

// Sender sends to the consumer queues the environment names.
var Sender = wire.Option{Provides: wire.NeedSender, Apply: func(_ context.Context, c *wire.Cloud) error {
	c.Service.Sender = sqs.New(awssqs.NewFromConfig(c.AWS), sqs.QueueURLs(c.Getenv))
	return nil
}}
