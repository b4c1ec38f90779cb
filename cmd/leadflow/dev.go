package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/leadflow/leadflow/shared/faults"
	"github.com/leadflow/leadflow/shared/local"
)

func init() {
	register("dev", "run the whole pipeline locally on an embedded store", runDev)
}

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	data := fs.String("data", ".data", "data directory")
	cfg := fs.String("config", "", "config file (default: ./leadflow.yaml if present, else the shipped config)")
	token := fs.String("token", envOr("LEADFLOW_TOKEN", "dev-token"), "bearer token of internal routes (env LEADFLOW_TOKEN)")
	clock := fs.String("clock", "real", "clock: real, or manual (moves only on POST /v1/_clock/advance)")
	speed := fs.Float64("speed", 1, "run time N× faster (a day in 86400/N seconds)")
	rate := fs.Float64("rate-limit", 0, "requests/s per address on public routes (0: default 200, <0: off)")
	secret := fs.String("webhook-secret", os.Getenv("LEADFLOW_WEBHOOK_SECRET"), "HMAC secret of signed webhooks (env LEADFLOW_WEBHOOK_SECRET)")
	liSecret := fs.String("linkedin-secret", os.Getenv("LEADFLOW_LINKEDIN_SECRET"), "LinkedIn webhook secret (env LEADFLOW_LINKEDIN_SECRET)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	faultSpec := fs.String("faults", "", "inject faults, e.g. store=0.1,publish=0.1,enrich=0.3,reply_lost=0.05 (ports: store, publish, send, schedule, notify, mail, enrich, deliver; also timeouts, seed)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *clock != "real" && *clock != "manual" {
		fmt.Fprintln(stderr, "leadflow dev: --clock must be real or manual")
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(stderr, "leadflow dev: bad --log-level")
		return 2
	}
	var injector *faults.Injector
	if *faultSpec != "" {
		spec, err := faults.Parse(*faultSpec)
		if err != nil {
			fmt.Fprintf(stderr, "leadflow dev: --faults: %v\n", err)
			return 2
		}
		injector = faults.New(spec)
		fmt.Fprintf(stderr, "leadflow dev: injecting faults %s\n", spec)
	}
	app, err := local.New(local.Options{
		Addr: *addr, DataDir: *data, ConfigPath: configPath(*cfg), Token: *token,
		Clock: *clock, Speed: *speed, RateLimit: *rate,
		WebhookSecret: *secret, LinkedInSecret: *liSecret, Faults: injector,
		Log: slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		fmt.Fprintf(stderr, "leadflow dev: %v\n", err)
		return 1
	}
	defer app.Close()
	go func() {
		select {
		case <-app.Ready():
			fmt.Fprintf(stdout, "leadflow dev listening on http://%s (data %s, token from --token/LEADFLOW_TOKEN)\n", app.Addr(), *data)
		case <-ctx.Done():
		}
	}()
	if err := app.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "leadflow dev: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "leadflow dev stopped; undelivered work resumes on the next start")
	return 0
}

// configPath picks the config file: the flag, else ./leadflow.yaml when it
// exists, else "" for the shipped default.
func configPath(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if _, err := os.Stat("leadflow.yaml"); err == nil {
		return "leadflow.yaml"
	}
	return ""
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// waitTimeout bounds how long CLI commands wait on the local server.
const waitTimeout = 2 * time.Minute
