package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/switchboard-gw/switchboard/intents"
	"github.com/switchboard-gw/switchboard/internal/config"
)

func newCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Validate the config and the bot's YAML; print file:line problems; exit 1 on any error",
		Long: `Validate the configuration and the bot owner's YAML files without starting
anything. Problems are printed one per line as "file:line: problem"; the exit
status is 1 when there is any error. On success it trains the bot once and
prints a summary (intents, FAQ entries, examples per language, the
out-of-scope threshold and how it was picked). It also warns, without
failing, about intents and FAQ entries with fewer than 10 examples in a
language and about pairs whose examples overlap: trained four times, each
time without a quarter of the examples, the bot took at least two and at
least a fifth of one label's held-out examples for the other.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return check(cmd, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
}

func check(cmd *cobra.Command, out, errOut io.Writer) error {
	path, _ := cmd.Flags().GetString("config")
	for _, w := range config.UnknownEnv(os.Environ()) {
		fmt.Fprintf(errOut, "environment: warning: %s\n", w)
	}
	cfg, err := config.Load(path, nil)
	if err != nil {
		fmt.Fprintln(errOut, err)
		return exitError{1}
	}
	if err := errors.Join(cfg.Validate(), validatePlatforms(cfg)); err != nil {
		for _, line := range splitJoined(err) {
			fmt.Fprintln(errOut, withFile(cfg, line))
		}
		return exitError{1}
	}
	for _, w := range append(platformWarnings(cfg), securityWarnings(cfg)...) {
		fmt.Fprintf(errOut, "%s: warning: %s\n", orDefaults(cfg.File), w)
	}
	log := newLogger(&config.Config{Log: config.Log{Level: "warn", Format: cfg.Log.Format}, Privacy: cfg.Privacy}, errOut)
	bot, from, err := loadBot(cfg, log)
	if err != nil {
		var ve *intents.ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				fmt.Fprintln(errOut, p.String())
			}
		} else {
			fmt.Fprintf(errOut, "%s: %v\n", from, err)
		}
		return exitError{1}
	}
	for _, w := range bot.Warnings() {
		fmt.Fprintln(errOut, w.String())
	}
	if err := cfg.RouteIntentProblems(botKnows(bot)); err != nil {
		for _, line := range splitJoined(err) {
			fmt.Fprintln(errOut, line) // file:line: key: problem
		}
		return exitError{1}
	}
	u, err := intents.New(cmd.Context(), bot, intents.Options{
		Seed: cfg.Bot.Seed, ConfidenceThreshold: cfg.Bot.ConfidenceThreshold, DefaultLanguage: cfg.Bot.Language,
		Encoder: cfg.Bot.Encoder,
	})
	if err != nil {
		fmt.Fprintf(errOut, "%s: %v\n", from, err)
		return exitError{1}
	}
	warnings, err := u.CheckWarnings(cmd.Context())
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(errOut, w.String())
	}
	fmt.Fprintf(out, "config: %s: ok\n", orDefaults(cfg.File))
	fmt.Fprintf(out, "bot: %s: ok\n%s\n", from, u.Report())
	return nil
}

// securityWarnings lists settings that are valid but weaker than they
// could be; check prints them without failing.
func securityWarnings(cfg *config.Config) []string {
	var out []string
	if cfg.WeChat.Enabled && cfg.WeChat.EncodingAESKey == "" {
		out = append(out, "wechat.encoding_aes_key is empty, so WeChat pushes use plaintext mode (明文模式): "+
			"its signature covers only the timestamp and nonce, never the message, so the body cannot be authenticated "+
			"(a captured signed URL can carry another message within wechat.max_clock_skew of its timestamp until the "+
			"gateway restarts). Use safe mode (安全模式): set the EncodingAESKey in both WeChat and wechat.encoding_aes_key")
	}
	return out
}

// splitJoined returns the messages of an errors.Join error, one per element.
func splitJoined(err error) []string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, splitJoined(e)...)
		}
		return out
	}
	return []string{err.Error()}
}
