// Package awsenv names the environment variables through which the CDK stack
// tells each function where its resources are. The stack sets them; the
// function wiring reads them once at cold start.
package awsenv

import (
	"strings"

	"github.com/leadflow/leadflow/events"
)

// Environment variable names.
const (
	Table            = "LEADFLOW_TABLE"
	Bus              = "LEADFLOW_BUS"
	NurtureMachine   = "LEADFLOW_NURTURE_STATE_MACHINE"
	SLAMachine       = "LEADFLOW_SLA_STATE_MACHINE"
	Config           = "LEADFLOW_CONFIG" // path of the config file inside the function bundle
	SenderEmail      = "LEADFLOW_SENDER_EMAIL"
	SlackSecret      = "LEADFLOW_SLACK_SECRET"    // Secrets Manager id of the Slack webhook URL
	ProviderSecrets  = "LEADFLOW_PROVIDER_SECRET" // Secrets Manager id of a JSON map of provider keys
	WebhookSecret    = "LEADFLOW_WEBHOOK_SECRET"  // Secrets Manager id of the HMAC key for events/outcomes
	EndpointOverride = "LEADFLOW_AWS_ENDPOINT"    // tests only: a local AWS-API server
)

// Queue returns the variable holding the URL of a consumer's queue.
func Queue(c events.Consumer) string {
	return "LEADFLOW_QUEUE_" + strings.ToUpper(string(c))
}
