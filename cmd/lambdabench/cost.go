package main

// AWS list prices, us-east-1, on demand, free tiers left out, as the
// services' public pricing pages gave them in January 2025 (DynamoDB's
// on-demand prices are those after the 2024-11-01 reduction). Update the
// date with the figures.
const pricesAsOf = "2025-01, us-east-1 list prices"

const (
	lambdaArmGBSecond = 0.0000133334 // USD per GB-second, arm64
	lambdaRequest     = 0.20 / 1e6   // per invocation
	httpAPIRequest    = 1.00 / 1e6   // API Gateway HTTP API, first 300 M a month
	sqsRequest        = 0.40 / 1e6   // standard queue, per request (64 KB chunk)
	eventBridgeEvent  = 1.00 / 1e6   // custom event put on a bus (64 KB chunk)
	dynamoWRU         = 0.625 / 1e6  // on-demand write request unit
	dynamoRRU         = 0.125 / 1e6  // on-demand read request unit
	sfnTransition     = 0.025 / 1e3  // standard workflow state transition
	sesEmail          = 0.10 / 1e3   // per email sent
	logsIngestGB      = 0.50         // CloudWatch Logs standard ingestion, per GB
	secretsCall       = 0.05 / 1e4   // Secrets Manager API call
)

// memoryGB is every function's memory size (infra/stack: 128 MB).
const memoryGB = 128.0 / 1024

// costLine is one priced item of the estimate per 1,000 leads.
type costLine struct {
	item    string
	perLead float64 // units per lead
	unit    string
	price   float64 // USD per unit
}

func (l costLine) usdPer1k() float64 { return 1000 * l.perLead * l.price }
