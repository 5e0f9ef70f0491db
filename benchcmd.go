package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/switchboard-gw/switchboard/internal/bench"
	"github.com/switchboard-gw/switchboard/internal/chaos"
)

func newBenchCmd() *cobra.Command {
	var (
		o          bench.Options
		platforms  string
		retries    int
		asJSON     bool
		logLevel   string
		chaosKills int
		powerLoss  bool
		checkBolt  string
		security   bool
		textsFile  string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load-test a gateway with signed webhooks against built-in fake platform APIs",
		Long: `Start a gateway in-process (a fresh store next to store.path, 127.0.0.1:0) whose
api_urls point at fake Slack, Telegram, Discord and WeChat APIs started by the
bench, send it signed webhooks and web chat messages, and match every reply the
fakes record to the message that caused it. Prints msgs/s acknowledged, ack and
reply latency, errors, lost (acknowledged, never answered) and duplicated
replies, per platform. Telegram, Slack and Discord are offered at most 80% of
what their adapters may send per second (--uncapped lifts that).

During the run it also sends unsigned, wrongly signed, replayed and oversized
requests to every platform and checks each is refused, and afterwards scans the
gateway's whole log for every configured secret. The exit status is 1 when a
reply was lost or duplicated, a bad request was accepted or a secret was logged.

The bot, outbox and store tuning come from --config; the server, store path,
platform and handoff settings are the bench's own. With --target the bench
drives an already running gateway, the web chat only.`,
		Example: `  switchboard bench --duration 10s
  switchboard bench --platforms web,wechat --rate 500 --duration 30s --json
  switchboard bench --slow-platform --slow-rate 0.2 --slow-latency 100ms
  switchboard bench --fsync-probe --compare-nosync
  switchboard bench --target http://localhost:8080 --messages 1000
  switchboard bench --chaos 1000
  switchboard bench --chaos 200 --power-loss
  switchboard bench --security`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if checkBolt != "" {
				// Used by the power-loss campaign, in a process of its own:
				// bbolt may panic on a corrupt file.
				if err := chaos.CheckBolt(checkBolt); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "ok")
				return nil
			}
			if powerLoss && chaosKills <= 0 {
				return fmt.Errorf("--power-loss needs --chaos N")
			}
			if chaosKills > 0 {
				return runChaos(cmd, chaosKills, powerLoss)
			}
			if security {
				return runAttacks(cmd, o.Dir, asJSON)
			}
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			if bot, _, err := loadBot(cfg, slog.New(slog.DiscardHandler)); err == nil {
				o.Questions = bench.Questions(bot)
			}
			if textsFile != "" {
				if o.Questions, err = bench.ReadQuestions(textsFile); err != nil {
					return err
				}
			}
			if logLevel == "" {
				logLevel = cfg.Log.Level
			}
			if err := o.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			o.Config, o.Serve = cfg, serve
			if o.Dir == "" && o.Target == "" {
				o.Dir = filepath.Dir(cfg.Store.Path) // the disk the gateway uses
			}
			o.Platforms = strings.Split(platforms, ",")
			if o.Target != "" && !cmd.Flags().Changed("platforms") {
				o.Platforms = []string{bench.Web}
			}
			o.Retries = retries
			if retries == 0 {
				o.Retries = -1 // none
			}
			if isTerminal(os.Stderr) {
				o.Progress = cmd.ErrOrStderr()
			}
			rep, err := bench.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			return printReport(cmd, rep, asJSON)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&security, "security", false, "instead of load: attack a gateway with the default limits (stale and replayed WeChat signatures, 3,000 sessions, 300 event streams, 1,000 messages, a redirecting action, 100 wrong admin tokens) and check each is refused")
	f.IntVar(&chaosKills, "chaos", 0, "instead of load: the crash test with this many kill -9s of a serve subprocess (e.g. 1000), then check nothing was lost or answered twice")
	f.BoolVar(&powerLoss, "power-loss", false, "with --chaos: the gateway's data directory on a FUSE filesystem that loses unsynced writes; every kill is followed by a power cut and a bbolt consistency check (needs /dev/fuse and root)")
	f.StringVar(&checkBolt, "check-bolt", "", "open this bolt file read-only, run bbolt's consistency check and exit (used by --power-loss)")
	_ = f.MarkHidden("check-bolt")
	f.StringVar(&platforms, "platforms", strings.Join(bench.AllPlatforms, ","), "platforms to drive, comma-separated")
	f.Float64Var(&o.Rate, "rate", 0, "messages per second in total (open loop); 0 = as fast as --connections allow")
	f.IntVar(&o.Connections, "connections", bench.DefaultConnections, "concurrent senders")
	f.DurationVar(&o.Duration, "duration", bench.DefaultDuration, "how long to send")
	f.IntVar(&o.Messages, "messages", 0, "send this many messages instead of for --duration")
	f.IntVar(&retries, "retries", bench.DefaultRetries, "redeliveries of an unacknowledged webhook (Discord never redelivers)")
	f.DurationVar(&o.Grace, "grace", bench.DefaultGrace, "after the load, stop waiting for replies once none came for this long")
	f.DurationVar(&o.DrainMax, "drain-max", bench.DefaultDrainMax, "longest wait for replies after the load")
	f.BoolVar(&o.Uncapped, "uncapped", false, "offer Telegram, Slack and Discord more than their adapters may send per second (replies queue)")
	f.IntVar(&o.WebSessions, "web-sessions", bench.DefaultWebSessions, "web chat sessions the web messages rotate over")
	f.BoolVar(&o.SlowPlatform, "slow-platform", false, "fake APIs answer a share of sends 429 + Retry-After and delay every send")
	f.Float64Var(&o.SlowRate, "slow-rate", bench.DefaultSlowRate, "share of sends answered 429 with --slow-platform")
	f.DurationVar(&o.SlowLatency, "slow-latency", bench.DefaultSlowLatency, "delay of every send with --slow-platform")
	f.BoolVar(&o.FsyncProbe, "fsync-probe", false, "measure write+fdatasync latency in the store directory first")
	f.IntVar(&o.FsyncProbes, "fsync-probes", bench.DefaultFsyncProbes, "4 KiB write+fdatasync samples of --fsync-probe")
	f.BoolVar(&o.CompareNoSync, "compare-nosync", false, "run the load again on a store without fsync and compare msgs/s")
	f.StringVar(&o.Target, "target", "", "base URL of a running gateway to drive instead (web chat only)")
	f.StringVar(&o.Dir, "dir", "", "where to create the bench's store, gateway log and fsync probe (default: the directory of store.path)")
	f.BoolVar(&o.Keep, "keep", false, "keep the store and the gateway log")
	f.StringVar(&logLevel, "log-level", "", "log level of the in-process gateway (default: log.level); its log is scanned for secrets")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	f.StringVar(&textsFile, "texts", "", "send these messages (a text file, one per line) instead of the bot's own examples, e.g. to measure the sentence encoder on varied text")
	return cmd
}

// runAttacks runs bench.RunAttacks on an in-process gateway and prints one
// line per attack; the exit status is 1 when any was not refused.
func runAttacks(cmd *cobra.Command, dir string, asJSON bool) error {
	rep, err := bench.RunAttacks(cmd.Context(), bench.AttackOptions{Serve: serve, Dir: dir})
	if err != nil {
		return err
	}
	return printReport(cmd, rep, asJSON)
}

// benchReport is what the load and the attack runs report.
type benchReport interface {
	WriteJSON(io.Writer) error
	WriteTable(io.Writer) error
	Problems() []string
}

// printReport prints rep as a table or JSON, then each problem on stderr;
// any problem makes the exit status 1.
func printReport(cmd *cobra.Command, rep benchReport, asJSON bool) error {
	out := cmd.OutOrStdout()
	var err error
	if asJSON {
		err = rep.WriteJSON(out)
	} else {
		err = rep.WriteTable(out)
	}
	if err != nil {
		return err
	}
	problems := rep.Problems()
	for _, p := range problems {
		fmt.Fprintln(cmd.ErrOrStderr(), "switchboard bench:", p)
	}
	if len(problems) > 0 {
		return exitError{code: 1}
	}
	return nil
}

// runChaos runs the crash harness (internal/chaos) against this very binary:
// serve as a subprocess with Telegram, Slack, WeChat and Discord on fake
// platforms that retry like the real ones (with powerLoss on a filesystem
// that loses unsynced writes at every kill), killed kills times at random
// moments and at the pipeline's failpoints, then checks that every
// acknowledged message was answered once.
func runChaos(cmd *cobra.Command, kills int, powerLoss bool) error {
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench --chaos: find this binary: %w", err)
	}
	dir, err := os.MkdirTemp("", "switchboard-chaos-")
	if err != nil {
		return fmt.Errorf("bench --chaos: %w", err)
	}
	errOut := cmd.ErrOrStderr()
	what := "kills"
	if powerLoss {
		what = "kills and power cuts"
	}
	fmt.Fprintf(errOut, "switchboard bench --chaos: %d %s of %s serve, work dir %s\n", kills, what, bin, dir)
	rep, err := chaos.Run(cmd.Context(), chaos.Options{Binary: bin, Dir: dir, Kills: kills, Slack: true, Web: true, WeChat: true, Discord: true, PowerLoss: powerLoss,
		Logf: func(format string, args ...any) { fmt.Fprintf(errOut, format+"\n", args...) }})
	if err != nil {
		// What was found before the campaign had to stop.
		for _, p := range rep.Problems {
			fmt.Fprintln(cmd.OutOrStdout(), "PROBLEM:", p)
		}
		return fmt.Errorf("bench --chaos: %w (logs in %s)", err, dir)
	}
	fmt.Fprintln(cmd.OutOrStdout(), rep.Summary())
	fmt.Fprint(cmd.OutOrStdout(), rep.PlatformSummary())
	if !rep.OK() {
		for _, p := range rep.Problems {
			fmt.Fprintln(cmd.OutOrStdout(), "PROBLEM:", p)
		}
		fmt.Fprintf(errOut, "logs kept in %s\n", dir)
		return exitError{code: 1}
	}
	os.RemoveAll(dir)
	return nil
}
