// Command floor is a Lambda function that does nothing: lambdabench starts
// it under the emulator as the functions are started, so their init times
// can be read against what the emulator and a bare Go runtime cost on the
// same machine.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context) (string, error) { return "ok", nil })
}
