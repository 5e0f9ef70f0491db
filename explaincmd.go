package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/switchboard-gw/switchboard/adapters/terminal"
	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/intents"
	"github.com/switchboard-gw/switchboard/internal/config"
)

func newExplainCmd() *cobra.Command {
	var lang string
	var top int
	cmd := &cobra.Command{
		Use:   `explain "TEXT" ["TEXT"…]`,
		Short: "Show how the bot decides on a message: candidates, scores, threshold and why",
		Long: `Train the bot as serve does and show, for each message, how it decides
outside a flow: the best candidates with the combined score and each model's
own score, the confidence threshold and how it was picked, and whether the
bot answers, asks which of two candidates is meant, or falls back, and why.
Nothing is stored; no database is opened.

  switchboard explain "are you a bot" "我收到的东西坏了"`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			return explain(cmd.Context(), cfg, args, lang, top, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&lang, "lang", "", "language of the messages (default: detected per message)")
	cmd.Flags().IntVar(&top, "top", 5, "number of candidates to show")
	return cmd
}

func explain(ctx context.Context, cfg *config.Config, texts []string, lang string, top int, out, errOut io.Writer) error {
	if top < 1 {
		return fmt.Errorf("explain: --top must be at least 1, got %d", top)
	}
	log := newLogger(&config.Config{Log: config.Log{Level: "warn", Format: cfg.Log.Format}, Privacy: cfg.Privacy}, errOut)
	bot, from, err := loadBot(cfg, log)
	if err != nil {
		return fmt.Errorf("load bot from %s: %w", from, err)
	}
	u, err := intents.New(ctx, bot, intentsOptions(cfg, log))
	if err != nil {
		return fmt.Errorf("train bot from %s: %w", from, err)
	}
	for i, text := range texts {
		if i > 0 {
			fmt.Fprintln(out)
		}
		if err := u.Explain(text, strings.ToLower(lang), top).Write(out); err != nil {
			return err
		}
	}
	return nil
}

// debugHandler prints how the bot decides on each message before the
// engine handles it (chat --debug).
type debugHandler struct {
	next terminal.Handler
	bot  func() *intents.Understander
	out  io.Writer
}

func (h debugHandler) Handle(ctx context.Context, m core.Message) (core.Result, error) {
	var b strings.Builder
	_ = h.bot().Explain(m.Text, "", 3).Write(&b)
	for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		fmt.Fprintf(h.out, "debug> %s\n", line)
	}
	return h.next.Handle(ctx, m)
}
