package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func newTelegramCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "telegram",
		Short: "Telegram set-up commands",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var url string
	var del bool
	set := &cobra.Command{
		Use:   "set-webhook --url https://HOST/webhooks/telegram",
		Short: "Register the webhook with Telegram (with telegram.secret_token), or remove it with --delete",
		Long: `Register Switchboard's webhook with Telegram's setWebhook, passing
telegram.secret_token so that Telegram signs every update with it. Use
--delete to remove the webhook (needed before telegram.mode: polling).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (url == "") == !del {
				return fmt.Errorf("telegram set-webhook: give exactly one of --url and --delete")
			}
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			if cfg.Telegram.Token == "" {
				return fmt.Errorf("telegram set-webhook: telegram.token is not set (or SWITCHBOARD_TELEGRAM_TOKEN)")
			}
			if !del && cfg.Telegram.SecretToken == "" {
				return fmt.Errorf("telegram set-webhook: telegram.secret_token is not set; without it forged updates cannot be told apart")
			}
			a, err := newTelegram(cmd.Context(), cfg, nil, newLogger(cfg, os.Stderr))
			if err != nil {
				return err
			}
			if del {
				if err := a.DeleteWebhook(cmd.Context()); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "telegram: webhook deleted")
				return nil
			}
			if err := a.SetWebhook(cmd.Context(), url); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "telegram: webhook set to %s\n", url)
			return nil
		},
	}
	set.Flags().StringVar(&url, "url", "", "public HTTPS URL of /webhooks/telegram")
	set.Flags().BoolVar(&del, "delete", false, "remove the webhook instead")
	cmd.AddCommand(set)
	return cmd
}

func newDiscordCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "discord",
		Short: "Discord set-up commands",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "register-commands",
		Short: "Register /ask, /start, /help and the \"Ask the bot\" message command (globally, or in discord.guild_id)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			if cfg.Discord.Token == "" || cfg.Discord.ApplicationID == "" {
				return fmt.Errorf("discord register-commands: discord.token and discord.application_id must be set")
			}
			a, err := newDiscord(cmd.Context(), cfg, nil, newLogger(cfg, os.Stderr))
			if err != nil {
				return err
			}
			if err := a.RegisterCommands(cmd.Context()); err != nil {
				return err
			}
			where := "globally (may take up to an hour to appear)"
			if cfg.Discord.GuildID != "" {
				where = "in guild " + cfg.Discord.GuildID
			}
			fmt.Fprintf(cmd.OutOrStdout(), "discord: /ask, /start, /help and \"Ask the bot\" registered %s\n", where)
			return nil
		},
	})
	return cmd
}
