package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboard-gw/switchboard/intents/nlu/eval"
	"github.com/switchboard-gw/switchboard/internal/config"
	"github.com/switchboard-gw/switchboard/store/bolt"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := version
			if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" && len(s.Value) >= 12 {
						v += "+" + s.Value[:12]
					}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "switchboard %s (%s)\n", v, bi.GoVersion)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "switchboard %s\n", v)
			return nil
		},
	}
}

func newEvalCmd() *cobra.Command {
	var opts eval.Options
	var fs eval.FewShotOptions
	var data []string
	cmd := &cobra.Command{
		Use:   "eval --data PATH",
		Short: "Train the NLU on a dataset's train split and score its test split",
		Long: `Train the intent classifier on a public dataset's train split, pick the
out-of-scope threshold on its validation split when it has one (never on
test), and score the test split: in-scope accuracy, accuracy with
out-of-scope as a class, macro-F1, out-of-scope recall and precision, P@1 for
multi-label sets, the threshold, train time, classify latency p50/p99, model
size and peak memory. A progress bar is drawn on stderr when it is a terminal.

PATH is one of:
  a CLINC150 JSON file (train/val/test/oos_* keys), e.g. ../shared/data/clinc150/data_full.json
  a folder with train.csv and test.csv (text,label; label oos = out of scope), e.g. ../shared/data/banking77
  a CrossWOZ folder with user_turns_val.jsonl (train) and user_turns_test.jsonl (test)

With --shots or --seeds, eval runs the few-shot protocol instead: for each
seed it draws N training examples per intent (--shots 0: all of them), trains
the lexical classifier, the sentence encoder's classifier and their blend,
and prints the in-scope test accuracy of each as mean ± spread over the
seeds. --data may then be given several times, e.g.
  switchboard eval --shots 10 --seeds 1,2,3 --data ../shared/data/banking77 --data ../shared/data/clinc150/data_full.json
Embeddings are cached on disk (--embeddings), so a second run is fast.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(data) == 0 {
				return fmt.Errorf("eval: --data is required (see --help)")
			}
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("shots") || cmd.Flags().Changed("seeds") {
				fs.Data = data
				fs.JSON = opts.JSON
				fs.Logger = newLogger(cfg, cmd.ErrOrStderr())
				_, err := eval.FewShot(cmd.Context(), fs, cmd.OutOrStdout())
				return err
			}
			if len(data) > 1 {
				return fmt.Errorf("eval: one --data at a time without --shots/--seeds")
			}
			opts.Data = data[0]
			opts.Encoder, opts.Weight, opts.Embeddings = fs.Encoder, fs.Weight, fs.Embeddings
			opts.Logger = newLogger(cfg, cmd.ErrOrStderr())
			opts.Progress = cmd.ErrOrStderr()
			return eval.Run(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringArrayVar(&data, "data", nil, "dataset file or folder (required; repeatable with --shots)")
	cmd.Flags().IntVar(&fs.Shots, "shots", 10, "few-shot protocol: training examples per intent (0: all)")
	cmd.Flags().Int64SliceVar(&fs.Seeds, "seeds", []int64{1, 2, 3}, "few-shot protocol: seeds of the draws, e.g. 1,2,3")
	cmd.Flags().StringVar(&fs.Encoder, "encoder", "", "on or off: blend in the sentence encoder (default: on with --shots/--seeds, off otherwise)")
	cmd.Flags().Float64Var(&fs.Weight, "weight", eval.DefaultBlendWeight, "the sentence encoder's share of the blended probabilities")
	cmd.Flags().Float64Var(&fs.Cascade, "cascade", eval.DefaultCascade, "few-shot protocol: also report the combination computed only when the lexical top probability is below this (negative: off)")
	cmd.Flags().BoolVar(&fs.Tune, "tune", false, "few-shot protocol: score val (or train items not drawn) instead of test, for tuning")
	cmd.Flags().StringVar(&fs.Embeddings, "embeddings", "", "embedding cache file (default: in the user cache directory)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the results as JSON")
	cmd.Flags().Int64Var(&opts.Seed, "seed", 1, "training seed")
	cmd.Flags().StringVar(&opts.Threshold, "threshold", "larson", "out-of-scope rule reported first: larson (best accuracy with out-of-scope as a class, on val), mean (best mean of in-scope accuracy and OOS recall, on val), calibrate (from train only, as bots do), or a fixed probability such as 0.3")
	cmd.Flags().BoolVar(&opts.NoCalibrate, "no-calibrate", false, "skip the calibrate rule (it trains one more model)")
	cmd.Flags().Float64Var(&opts.HoldOut, "holdout", 0, "score a held-out fraction (0-1) of train instead of test, for tuning without touching test")
	return cmd
}

func newBackupCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Write a consistent copy of the database (gateway stopped; online: GET /admin/backup)",
		Long: `Write a consistent copy of the bolt database to FILE. The database file is
locked by a running serve, so this command is for a stopped gateway; while
serve runs, take an online backup (one read transaction, writers are not
blocked) from the admin API instead:

  curl -H "Authorization: Bearer $TOKEN" -o backup.db http://localhost:8080/admin/backup`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				out = fmt.Sprintf("switchboard-%s.db", time.Now().UTC().Format("20060102-150405"))
			}
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			if !fileExists(cfg.Store.Path) {
				return fmt.Errorf("backup: no database at %s (store.path)", cfg.Store.Path)
			}
			st, err := bolt.Open(cmd.Context(), cfg.Store.Path, bolt.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return fmt.Errorf("backup: %w", err)
			}
			f, err := os.OpenFile(out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				return fmt.Errorf("backup: %w", err)
			}
			n, err := st.Backup(cmd.Context(), f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(out)
				return fmt.Errorf("backup: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backup: wrote %s (%d bytes)\n", out, n)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output file (default switchboard-<time>.db; never overwritten)")
	return cmd
}

func newCompactCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "compact --out FILE",
		Short: "Copy the database into a new, compacted file (gateway stopped)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("compact: --out is required (the source is never modified)")
			}
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			if !fileExists(cfg.Store.Path) {
				return fmt.Errorf("compact: no database at %s (store.path)", cfg.Store.Path)
			}
			if fileExists(out) {
				return fmt.Errorf("compact: %s exists; choose a new file", out)
			}
			if err := bolt.Compact(cmd.Context(), cfg.Store.Path, out); err != nil {
				return fmt.Errorf("compact: %w", err)
			}
			before, _ := os.Stat(cfg.Store.Path)
			after, _ := os.Stat(out)
			if before != nil && after != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "compact: %s (%d bytes) -> %s (%d bytes)\n", cfg.Store.Path, before.Size(), out, after.Size())
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output file (required; must not exist)")
	return cmd
}

func newHealthcheckCmd() *cobra.Command {
	var url string
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 if a running gateway answers its health check (for Docker HEALTHCHECK)",
		Long: `Probe a running gateway's /healthz and exit 0 when it answers 200.

The URL is --url, else $SWITCHBOARD_HEALTH_URL, else derived from server.addr
of the configuration (--config and SWITCHBOARD_SERVER_ADDR): ":9000" is probed
as http://127.0.0.1:9000/healthz. So the Docker health check follows the
address the gateway listens on.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if url == "" {
				url = os.Getenv(healthURLEnv)
			}
			if url == "" {
				path, _ := cmd.Flags().GetString("config")
				cfg, err := config.Load(path, nil)
				if err != nil {
					return fmt.Errorf("healthcheck: %w", err)
				}
				if url, err = healthURL(cfg.Server.Addr); err != nil {
					return fmt.Errorf("healthcheck: server.addr: %w", err)
				}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 3*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return fmt.Errorf("healthcheck: %w", err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("healthcheck: %w", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("healthcheck: %s answered %s", url, resp.Status)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "ok")
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "", "health URL to probe (default: $"+healthURLEnv+", else http://<server.addr>/healthz)")
	return cmd
}

// healthURLEnv overrides the URL the healthcheck command probes.
const healthURLEnv = "SWITCHBOARD_HEALTH_URL"

// healthURL is the /healthz URL of a gateway listening on addr: an empty or
// unspecified host (":8080", "0.0.0.0:8080", "[::]:8080") is probed on the
// loopback address.
func healthURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
