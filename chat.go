package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboard-gw/switchboard/adapters/terminal"
	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/config"
)

func newChatCmd() *cobra.Command {
	var user string
	var debug bool
	cmd := &cobra.Command{
		Use:   "chat",
		Short: "Talk to the bot in the terminal (same engine and store as serve)",
		Long: `Talk to the bot in the terminal. Each line you type is one customer message;
the bot's replies are printed as "bot> …". Works interactively and with piped
input (one line in, the replies out, exits at end of input):

  printf 'what are your opening hours\n' | switchboard chat

chat opens the same database as serve, so stop serve first (the database
file is locked by one process at a time).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			// Logs go to stderr at warn so that stdout is the conversation.
			if cfg.Log.Level == "info" || cfg.Log.Level == "debug" {
				cfg.Log.Level = "warn"
			}
			log := newLogger(cfg, os.Stderr)
			return chat(cmd.Context(), cfg, log, user, cmd.InOrStdin(), cmd.OutOrStdout(), isTerminal(cmd.InOrStdin()), debug)
		},
	}
	cmd.Flags().StringVar(&user, "user", "local", "customer id of this conversation (a new id starts a new conversation)")
	cmd.Flags().BoolVar(&debug, "debug", false, "before each reply, print how the bot decided (candidates, scores, threshold, why; as switchboard explain)")
	return cmd
}

func chat(ctx context.Context, cfg *config.Config, log *slog.Logger, user string, in io.Reader, out io.Writer, interactive, debug bool) error {
	rt, err := openRuntime(ctx, cfg, log, time.Now)
	if err != nil {
		return err
	}
	defer rt.close()
	term := terminal.New(out, user)
	var disp *core.Dispatcher
	engine := rt.engine(nil, func() { disp.Notify() })
	disp = rt.dispatcher(nil, engine, term)
	dctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = disp.Run(dctx) })
	defer wg.Wait()
	defer stop()
	if interactive {
		fmt.Fprintf(out, "Talking to %s as %q. Ctrl-D to quit.\n", rt.botFrom, user)
	}
	var h terminal.Handler = engine
	if debug {
		h = debugHandler{next: engine, bot: rt.current, out: out}
	}
	return term.Run(ctx, in, h, interactive)
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
