// Command lambdabench measures leadflow's Lambda functions: the size of
// each stripped bootstrap as `cdk deploy` builds it (linux/arm64, through
// infra/stack.BuildFunctions), the cold-start init time and warm handler
// durations of the same program built for this machine and run under the
// AWS Lambda Runtime Interface Emulator against the stack deployed into
// moto (infra/cloudbox), the AWS requests each lead makes, counted by a
// proxy in front of moto, and from those an estimated AWS cost per 1,000
// leads at list prices. It needs python3 with moto, node with the CDK
// dependencies (npm ci) and the emulator (-rie, see mk/lambda.mk).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/jsii-runtime-go"

	"github.com/leadflow/leadflow/infra/cloudbox"
	"github.com/leadflow/leadflow/infra/stack"
	"github.com/leadflow/leadflow/internal/moto"
)

// Targets of SPEC's small-binary requirement, as the issue states them.
const (
	targetSizeMB = 10
	targetInitMS = 20
)

func main() {
	rie := flag.String("rie", "bin/aws-lambda-rie", "the aws-lambda-rie binary")
	leads := flag.Int("leads", 20, "leads driven through the deployed pipeline for warm durations and request counts")
	colds := flag.Int("cold", 5, "cold starts measured per function")
	flag.Parse()
	code := 0
	if err := run(context.Background(), *rie, *leads, *colds); err != nil {
		fmt.Fprintln(os.Stderr, "lambdabench:", err)
		code = 1
	}
	jsii.Close()
	os.Exit(code)
}

func run(ctx context.Context, emulator string, nLeads, nColds int) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if emulator, err = filepath.Abs(emulator); err != nil {
		return err
	}
	if _, err := os.Stat(emulator); err != nil {
		return fmt.Errorf("no emulator at %s (make lambda-rie installs it): %w", emulator, err)
	}
	tmp, err := os.MkdirTemp("", "lambdabench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	names := stack.FunctionNames()

	fmt.Println("== synthesizing the stack (functions built for linux/arm64 by stack.BuildFunctions)")
	start := time.Now()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(tmp, "cdk.out"))})
	s, err := stack.AddLeadflow(ctx, app, "Leadflow", stack.AppOptions{
		ModuleDir:   root,
		ConfigFile:  filepath.Join(root, stack.ConfigFileName),
		BuildDir:    filepath.Join(tmp, "bundles"),
		SenderEmail: "leads@example.com",
		Slack:       true,
	})
	if err != nil {
		return err
	}
	app.Synth(nil)
	fmt.Printf("synthesized %s in %s\n", *s.StackName(), time.Since(start).Round(time.Millisecond))
	sizes := map[string]int64{}
	for _, n := range names {
		fi, err := os.Stat(filepath.Join(tmp, "bundles", n, "bootstrap"))
		if err != nil {
			return err
		}
		sizes[n] = fi.Size()
	}
	reference := filepath.Join(tmp, "bundles", names[0], "bootstrap")
	pkgs := []string{floorPkg}
	for _, n := range names {
		pkgs = append(pkgs, "functions/"+n)
	}
	hostDir, err := hostBuild(ctx, root, reference, filepath.Join(tmp, "host"), pkgs, true)
	if err != nil {
		return err
	}
	symDir, err := hostBuild(ctx, root, reference, filepath.Join(tmp, "symbols"), pkgs[1:2], false)
	if err != nil {
		return err
	}
	shares, symTotal, err := symbolsByModule(ctx, filepath.Join(symDir, names[0]))
	if err != nil {
		return err
	}

	server, err := moto.Launch(ctx)
	if err != nil {
		return err
	}
	defer server.Close()
	st, err := cloudbox.Deploy(ctx, server.Endpoint, filepath.Join(tmp, "cdk.out"), "Leadflow")
	if err != nil {
		return err
	}
	count, err := newCounter(server.Endpoint)
	if err != nil {
		return err
	}
	proxy := httptest.NewServer(count)
	defer proxy.Close()
	// The operator's step after deploying: Slack's webhook URL, here a sink.
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	defer slack.Close()
	cfg, err := cloudbox.AWSConfig(ctx, server.Endpoint)
	if err != nil {
		return err
	}
	if _, err := secretsmanager.NewFromConfig(cfg).PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(st.Outputs["SlackSecretArn"]), SecretString: aws.String(slack.URL),
	}); err != nil {
		return err
	}
	home := filepath.Join(tmp, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	envOf := func(name string) []string {
		vars := st.Functions[name].Environ(proxy.URL)
		vars["AWS_LAMBDA_FUNCTION_NAME"] = name
		vars["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = "128"
		vars["AWS_LAMBDA_FUNCTION_TIMEOUT"] = "30"
		return environ(vars, home)
	}

	fmt.Printf("== cold starts: %d per function under aws-lambda-rie, one at a time, in rounds over the functions\n", nColds)
	// Rounds, not one function's starts back to back: whatever the host is
	// still doing after the deploy (moto settling, page cache) then falls on
	// every function alike instead of on the first one measured. The floor,
	// a function that does nothing, runs in each round too.
	inits, initWork := map[string][]time.Duration{}, map[string][]time.Duration{}
	var floor []time.Duration
	for range nColds {
		for _, n := range names {
			rep, err := coldStart(ctx, emulator, filepath.Join(hostDir, n), tmp, envOf(n), count.waitedSoFar, probe(n))
			if err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
			inits[n] = append(inits[n], rep.init)
			initWork[n] = append(initWork[n], max(0, rep.init-rep.initAWS))
		}
		rep, err := coldStart(ctx, emulator, filepath.Join(hostDir, path.Base(floorPkg)), tmp, envOf(names[0]), count.waitedSoFar, []byte("{}"))
		if err != nil {
			return fmt.Errorf("floor: %w", err)
		}
		floor = append(floor, rep.init)
	}

	fmt.Printf("== warm: %d leads, one at a time, each from capture to routed, owner notified and contacted\n", nLeads)
	warm := newWarm(ctx, emulator, hostDir, tmp, envOf, count)
	defer warm.stop()
	d, err := cloudbox.NewDriver(cfg, st, warm.invoke)
	if err != nil {
		return err
	}
	// Lead 0 warms every function up; the counts start after it.
	for i := 0; i <= nLeads; i++ {
		if i == 1 {
			count.snapshot()
			warm.reset()
			d.Invocations, d.Receives, d.Deletes = nil, 0, 0
		}
		if err := driveLead(ctx, d, i); err != nil {
			return fmt.Errorf("lead %d: %w", i, err)
		}
	}
	if d.Failures() > 0 {
		return fmt.Errorf("%d records failed during the warm run", d.Failures())
	}
	used := count.snapshot()
	invocations := map[string]int{}
	for _, inv := range d.Invocations {
		invocations[inv.Function]++
	}
	logged := warm.logged()
	// The timer tasks are not on a contacted lead's path; each runs once
	// per SLA execution with that execution's input, as its Task state
	// would call it, for a warm duration.
	if err := warm.timerTasks(ctx, awssfn.NewFromConfig(cfg), st); err != nil {
		return err
	}

	per := func(x float64) float64 { return x / float64(nLeads) }
	fmt.Println()
	fmt.Println("== Lambda functions: bootstrap = linux/arm64 as deployed (stripped); init and durations = linux/" + hostArch() + " build with the same settings under aws-lambda-rie on this host")
	fmt.Println("   init: from the invocation that makes the emulator start the process to the runtime's first /next, then without its AWS calls")
	fmt.Println("   (none read secrets at init, so the two agree unless a client makes one; moto here is slow); warm: the REPORT Duration against moto, then without the")
	fmt.Printf("   time spent in AWS calls (handler), and as estimated in AWS (handler + %s per AWS call)\n", awsCallLatency)
	fmt.Printf("%-8s %9s %9s %9s %10s %10s %10s %10s %10s %10s\n", "function", "bootstrap", "init p50", "init max", "no AWS", "warm p50", "handler", "AWS calls", "in AWS", "calls/lead")
	var maxSize int64
	var allInits, allWork []time.Duration
	for _, n := range names {
		maxSize = max(maxSize, sizes[n])
		allInits = append(allInits, inits[n]...)
		allWork = append(allWork, initWork[n]...)
		calls := warm.warm[n]
		fmt.Printf("%-8s %6.2f MB %9s %9s %10s %10s %10s %10s %10s %10.2f\n", n, mb(sizes[n]), ms(pct(inits[n], 50)), ms(pct(inits[n], 100)), ms(pct(initWork[n], 50)),
			orNA(calls, func(c warmCall) time.Duration { return c.duration }), orNA(calls, handlerTime),
			meanRequests(calls), orNA(calls, inAWS), per(float64(invocations[n])))
	}
	fmt.Println()
	fmt.Printf("== what the binary is made of (%s, linux/%s unstripped, file-backed symbol bytes by module; %.1f MB of symbols)\n", names[0], hostArch(), mb(symTotal))
	for i, sh := range shares {
		if i == 14 {
			break
		}
		fmt.Printf("  %-52s %6.2f MB %5.1f%%\n", sh.module, mb(sh.bytes), 100*float64(sh.bytes)/float64(symTotal))
	}

	fmt.Println()
	fmt.Println("== AWS requests per lead (the functions' calls through a counting proxy; the event source mappings' non-empty polls and deletes)")
	for _, op := range sortedOps(used.calls) {
		fmt.Printf("  %-44s %6.2f\n", op, per(float64(used.calls[op])))
	}
	fmt.Printf("  %-44s %6.2f\n", "sqs ReceiveMessage (mapping, non-empty)", per(float64(d.Receives)))
	fmt.Printf("  %-44s %6.2f\n", "sqs DeleteMessageBatch (mapping)", per(float64(d.Deletes)))
	fmt.Printf("  %-44s %6.2f\n", "events PutEvents entries", per(float64(used.events)))
	fmt.Printf("  %-44s %6.2f WRU, %.2f RRU\n", "dynamodb capacity (sized from the items)", per(used.wru), per(used.rru))

	lines := estimate(names, invocations, warm.warm, used, d, logged, nLeads)
	fmt.Println()
	fmt.Printf("== estimated AWS cost per 1,000 leads (%s; 128 MB arm64; one lead at a time, so no batching: an upper bound)\n", pricesAsOf)
	total := 0.0
	for _, l := range lines {
		fmt.Printf("  %-44s %10.3f %-12s $%.4f\n", l.item, l.perLead, l.unit, l.usdPer1k())
		total += l.usdPer1k()
	}
	fmt.Printf("  %-44s %23s $%.4f\n", "total", "", total)
	fmt.Println("  not included: X-Ray traces (sampled), CloudWatch metrics, alarms and dashboard, API access logs, idle SQS long polling,")
	fmt.Println("  data transfer, cold-start init billing; an SLA breach (owner not contacted) adds 2 sla invocations, 7 state transitions")
	fmt.Println("  and a reassignment's notify chain.")

	fmt.Println()
	var over []string
	for _, n := range names {
		if sizes[n] > targetSizeMB*1e6 {
			over = append(over, fmt.Sprintf("%s %.2f", n, mb(sizes[n])))
		}
	}
	overList := "none"
	if len(over) > 0 {
		overList = strings.Join(over, ", ")
	}
	fmt.Printf("lambda bootstrap size: max %.2f MB (linux/arm64, stripped; target ≤ %d MB = %d bytes); over it: %d of %d (%s)\n",
		mb(maxSize), targetSizeMB, targetSizeMB*1_000_000, len(over), len(names), overList)
	fmt.Printf("lambda cold init: p50 %s, max %s over %d starts, p50 %s without AWS calls (linux/%s under aws-lambda-rie; target ≤ %d ms)\n",
		ms(pct(allInits, 50)), ms(pct(allInits, 100)), len(allInits), ms(pct(allWork, 50)), hostArch(), targetInitMS)
	fmt.Printf("lambda cold init floor: p50 %s for a Go function that does nothing, measured the same way: the emulator's and a bare runtime's share of the figures above\n",
		ms(pct(floor, 50)))
	fmt.Printf("lambda cost per 1,000 leads: $%.4f (%s)\n", total, pricesAsOf)
	return nil
}

// driveLead posts lead i's demo request, settles the queues and marks the
// lead contacted by its owner, which stops the SLA timer.
func driveLead(ctx context.Context, d *cloudbox.Driver, i int) error {
	form := fmt.Sprintf(`{"Work email":"buyer%d@bench%d-analytics.com","First name":"Pat","job_title":"VP of Sales",`+
		`"company_name":"Bench %d Analytics","company_size":"250","Industry":"Software","Country":"US","State":"NY"}`, i, i, i)
	resp, err := d.HTTP(ctx, "capture", http.MethodPost, "/v1/forms/demo-request", map[string]string{"content-type": "application/json"}, form)
	if err != nil {
		return err
	}
	var accepted struct {
		LeadID string `json:"lead_id"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &accepted); err != nil || resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("capture: %d %s", resp.StatusCode, resp.Body)
	}
	if err := d.Settle(ctx, 20); err != nil {
		return err
	}
	resp, err = d.HTTP(ctx, "api", http.MethodPost, "/v1/leads/"+accepted.LeadID+"/contacted", map[string]string{"content-type": "application/json"}, `{}`)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("contacted: %d %s", resp.StatusCode, resp.Body)
	}
	return nil
}

// floorPkg is the function that does nothing, whose init is the floor.
const floorPkg = "cmd/lambdabench/floor"

// probe is the cheapest valid event of each kind, for cold starts: the
// init is what is measured.
func probe(function string) []byte {
	switch function {
	case "capture", "api":
		return []byte(`{"version":"2.0","rawPath":"/healthz","requestContext":{"http":{"method":"GET","path":"/healthz"}}}`)
	case "touch", "sla":
		return []byte(`{"key":"probe","kind":"probe","lead_id":"probe","at":"2025-01-01T00:00:00Z"}`)
	case "sweep":
		return []byte(`{}`)
	}
	return []byte(`{"Records":[]}`)
}

// awsCallLatency is the round trip assumed for one AWS API call from a
// function in AWS (DynamoDB, SQS, EventBridge, Step Functions, SES in the
// same region), instead of moto's on this host.
const awsCallLatency = 10 * time.Millisecond

// handlerTime is an invocation's duration without its AWS calls.
func handlerTime(c warmCall) time.Duration { return max(0, c.duration-c.waited) }

// inAWS estimates an invocation's duration in AWS.
func inAWS(c warmCall) time.Duration {
	return handlerTime(c) + time.Duration(c.requests)*awsCallLatency
}

func meanRequests(calls []warmCall) string {
	if len(calls) == 0 {
		return "n/a"
	}
	n := 0
	for _, c := range calls {
		n += c.requests
	}
	return fmt.Sprintf("%.1f", float64(n)/float64(len(calls)))
}

// estimate prices one lead's measured work.
func estimate(names []string, invocations map[string]int, warm map[string][]warmCall, used usage, d *cloudbox.Driver, logged int64, n int) []costLine {
	per := func(x float64) float64 { return x / float64(n) }
	var lambdaCalls, gbSeconds float64
	for _, name := range names {
		k := per(float64(invocations[name]))
		lambdaCalls += k
		gbSeconds += k * billedSeconds(warm[name]) * memoryGB
	}
	sum := func(prefix string) float64 {
		t := 0
		for op, c := range used.calls {
			if strings.HasPrefix(op, prefix) {
				t += c
			}
		}
		return per(float64(t))
	}
	// Each started execution enters its Wait state (one transition) and
	// is stopped when the owner marks the lead contacted.
	lines := []costLine{
		{"HTTP API requests", per(float64(invocations["capture"] + invocations["api"])), "requests", httpAPIRequest},
		{"Lambda invocations", lambdaCalls, "invocations", lambdaRequest},
		{"Lambda duration (estimated in AWS, per ms)", gbSeconds, "GB-s", lambdaArmGBSecond},
		{"SQS requests", sum("sqs ") + per(float64(d.Receives+d.Deletes)), "requests", sqsRequest},
		{"EventBridge events", per(float64(used.events)), "events", eventBridgeEvent},
		{"DynamoDB writes", per(used.wru), "WRU", dynamoWRU},
		{"DynamoDB reads", per(used.rru), "RRU", dynamoRRU},
		{"Step Functions transitions", sum("states StartExecution"), "transitions", sfnTransition},
		{"SES emails", sum("ses SendEmail"), "emails", sesEmail},
		{"Secrets Manager calls (warm)", sum("secretsmanager "), "calls", secretsCall},
		{"CloudWatch Logs ingested", per(float64(logged)) / 1024, "KB", logsIngestGB / (1 << 20)},
	}
	return lines
}

// billedSeconds is the mean estimated duration in AWS, each invocation
// rounded up to the ms as Lambda bills it.
func billedSeconds(calls []warmCall) float64 {
	if len(calls) == 0 {
		return 0
	}
	total := 0.0
	for _, c := range calls {
		total += math.Ceil(float64(inAWS(c)) / float64(time.Millisecond))
	}
	return total / float64(len(calls)) / 1000
}

func pct(durs []time.Duration, p int) time.Duration {
	if len(durs) == 0 {
		return 0
	}
	s := slices.Clone(durs)
	slices.Sort(s)
	i := (len(s)*p+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}

// orNA returns the median of f over calls, or n/a without calls.
func orNA(calls []warmCall, f func(warmCall) time.Duration) string {
	if len(calls) == 0 {
		return "n/a"
	}
	durs := make([]time.Duration, len(calls))
	for i, c := range calls {
		durs[i] = f(c)
	}
	return ms(pct(durs, 50))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// mb is in decimal megabytes, the unit of the size target (10 MB is
// 10,000,000 bytes, about 9.54 MiB).
func mb(b int64) float64 { return float64(b) / 1e6 }

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		dir = parent
	}
}
