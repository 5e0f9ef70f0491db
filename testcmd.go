package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/switchboard-gw/switchboard/intents"
	"github.com/switchboard-gw/switchboard/intents/convtest"
	"github.com/switchboard-gw/switchboard/internal/config"
)

func newTestCmd() *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "test [FILE…]",
		Short: "Run the bot's conversation tests (YAML); exit 1 on any failure",
		Long: `Run conversation tests written in YAML against the bot, in-process, through
the real engine on a throwaway database (a temporary bbolt file, deleted
afterwards). Without FILE arguments it runs every *.yaml/*.yml in the
"tests" folder of bot.intents (for the sample bot: intents/tests/).

A test is a list of steps; each step is what the user says and what the bot
must do:

  - name: order status asks for the number
    steps:
      - user: where is my order
        bot: {intent: order_status, says: "order number"}
      - user: it's AB123456
        bot: {slots: {order_id: AB123456}, says: "AB123456"}

"says" is a substring or a /regex/; "handoff: true", "flow: name" and
"language: zh" are checked too. A failing step prints what was expected and
what the bot did.`,
		RunE: func(cmd *cobra.Command, files []string) error {
			path, _ := cmd.Flags().GetString("config")
			cfg, err := config.Load(path, nil)
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return fmt.Errorf("invalid configuration (%s):\n%w", orDefaults(cfg.File), err)
			}
			errOut := cmd.ErrOrStderr()
			log := newLogger(&config.Config{Log: config.Log{Level: "warn", Format: cfg.Log.Format}, Privacy: cfg.Privacy}, errOut)
			bot, from, err := loadBot(cfg, log)
			if err != nil {
				var ve *intents.ValidationError
				if errors.As(err, &ve) {
					for _, p := range ve.Problems {
						fmt.Fprintln(errOut, p.String())
					}
					return exitError{1}
				}
				return fmt.Errorf("load bot from %s: %w", from, err)
			}
			if len(files) == 0 {
				if from != cfg.Bot.Intents {
					return fmt.Errorf("test: no test files given and the bot is the embedded sample (no %s directory)", cfg.Bot.Intents)
				}
				files, err = convtest.DefaultFiles(cfg.Bot.Intents)
				if err != nil {
					return fmt.Errorf("test: %w", err)
				}
				if len(files) == 0 {
					return fmt.Errorf("test: no test files in %s/tests; name files on the command line", cfg.Bot.Intents)
				}
			}
			u, err := intents.New(cmd.Context(), bot, intentsOptions(cfg, nil))
			if err != nil {
				return fmt.Errorf("train bot from %s: %w", from, err)
			}
			failed, err := convtest.Run(cmd.Context(), files, u, convtest.Options{Handoff: handoffOptions(cfg), Verbose: verbose}, cmd.OutOrStdout())
			if err != nil {
				var pe *convtest.ParseError
				if errors.As(err, &pe) {
					for _, p := range pe.Problems {
						fmt.Fprintln(errOut, p)
					}
					return exitError{1}
				}
				return fmt.Errorf("test: %w", err)
			}
			if failed > 0 {
				return exitError{1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every step of passing tests too")
	return cmd
}
