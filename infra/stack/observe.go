package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/metrics"
)

// Names of the metrics the pipeline services emit (shared/pipeline, in
// embedded metric format, namespace metrics.Namespace) that the dashboard
// shows. It searches them by name, whatever their dimensions.
const (
	metricSpeedToLead        = "speed_to_lead" // form submitted → owner notified, ms
	metricLeadsCaptured      = "leads_captured"
	metricStageChanges       = "stage_changes"
	metricLeadsRouted        = "leads_routed"
	metricEnrichmentFailures = "enrichment_failures"
	metricSLAAlerts          = "sla_alerts"
)

// alarmTopic is the SNS topic every alarm notifies.
type alarmTopic struct{ awssns.Topic }

func newAlarmTopic(scope constructs.Construct, email string) alarmTopic {
	topic := awssns.NewTopic(scope, jsii.String("Alarms"), &awssns.TopicProps{
		EnforceSSL: jsii.Bool(true),
		MasterKey:  awskms.Alias_FromAliasName(scope, jsii.String("SNSKey"), jsii.String("alias/aws/sns")),
	})
	if email != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(&email, nil))
	}
	return alarmTopic{topic}
}

// on alarms when metric goes above threshold in one 5-minute period.
func (a alarmTopic) on(scope constructs.Construct, id string, metric awscloudwatch.IMetric, threshold float64, description string) {
	alarm := awscloudwatch.NewAlarm(scope, &id, &awscloudwatch.AlarmProps{
		Metric:             metric,
		Threshold:          &threshold,
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		AlarmDescription:   &description,
	})
	alarm.AddAlarmAction(awscloudwatchactions.NewSnsAction(a.Topic))
}

// newDashboard shows the pipeline's health: speed-to-lead, stage changes,
// routing, enrichment failures, dead-letter depth and function errors.
func newDashboard(scope constructs.Construct, r *resources, fns map[string]awslambda.Function) {
	five := awscdk.Duration_Minutes(jsii.Number(5))
	search := func(metric, stat, label string) awscloudwatch.IMetric {
		return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String(fmt.Sprintf(`SEARCH('Namespace="%s" MetricName="%s"', '%s', 300)`, metrics.Namespace, metric, stat)),
			Label:      &label,
			Period:     five,
		})
	}
	graph := func(title string, metrics ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: &title, Left: &metrics, Width: jsii.Number(12)})
	}
	var depth, errs []awscloudwatch.IMetric
	for _, route := range events.Routes {
		depth = append(depth, r.deadQs[route.Consumer].MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Label: jsii.String(string(route.Consumer)), Period: five, Statistic: jsii.String("Maximum"),
		}))
	}
	for _, f := range Functions() {
		errs = append(errs, fns[f.Name].MetricErrors(&awscloudwatch.MetricOptions{Label: jsii.String(f.Name), Period: five}))
	}
	awscloudwatch.NewDashboard(scope, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		Widgets: &[]*[]awscloudwatch.IWidget{
			{
				graph("Speed to lead (ms)", search(metricSpeedToLead, "p50", "p50"), search(metricSpeedToLead, "p90", "p90")),
				graph("Leads captured and stage changes", search(metricLeadsCaptured, "Sum", "captured"), search(metricStageChanges, "Sum", "stage changes")),
			},
			{
				graph("Leads routed and SLA alerts", search(metricLeadsRouted, "Sum", "routed"), search(metricSLAAlerts, "Sum", "SLA alerts")),
				graph("Enrichment failures", search(metricEnrichmentFailures, "Sum", "failures")),
			},
			{
				graph("Dead-letter queue depth", depth...),
				graph("Function errors", errs...),
			},
			{
				graph("Timer executions failed", r.nurture.MetricFailed(&awscloudwatch.MetricOptions{Label: jsii.String("nurture")}), r.sla.MetricFailed(&awscloudwatch.MetricOptions{Label: jsii.String("sla")})),
			},
		},
	})
}
