package stack

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// httpAPI is the HTTP API with its one stage.
type httpAPI struct {
	api awsapigatewayv2.HttpApi
	url *string
}

// accessLogFormat logs no client address or other personal data.
const accessLogFormat = `{"requestId":"$context.requestId","routeKey":"$context.routeKey","status":"$context.status",` +
	`"responseLength":"$context.responseLength","integrationLatency":"$context.integrationLatency",` +
	`"requestTime":"$context.requestTime","error":"$context.error.message","integrationError":"$context.integrationErrorMessage"}`

// newAPI makes the HTTP API: a throttled default stage with access logs,
// and CORS for the configured origins only.
func newAPI(stack awscdk.Stack, props *LeadflowStackProps) httpAPI {
	apiProps := &awsapigatewayv2.HttpApiProps{
		Description:        jsii.String("leadflow HTTP API"),
		CreateDefaultStage: jsii.Bool(false),
	}
	if len(props.CORSOrigins) > 0 {
		apiProps.CorsPreflight = &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: jsii.Strings(props.CORSOrigins...),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{awsapigatewayv2.CorsHttpMethod_POST, awsapigatewayv2.CorsHttpMethod_OPTIONS},
			AllowHeaders: jsii.Strings("content-type"),
			MaxAge:       awscdk.Duration_Hours(jsii.Number(1)),
		}
	}
	api := awsapigatewayv2.NewHttpApi(stack, jsii.String("HttpApi"), apiProps)
	rate, burst := props.ThrottleRate, props.ThrottleBurst
	if rate == 0 {
		rate = DefaultThrottleRate
	}
	if burst == 0 {
		burst = DefaultThrottleBurst
	}
	stage := api.AddStage(jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageOptions{
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle:   &awsapigatewayv2.ThrottleSettings{RateLimit: &rate, BurstLimit: &burst},
	})
	logs := awslogs.NewLogGroup(stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	// The L2 stage takes access-log settings only as a jsii interface; the
	// CloudFormation property is set directly instead.
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: logs.LogGroupArn(),
		Format:         jsii.String(accessLogFormat),
	})
	return httpAPI{api: api, url: stage.Url()}
}

// addRoutes serves f's routes with fn: public routes without auth (the
// handler checks signatures and rate limits), internal ones with IAM auth.
func addRoutes(a httpAPI, f Function, fn awslambda.Function) {
	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(title(f.Name)+"Integration"), fn, nil)
	var authorizer awsapigatewayv2.IHttpRouteAuthorizer
	if f.Trigger == TriggerInternalAPI {
		authorizer = awsapigatewayv2authorizers.NewHttpIamAuthorizer()
	}
	for _, route := range f.Routes {
		routes := a.api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(route.Path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(strings.ToUpper(route.Method))},
			Integration: integration,
			Authorizer:  authorizer,
		})
		if authorizer == nil {
			for _, r := range *routes {
				suppress(r, "AwsSolutions-APIG4", "public by design (SPEC §9): web forms post from browsers without credentials; "+
					"/v1/events and /v1/outcomes are authenticated by an HMAC signature the handler verifies; the stage is throttled")
			}
		}
	}
}
