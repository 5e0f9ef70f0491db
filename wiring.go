package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/switchboard-gw/switchboard/adapters/discord"
	"github.com/switchboard-gw/switchboard/adapters/slack"
	"github.com/switchboard-gw/switchboard/adapters/telegram"
	"github.com/switchboard-gw/switchboard/adapters/web"
	"github.com/switchboard-gw/switchboard/adapters/wechat"
	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/clientip"
	"github.com/switchboard-gw/switchboard/internal/config"
	"github.com/switchboard-gw/switchboard/internal/redact"
)

// platforms are the enabled adapters of one serve: their routes are on the
// mux, their Senders go to the Dispatcher, their runners (Telegram polling,
// the Discord gateway, Slack Socket Mode) run until the context ends, and
// closers run at shutdown.
type platforms struct {
	// present is Slack's presence of agents, for teams that follow it.
	present func(ctx context.Context, userID string) (bool, error)
	senders []core.Sender
	runners map[string]func(context.Context) error
	closers []func()
	// health are the adapters' own readiness checks (Slack: the app was
	// uninstalled or its token revoked), by platform; /readyz reports them.
	health map[string]func() error
}

// wirePlatforms builds every enabled adapter. Adding a platform means one
// block here, one config section and one README row.
func wirePlatforms(ctx context.Context, cfg *config.Config, eng *core.Engine, st core.Store, cmds botCommands, log *slog.Logger, mux *http.ServeMux, now func() time.Time) (*platforms, error) {
	p := &platforms{runners: map[string]func(context.Context) error{}, health: map[string]func() error{}}
	if cfg.Web.Enabled {
		ips, err := clientip.New(cfg.Server.TrustedProxies)
		if err != nil {
			return nil, fmt.Errorf("server.trusted_proxies: %w", err)
		}
		wc := webConfig(cfg)
		wc.ClientAddr = ips.Addr
		a := web.New(wc, eng, st, log.With("platform", web.Platform))
		a.Register(mux)
		p.senders = append(p.senders, a)
		p.closers = append(p.closers, a.Close) // ends the live event streams
	}
	if cfg.Slack.Enabled {
		c := cfg.Slack
		forAgents, err := redact.New(cfg.Privacy.AgentRedactConfig())
		if err != nil {
			return nil, fmt.Errorf("privacy.redact_for_agents: %w", err)
		}
		a, err := slack.New(ctx, slack.Config{BotToken: c.BotToken, SigningSecret: c.SigningSecret,
			SupportChannel: c.SupportChannel, DeskChannels: teamChannels(cfg), APIURL: c.APIURL, Mode: c.Mode, AppToken: c.AppToken, Now: now,
			ForAgents: forAgents.Redact}, eng, st, log)
		if err != nil {
			return nil, fmt.Errorf("slack: %w", err)
		}
		p.present = a.Present
		a.Register(mux)
		p.senders = append(p.senders, a)
		p.runners["slack socket mode"] = a.Run
		p.health[slack.Platform] = a.Health
	}
	if cfg.Telegram.Enabled {
		a, err := newTelegram(ctx, cfg, eng, log)
		if err != nil {
			return nil, err
		}
		a.Register(mux)
		p.senders = append(p.senders, a)
		p.runners["telegram polling"] = a.Run
	}
	if cfg.Discord.Enabled {
		a, err := newDiscord(ctx, cfg, eng, log, discord.WithSuggester(cmds))
		if err != nil {
			return nil, err
		}
		a.Register(mux)
		p.senders = append(p.senders, a)
		p.runners["discord gateway"] = a.Run
	}
	if cfg.WeChat.Enabled {
		c := cfg.WeChat
		a, err := wechat.New(wechat.Config{AppID: c.AppID, AppSecret: c.AppSecret, Token: c.Token,
			EncodingAESKey: c.EncodingAESKey, APIURL: c.APIURL, MaxClockSkew: c.MaxClockSkew}, eng, st, log, wechat.WithCommands(cmds.IsCommand))
		if err != nil {
			return nil, fmt.Errorf("wechat: %w", err)
		}
		a.Register(mux)
		p.senders = append(p.senders, a)
	}
	return p, nil
}

// webConfig is the web adapter's configuration from the web.* keys.
func webConfig(cfg *config.Config) web.Config {
	c := cfg.Web
	return web.Config{SessionTTL: c.SessionTTL, UnusedSessionTTL: c.UnusedSessionTTL,
		SessionsPerMinute: c.SessionsPerMinute, SessionBurst: c.SessionBurst, MaxSubscribers: c.MaxStreamsPerSession,
		MaxStreamsPerClient: c.MaxStreamsPerClient, MaxStreams: c.MaxStreams, StreamMaxLife: c.StreamMaxLife,
		Branding: web.Branding{Title: c.Title, BotName: c.BotName, AvatarURL: c.AvatarURL,
			AvatarFile: c.AvatarFile, LogoURL: c.LogoURL, PrimaryColor: c.PrimaryColor, Welcome: c.Welcome,
			QuickReplies: c.QuickReplies, Placeholder: c.Placeholder, Strings: c.Strings,
			AllowedOrigins: c.AllowedOrigins, Prechat: c.Prechat}}
}

// platformWarnings returns advice about valid but doubtful settings of the
// enabled adapters, e.g. a web.primary_color with too little contrast.
func platformWarnings(cfg *config.Config) []string {
	if !cfg.Web.Enabled {
		return nil
	}
	return webConfig(cfg).Warnings()
}

// newTelegram builds the Telegram adapter; h may be nil for CLI commands.
func newTelegram(ctx context.Context, cfg *config.Config, h telegram.Handler, log *slog.Logger) (*telegram.Adapter, error) {
	c := cfg.Telegram
	a, err := telegram.New(ctx, telegram.Config{Token: c.Token, SecretToken: c.SecretToken, APIURL: c.APIURL, Mode: c.Mode}, h, log)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	return a, nil
}

// newDiscord builds the Discord adapter; h may be nil for CLI commands.
func newDiscord(ctx context.Context, cfg *config.Config, h discord.Handler, log *slog.Logger, opts ...discord.Option) (*discord.Adapter, error) {
	c := cfg.Discord
	a, err := discord.New(ctx, discord.Config{Token: c.Token, PublicKey: c.PublicKey, ApplicationID: c.ApplicationID,
		APIURL: c.APIURL, Channels: c.Channels, GuildID: c.GuildID}, h, log, opts...)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	return a, nil
}

// validatePlatforms runs each enabled adapter's own Config.Validate, so that
// `check` and start-up report platform rules (e.g. WeChat's token alphabet)
// before anything is started.
func validatePlatforms(cfg *config.Config) error {
	var errs []error
	add := func(section string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", section, err))
		}
	}
	if cfg.Web.Enabled {
		// The adapter's errors already name their web.* key.
		if err := webConfig(cfg).Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if c := cfg.Slack; c.Enabled {
		add("slack", slack.Config{BotToken: c.BotToken, SigningSecret: c.SigningSecret, SupportChannel: c.SupportChannel,
			APIURL: c.APIURL, Mode: c.Mode, AppToken: c.AppToken}.Validate())
	}
	if c := cfg.Telegram; c.Enabled {
		add("telegram", telegram.Config{Token: c.Token, SecretToken: c.SecretToken, APIURL: c.APIURL, Mode: c.Mode}.Validate())
	}
	if c := cfg.Discord; c.Enabled {
		add("discord", discord.Config{Token: c.Token, PublicKey: c.PublicKey, ApplicationID: c.ApplicationID,
			APIURL: c.APIURL, Channels: c.Channels, GuildID: c.GuildID}.Validate())
	}
	if c := cfg.WeChat; c.Enabled {
		add("wechat", wechat.Config{AppID: c.AppID, AppSecret: c.AppSecret, Token: c.Token,
			EncodingAESKey: c.EncodingAESKey, APIURL: c.APIURL, MaxClockSkew: c.MaxClockSkew}.Validate())
	}
	return errors.Join(errs...)
}

// botCommands is what adapters ask the bot outside a conversation:
// Discord's autocomplete suggestions and whether a WeChat menu key is a
// command.
type botCommands interface {
	discord.Suggester
	IsCommand(name string) bool
}

// commandsOf is the hot-reloading bot when there is one, else the bot
// trained at start-up.
func commandsOf(rt *runtime) botCommands {
	if rt.reloader != nil {
		return rt.reloader
	}
	return rt.u
}

// healthErr joins the adapters' health errors, nil when all are well.
func (p *platforms) healthErr() error {
	var errs []error
	for name, check := range p.health {
		if err := check(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}
