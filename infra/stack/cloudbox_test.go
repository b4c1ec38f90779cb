package stack_test

import (
	"context"
	"encoding/json"
	"github.com/leadflow/leadflow/internal/moto"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/infra/cloudbox"
	"github.com/leadflow/leadflow/infra/stack"
	"github.com/leadflow/leadflow/shared/dynamo"
	"github.com/leadflow/leadflow/shared/lead"
)

// TestCloudInABox deploys the synthesized stack into moto's CloudFormation
// (what moto cannot create is listed, with why, in cloudbox.Removed and
// cloudbox.Replaced) and drives one demo request through the deployed
// resources with the real adapters: capture writes the lead to the table
// and its event to the bus, the bus's rule puts it on the enrich queue, and
// the driver, playing Lambda's event source mappings, runs each consumer in
// this process from its deployed environment until the lead is routed, its
// owner notified and its SLA timer started.
func TestCloudInABox(t *testing.T) {
	ctx := context.Background()
	motoReady := startMoto(t)
	s := synth(t)
	if s.placeholders {
		t.Skip("functions/<name> are placeholders: nothing to run")
	}
	moto := motoReady()
	start := time.Now()
	st, err := cloudbox.Deploy(ctx, moto.Endpoint, filepath.Join(tmpRoot, "cdk.out"), "Leadflow")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("deployed in %s: %d resources created, %d removed or replaced for moto", time.Since(start).Round(time.Millisecond), st.Resources, len(st.Adjusted))
	cfg, err := cloudbox.AWSConfig(ctx, moto.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sortedKeys(st.Functions), sortedNames(); !cmp.Equal(got, want) {
		t.Fatalf("deployed functions (-declared +deployed):\n%s", cmp.Diff(want, got))
	}

	// The operator's step after deploying (README, Deploying to AWS): the Slack
	// secret gets the incoming-webhook URL, here a recorder.
	slack := &recorder{}
	hook := httptest.NewServer(slack)
	t.Cleanup(hook.Close)
	if _, err := secretsmanager.NewFromConfig(cfg).PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(st.Outputs["SlackSecretArn"]), SecretString: aws.String(hook.URL),
	}); err != nil {
		t.Fatal(err)
	}

	invoke := cloudbox.InProcess(func(fn string) map[string]string { return st.Functions[fn].Environ(moto.Endpoint) })
	d, err := cloudbox.NewDriver(cfg, st, invoke)
	if err != nil {
		t.Fatal(err)
	}
	form := `{"Work email":"dana.reyes@northwind-analytics.com","First name":"Dana","job_title":"VP of Sales",` +
		`"company_name":"Northwind Analytics","company_size":"250","Industry":"Software","Country":"US","State":"NY"}`
	resp, err := d.HTTP(ctx, "capture", http.MethodPost, "/v1/forms/demo-request", map[string]string{"content-type": "application/json"}, form)
	if err != nil {
		t.Fatal(err)
	}
	var accepted struct {
		LeadID string `json:"lead_id"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &accepted); resp.StatusCode != http.StatusAccepted || err != nil || accepted.LeadID == "" {
		t.Fatalf("capture: %d %s", resp.StatusCode, resp.Body)
	}

	store := dynamo.New(dynamodb.NewFromConfig(cfg), st.Outputs["TableName"])
	captured, err := store.GetLead(ctx, accepted.LeadID)
	if err != nil {
		t.Fatalf("the lead is not in the deployed table: %v", err)
	}
	if captured.Stage != lead.StageNew {
		t.Errorf("captured lead is %s, want new", captured.Stage)
	}
	sqs := awssqs.NewFromConfig(cfg)
	if n := queueDepth(t, sqs, st.Outputs["QueueUrlEnrich"]); n != 1 {
		t.Fatalf("enrich queue holds %d messages after capture, want the lead.captured event the bus rule delivers", n)
	}

	start = time.Now()
	if err := d.Settle(ctx, 20); err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, inv := range d.Invocations {
		trail = append(trail, inv.Function)
	}
	t.Logf("settled in %s: %s", time.Since(start).Round(time.Millisecond), strings.Join(trail, " → "))
	if n := d.Failures(); n != 0 {
		t.Errorf("%d records failed; invocations: %+v", n, d.Invocations)
	}
	ran := map[string]bool{}
	for _, inv := range d.Invocations {
		ran[inv.Function] = true
	}
	for _, fn := range []string{"capture", "enrich", "score", "route", "notify"} {
		if !ran[fn] {
			t.Errorf("%s never ran; invocations: %+v", fn, d.Invocations)
		}
	}

	routed, err := store.GetLead(ctx, accepted.LeadID)
	if err != nil {
		t.Fatal(err)
	}
	if routed.Stage != lead.StageSQL || routed.Team != "us-east" || routed.Owner == "" {
		t.Fatalf("lead is %s, team %q, owner %q; want sql, routed to a us-east rep", routed.Stage, routed.Team, routed.Owner)
	}
	rep, ok := s.config.Routing.Rep(routed.Owner)
	if !ok {
		t.Fatalf("owner %q is not in the roster", routed.Owner)
	}
	if got := slack.count(); got != 1 {
		t.Errorf("%d Slack posts, want the owner's one", got)
	}
	if rep.Email == "" {
		t.Fatalf("owner %q has no email address in the roster", routed.Owner)
	}
	if sent, err := cloudbox.EmailsSent(ctx, moto.Endpoint); err != nil || sent != 1 {
		t.Errorf("SES sent %d emails (%v), want the owner's one", sent, err)
	}
	execs, err := awssfn.NewFromConfig(cfg).ListExecutions(ctx, &awssfn.ListExecutionsInput{StateMachineArn: aws.String(st.Outputs["SlaStateMachineArn"])})
	if err != nil {
		t.Fatal(err)
	}
	if len(execs.Executions) != 1 || execs.Executions[0].Status != "RUNNING" {
		t.Errorf("SLA executions %+v, want one running", execs.Executions)
	}

	// SQS delivers at least once: the routed event again tells nobody twice.
	again, err := events.Wrap("redelivered", events.Routed{
		Header: events.Header{LeadID: routed.ID, OccurredAt: time.Now().UTC(), Version: events.Version},
		Owner:  routed.Owner, Team: routed.Team, Rule: "redelivered",
	})
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(again)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqs.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: aws.String(st.Outputs["QueueUrlNotify"]), MessageBody: aws.String(string(body))}); err != nil {
		t.Fatal(err)
	}
	if err := d.Settle(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if got := slack.count(); got != 1 {
		t.Errorf("%d Slack posts after the routed event was redelivered, want still 1", got)
	}
	if sent, err := cloudbox.EmailsSent(ctx, moto.Endpoint); err != nil || sent != 1 {
		t.Errorf("SES sent %d emails after the routed event was redelivered (%v), want still 1", sent, err)
	}

	for _, r := range events.Routes {
		key := "DeadLetterQueueUrl" + strings.ToUpper(string(r.Consumer[:1])) + string(r.Consumer[1:])
		if n := queueDepth(t, sqs, st.Outputs[key]); n != 0 {
			t.Errorf("%s dead-letter queue holds %d messages", r.Consumer, n)
		}
	}
}

// TestCloudInABoxAdjustments: every resource type the stack uses that
// Deploy removes or replaces for moto says why, and none is a type the
// lead's path needs from CloudFormation.
func TestCloudInABoxAdjustments(t *testing.T) {
	s := synth(t)
	onPath := []string{"AWS::DynamoDB::Table", "AWS::Events::Rule", "AWS::SQS::Queue", "AWS::StepFunctions::StateMachine", "AWS::Lambda::Function"}
	for _, typ := range onPath {
		if _, ok := cloudbox.Removed[typ]; ok {
			t.Errorf("%s is on the lead's path but removed", typ)
		}
		if len(s.tpl.ofType(typ)) == 0 {
			t.Errorf("the stack has no %s", typ)
		}
	}
	for typ, why := range cloudbox.Removed {
		if why == "" {
			t.Errorf("%s removed without a reason", typ)
		}
	}
}

// startMoto launches moto while the test goes on (synthesis takes longer
// than moto's start) and returns a function that waits for it. Without
// moto the test fails in CI and is skipped elsewhere; cleanup stops it.
func startMoto(t *testing.T) func() *moto.Server {
	t.Helper()
	type started struct {
		moto *moto.Server
		err  error
	}
	ch := make(chan started, 1)
	go func() {
		m, err := moto.Launch(context.Background())
		ch <- started{m, err}
	}()
	var once sync.Once
	var res started
	wait := func() started {
		once.Do(func() { res = <-ch })
		return res
	}
	t.Cleanup(func() {
		if r := wait(); r.moto != nil {
			r.moto.Close()
		}
	})
	return func() *moto.Server {
		t.Helper()
		r := wait()
		if r.err != nil && os.Getenv("CI") == "true" {
			t.Fatal(r.err)
		}
		if r.err != nil {
			t.Skipf("moto unavailable (CI unset, skipping): %v", r.err)
		}
		return r.moto
	}
}

// recorder is a Slack incoming webhook that counts posts.
type recorder struct {
	mu    sync.Mutex
	posts int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	_, _ = io.Copy(io.Discard, req.Body)
	r.mu.Lock()
	r.posts++
	r.mu.Unlock()
	_, _ = io.WriteString(w, "ok")
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.posts
}

func queueDepth(t *testing.T, client *awssqs.Client, url string) int {
	t.Helper()
	out, err := client.GetQueueAttributes(context.Background(), &awssqs.GetQueueAttributesInput{
		QueueUrl:       &url,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible},
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range out.Attributes {
		var x int
		if err := json.Unmarshal([]byte(v), &x); err != nil {
			t.Fatalf("queue attribute %q: %v", v, err)
		}
		n += x
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedNames() []string {
	names := stack.FunctionNames()
	sort.Strings(names)
	return names
}
