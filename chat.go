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
	"golang.org/x/term"

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
the bot's replies are printed as "bot> …".

In a terminal, lines are edited with the arrow keys, ↑/↓ recall earlier lines,
and Ctrl-C or Ctrl-D quits; the conversation is kept in the database and
continues the next time (same --user, "local" by default).

With piped input (one line in, the replies out, exits at end of input) each
run is a fresh conversation, so that a flow one run left open does not take
over the next, unless --user names one:

  printf 'what are your opening hours\n' | switchboard chat
  printf 'AB123456\n' | switchboard chat --user ann

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
			interactive := isTerminal(cmd.InOrStdin())
			if !interactive && !cmd.Flags().Changed("user") {
				user = "pipe-" + core.NewID()
			}
			return chat(cmd.Context(), cfg, log, user, cmd.InOrStdin(), cmd.OutOrStdout(), interactive, debug)
		},
	}
	cmd.Flags().StringVar(&user, "user", "local", "customer id of this conversation (a new id starts a new conversation; piped runs get a fresh one unless set)")
	cmd.Flags().BoolVar(&debug, "debug", false, "before each reply, print how the bot decided (candidates, scores, threshold, why; as switchboard explain)")
	return cmd
}

// chat talks to the bot: with interactive set and in a terminal, through a
// line editor (golang.org/x/term's Terminal, in raw mode: arrows, history,
// Ctrl-C and Ctrl-D quit); otherwise line by line from in.
func chat(ctx context.Context, cfg *config.Config, log *slog.Logger, user string, in io.Reader, out io.Writer, interactive, debug bool) error {
	if !interactive {
		return converse(ctx, cfg, log, user, out, "", debug, func(t *terminal.Adapter, eng terminal.Handler) error {
			return t.Run(ctx, in, eng, false)
		})
	}
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return converse(ctx, cfg, log, user, out, "Ctrl-D to quit.", debug, func(t *terminal.Adapter, eng terminal.Handler) error {
			return t.Run(ctx, in, eng, true)
		})
	}
	fd := int(f.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return fmt.Errorf("chat: switch the terminal to raw mode: %w", err)
	}
	defer func() { _ = term.Restore(fd, old) }()
	rw := struct {
		io.Reader
		io.Writer
	}{in, out}
	return chatEditor(ctx, cfg, log, user, rw, debug, func(ed *term.Terminal) {
		if w, h, err := term.GetSize(fd); err == nil {
			_ = ed.SetSize(w, h) // long lines wrap at the terminal's width
		}
	})
}

// chatEditor runs the conversation through a line editor on rw (a terminal
// in raw mode), after setup (e.g. the terminal's size). Replies are written
// through the editor, which keeps the prompt and the line being typed below
// them.
func chatEditor(ctx context.Context, cfg *config.Config, log *slog.Logger, user string, rw io.ReadWriter, debug bool, setup ...func(*term.Terminal)) error {
	ed := term.NewTerminal(rw, "you> ")
	for _, f := range setup {
		f(ed)
	}
	err := converse(ctx, cfg, log, user, ed, "↑/↓ history, Ctrl-C or Ctrl-D to quit (the conversation is kept).", debug,
		func(t *terminal.Adapter, eng terminal.Handler) error { return t.RunLines(ctx, ed.ReadLine, eng) })
	_, _ = io.WriteString(rw, "\r\n") // leave the shell's prompt on a line of its own
	return err
}

// converse opens the runtime, prints the banner (when not empty) and runs
// the conversation with run.
func converse(ctx context.Context, cfg *config.Config, log *slog.Logger, user string, out io.Writer, banner string, debug bool,
	run func(*terminal.Adapter, terminal.Handler) error) error {
	rt, err := openRuntime(ctx, cfg, log, time.Now)
	if err != nil {
		return err
	}
	defer rt.close()
	t := terminal.New(out, user)
	var disp *core.Dispatcher
	engine := rt.engine(nil, func() { disp.Notify() })
	disp = rt.dispatcher(nil, engine, t)
	dctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = disp.Run(dctx) })
	defer wg.Wait()
	defer stop()
	if banner != "" {
		fmt.Fprintf(out, "Talking to %s as %q. %s\n", rt.botFrom, user, banner)
	}
	var h terminal.Handler = engine
	if debug {
		h = debugHandler{next: engine, bot: rt.current, out: out}
	}
	return run(t, h)
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
