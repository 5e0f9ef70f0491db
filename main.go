// Command switchboard is an automated customer-service gateway: customers
// write on Slack, Telegram, Discord, WeChat or the web chat, one intent and
// FAQ engine answers, and a human takes over in a Slack thread when needed.
//
// This file only wires commands; each command's code is in its own file.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// exitError carries a process exit code without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	var ee exitError
	switch {
	case errors.As(err, &ee):
		os.Exit(ee.code)
	case err != nil:
		fmt.Fprintln(os.Stderr, "switchboard:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "switchboard",
		Short: "Customer-service gateway: one bot on web chat, Slack, Telegram, Discord and WeChat, with human handoff",
		Long: `Switchboard answers customers on the web chat, Slack, Telegram, Discord and WeChat
from one intent and FAQ engine, remembers each conversation, and hands a
conversation to a human agent in a Slack thread when the bot should step aside.

Run "switchboard serve" and open http://localhost:8080 to talk to the sample bot.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("config", "", "config file (default ./config.yaml when present, else built-in defaults)")
	root.AddCommand(
		newServeCmd(),
		newChatCmd(),
		newCheckCmd(),
		newExplainCmd(),
		newEvalCmd(),
		newTestCmd(),
		newBenchCmd(),
		newBackupCmd(),
		newCompactCmd(),
		newVersionCmd(),
		newHealthcheckCmd(),
		newTelegramCmd(),
		newDiscordCmd(),
	)
	return root
}
