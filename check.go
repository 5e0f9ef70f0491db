package main

import (
	"errors"
	"fmt"
	"io"

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
out-of-scope threshold and how it was picked).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return check(cmd, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
}

func check(cmd *cobra.Command, out, errOut io.Writer) error {
	path, _ := cmd.Flags().GetString("config")
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
	for _, w := range platformWarnings(cfg) {
		fmt.Fprintf(errOut, "%s: warning: %s\n", orDefaults(cfg.File), w)
	}
	log := newLogger(&config.Config{Log: config.Log{Level: "warn", Format: cfg.Log.Format}}, errOut)
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
	})
	if err != nil {
		fmt.Fprintf(errOut, "%s: %v\n", from, err)
		return exitError{1}
	}
	fmt.Fprintf(out, "config: %s: ok\n", orDefaults(cfg.File))
	fmt.Fprintf(out, "bot: %s: ok\n%s\n", from, u.Report())
	return nil
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
