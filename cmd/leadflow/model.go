package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/leadflow/leadflow/shared/history/mappingfile"
	"github.com/leadflow/leadflow/shared/model"
)

func init() {
	register("model", "train or evaluate the predictive model: model train|eval --data FILE.csv --map MAPPING.yaml", runModel)
}

const modelUsage = `usage:
  leadflow model train --data FILE.csv --map MAPPING.yaml --out MODEL.json [--cv 5]
  leadflow model eval --model MODEL.json --data FILE.csv --map MAPPING.yaml [--format json]`

func runModel(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, modelUsage)
		return 2
	}
	switch args[0] {
	case "train":
		return runModelTrain(args[1:], stdout, stderr)
	case "eval":
		return runModelEval(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "leadflow model: unknown subcommand %q\n%s\n", args[0], modelUsage)
	return 2
}

func runModelTrain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("model train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "history CSV with outcomes")
	mapping := fs.String("map", "", "history mapping YAML")
	out := fs.String("out", "", "where to write the model JSON")
	folds := fs.Int("cv", 5, "cross-validation folds before training on everything (0: none)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *data == "" || *mapping == "" || *out == "" || fs.NArg() > 0 || *folds == 1 || *folds < 0 {
		fmt.Fprintln(stderr, modelUsage)
		return 2
	}
	ds, err := mappingfile.LoadDataset(*data, *mapping)
	if err != nil {
		fmt.Fprintf(stderr, "leadflow model train: %v\n", err)
		return 1
	}
	opts := model.OptionsFor(ds.Mapping)
	var cv *model.CVResult
	if *folds > 0 {
		res, err := model.CrossValidate(ds, *folds, model.DefaultSeed, opts)
		if err != nil {
			fmt.Fprintf(stderr, "leadflow model train: %v\n", err)
			return 1
		}
		cv = &res
		fmt.Fprintf(stdout, "%d-fold cross-validation (seed %d):\n", res.K, res.Seed)
		for i, f := range res.Folds {
			fmt.Fprintf(stdout, "  fold %d  %s\n", i+1, formatMetrics(f))
		}
		fmt.Fprintf(stdout, "  mean    %s\n", formatMetrics(res.Mean))
	}
	m, met, err := model.Train(ds, opts)
	if err != nil {
		fmt.Fprintf(stderr, "leadflow model train: %v\n", err)
		return 1
	}
	m.CV = cv
	if err := m.Save(*out); err != nil {
		fmt.Fprintf(stderr, "leadflow model train: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "training  %s\n", formatMetrics(met))
	fmt.Fprintf(stdout, "wrote %s: %d features, %d columns, cut-off %.3f (%s), data sha256 %s\n", *out, len(m.Transforms), len(m.Columns), m.Cutoff, m.CutoffRule, m.DataSHA256)
	return 0
}

func formatMetrics(m model.Metrics) string {
	return fmt.Sprintf("AUC %.4f  accuracy %.4f  sensitivity %.4f  specificity %.4f  cut-off %.3f  n %d", m.AUC, m.Accuracy, m.Sensitivity, m.Specificity, m.Cutoff, m.N)
}

func runModelEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("model eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	modelPath := fs.String("model", "", "model JSON written by model train")
	data := fs.String("data", "", "history CSV with outcomes")
	mapping := fs.String("map", "", "history mapping YAML")
	format := fs.String("format", "text", "text or json")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *modelPath == "" || *data == "" || *mapping == "" || fs.NArg() > 0 || (*format != "text" && *format != "json") {
		fmt.Fprintln(stderr, modelUsage)
		return 2
	}
	m, err := model.LoadModel(*modelPath)
	if err != nil {
		fmt.Fprintf(stderr, "leadflow model eval: %v\n", err)
		return 1
	}
	ds, err := mappingfile.LoadDataset(*data, *mapping)
	if err != nil {
		fmt.Fprintf(stderr, "leadflow model eval: %v\n", err)
		return 1
	}
	met, err := m.Evaluate(ds)
	if err != nil {
		fmt.Fprintf(stderr, "leadflow model eval: %v\n", err)
		return 1
	}
	if *format == "json" {
		// Exactly these keys: scripts and CI gates read them.
		err := json.NewEncoder(stdout).Encode(struct {
			AUC         float64 `json:"auc"`
			Accuracy    float64 `json:"accuracy"`
			Sensitivity float64 `json:"sensitivity"`
			Specificity float64 `json:"specificity"`
			N           int     `json:"n"`
		}{met.AUC, met.Accuracy, met.Sensitivity, met.Specificity, met.N})
		if err != nil {
			fmt.Fprintf(stderr, "leadflow model eval: %v\n", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stdout, "%s\n", formatMetrics(met))
	return 0
}
