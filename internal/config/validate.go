package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/internal/redact"
)

// Validate checks the configuration and returns every problem found, joined.
// Each message starts with the key at fault, e.g.
// "slack.signing_secret: required when slack.enabled is true".
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	if c.Server.Addr == "" {
		bad("server.addr", "must not be empty (e.g. \":8080\")")
	} else if err := checkListenAddr(c.Server.Addr); err != nil {
		bad("server.addr", "%v", err)
	}
	if t := c.Server.AdminToken; t != "" && len(t) < 32 {
		bad("server.admin_token", "must be at least 32 characters (it guards the whole database), got %d; generate one with: openssl rand -base64 32", len(t))
	}
	if t := c.Server.MetricsToken; t != "" && len(t) < 16 {
		bad("server.metrics_token", "must be at least 16 characters, got %d", len(t))
	}
	if a := c.Server.MetricsAddr; a != "" && a == c.Server.Addr {
		bad("server.metrics_addr", "must differ from server.addr (leave it empty to serve /metrics on server.addr)")
	}
	if c.Server.ShutdownTimeout <= 0 {
		bad("server.shutdown_timeout", "must be positive, got %s", c.Server.ShutdownTimeout)
	}
	for key, d := range map[string]time.Duration{"server.read_header_timeout": c.Server.ReadHeaderTimeout,
		"server.read_timeout": c.Server.ReadTimeout, "server.idle_timeout": c.Server.IdleTimeout} {
		if d <= 0 {
			bad(key, "must be positive (a missing timeout lets slow clients hold connections); got %s", d)
		}
	}
	for _, p := range c.Server.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err != nil {
			bad("server.trusted_proxies", "%q is not an IP address or CIDR prefix", p)
		}
	}
	if c.Limits.Messages < 0 {
		bad("limits.messages", "must be 0 (no limit) or more; got %d", c.Limits.Messages)
	}
	if c.Limits.Messages > 0 && (c.Limits.Per <= 0 || c.Limits.Burst < 1) {
		bad("limits.per", "limits.per must be positive and limits.burst at least 1; got %s and %d", c.Limits.Per, c.Limits.Burst)
	}
	if c.Web.SessionTTL < time.Minute {
		bad("web.session_ttl", "must be at least 1m; got %s", c.Web.SessionTTL)
	}
	if c.Web.UnusedSessionTTL < time.Minute || c.Web.UnusedSessionTTL > c.Web.SessionTTL {
		bad("web.unused_session_ttl", "must be at least 1m and at most web.session_ttl; got %s", c.Web.UnusedSessionTTL)
	}
	for key, n := range map[string]int{"web.sessions_per_minute": c.Web.SessionsPerMinute, "web.session_burst": c.Web.SessionBurst,
		"web.max_streams_per_session": c.Web.MaxStreamsPerSession, "web.max_streams_per_client": c.Web.MaxStreamsPerClient,
		"web.max_streams": c.Web.MaxStreams} {
		if n < 1 {
			bad(key, "must be at least 1; got %d", n)
		}
	}
	if c.Web.StreamMaxLife < time.Minute {
		bad("web.stream_max_life", "must be at least 1m; got %s", c.Web.StreamMaxLife)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be one of debug, info, warn, error; got %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "must be text or json; got %q", c.Log.Format)
	}
	switch c.Store.Backend {
	case "bolt":
		if c.Store.Path == "" {
			bad("store.path", "required when store.backend is bolt")
		}
	case "nats":
		bad("store.backend", "\"nats\" is not available in this build yet; use \"bolt\"")
	default:
		bad("store.backend", "must be bolt or nats; got %q", c.Store.Backend)
	}
	if c.Store.DedupeTTL < 1e9*60 {
		bad("store.dedupe_ttl", "must be at least 1m (platforms redeliver for minutes to hours); got %s", c.Store.DedupeTTL)
	}
	if c.Bot.Intents == "" {
		bad("bot.intents", "must name the directory with the bot's YAML files")
	}
	if c.Bot.ConfidenceThreshold < 0 || c.Bot.ConfidenceThreshold >= 1 {
		bad("bot.confidence_threshold", "must be in [0, 1) (0 = calibrate automatically); got %v", c.Bot.ConfidenceThreshold)
	}
	switch c.Bot.Encoder {
	case "auto", "on", "off":
	default:
		bad("bot.encoder", "must be auto, on or off; got %q", c.Bot.Encoder)
	}
	if c.Bot.Language == "" {
		bad("bot.language", "must be \"auto\" or a language code such as en or zh")
	}
	if c.Handoff.AfterFallbacks < 0 {
		bad("handoff.after_fallbacks", "must be 0 (never) or more; got %d", c.Handoff.AfterFallbacks)
	}
	if c.Handoff.IdleReturn < 0 {
		bad("handoff.idle_return", "must not be negative; got %s", c.Handoff.IdleReturn)
	}
	errs = append(errs, c.routingProblems()...) // handoff.teams and handoff.routes, with their lines
	if c.Outbox.Workers < 1 {
		bad("outbox.workers", "must be at least 1; got %d", c.Outbox.Workers)
	}
	if c.Outbox.MaxAttempts < 1 {
		bad("outbox.max_attempts", "must be at least 1; got %d", c.Outbox.MaxAttempts)
	}
	if c.Outbox.BaseBackoff <= 0 || c.Outbox.MaxBackoff < c.Outbox.BaseBackoff {
		bad("outbox.base_backoff", "must be positive and not above outbox.max_backoff; got %s and %s", c.Outbox.BaseBackoff, c.Outbox.MaxBackoff)
	}
	checkURL := func(key, v string) {
		if v == "" {
			return
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(key, "must be an http(s) URL; got %q", v)
		}
	}
	required := func(enabled bool, section string, keys map[string]string) {
		if !enabled {
			return
		}
		for k, v := range keys {
			if v == "" {
				bad(section+"."+k, "required when %s.enabled is true (or set %s)", section, EnvName(section+"."+k))
			}
		}
	}
	required(c.Slack.Enabled, "slack", map[string]string{"bot_token": c.Slack.BotToken, "signing_secret": c.Slack.SigningSecret})
	checkURL("slack.api_url", c.Slack.APIURL)
	switch c.Slack.Mode {
	case "events":
	case "socket":
		if c.Slack.Enabled && c.Slack.AppToken == "" {
			bad("slack.app_token", "required when slack.mode is socket (an app-level token, xapp-…)")
		}
	default:
		bad("slack.mode", "must be events or socket; got %q", c.Slack.Mode)
	}
	if c.Handoff.IdleWarning < 0 {
		bad("handoff.idle_warning", "must not be negative; got %s", c.Handoff.IdleWarning)
	}
	if c.Handoff.MaxCasesPerHour < 0 {
		bad("handoff.max_cases_per_hour", "must be 0 (no cap) or more; got %d", c.Handoff.MaxCasesPerHour)
	}
	if c.Handoff.EditWindow < 0 {
		bad("handoff.edit_window", "must not be negative; got %s", c.Handoff.EditWindow)
	}
	if p := c.Handoff.NotePrefix; p != "" && strings.TrimSpace(p) == "" {
		bad("handoff.note_prefix", "must not be only spaces")
	}
	if u := c.Server.PublicURL; u != "" {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			bad("server.public_url", "must be an absolute http(s) URL such as https://bot.example.com; got %q", u)
		}
	}
	if c.Handoff.UnassignedAlert < 0 {
		bad("handoff.unassigned_alert", "must not be negative; got %s", c.Handoff.UnassignedAlert)
	}
	required(c.Telegram.Enabled, "telegram", map[string]string{"token": c.Telegram.Token})
	if c.Telegram.Enabled && c.Telegram.Mode == "webhook" && c.Telegram.SecretToken == "" {
		bad("telegram.secret_token", "required in webhook mode, so that forged updates are refused")
	}
	if c.Telegram.Mode != "webhook" && c.Telegram.Mode != "polling" {
		bad("telegram.mode", "must be webhook or polling; got %q", c.Telegram.Mode)
	}
	checkURL("telegram.api_url", c.Telegram.APIURL)
	required(c.Discord.Enabled, "discord", map[string]string{"token": c.Discord.Token, "public_key": c.Discord.PublicKey, "application_id": c.Discord.ApplicationID})
	if c.Discord.PublicKey != "" {
		if b, err := hex.DecodeString(c.Discord.PublicKey); err != nil || len(b) != 32 {
			bad("discord.public_key", "must be the application's Ed25519 public key: 64 hex characters")
		}
	}
	checkURL("discord.api_url", c.Discord.APIURL)
	required(c.WeChat.Enabled, "wechat", map[string]string{"app_id": c.WeChat.AppID, "app_secret": c.WeChat.AppSecret, "token": c.WeChat.Token})
	if k := c.WeChat.EncodingAESKey; k != "" {
		if b, err := base64.StdEncoding.DecodeString(k + "="); len(k) != 43 || err != nil || len(b) != 32 {
			bad("wechat.encoding_aes_key", "must be the 43-character EncodingAESKey from the WeChat console")
		}
	}
	checkURL("wechat.api_url", c.WeChat.APIURL)
	if c.WeChat.Enabled && (c.WeChat.MaxClockSkew < 30*time.Second || c.WeChat.MaxClockSkew > 24*time.Hour) {
		bad("wechat.max_clock_skew", "must be between 30s and 24h; got %s", c.WeChat.MaxClockSkew)
	}
	c.Privacy.validate(bad)
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}

// Redacted returns a copy of c with every secret replaced by "***" (or left
// empty when unset), safe to log or print.
func (c Config) Redacted() Config {
	mask := func(s *string) {
		if *s != "" {
			*s = "***"
		}
	}
	mask(&c.Server.AdminToken)
	mask(&c.Server.MetricsToken)
	mask(&c.Slack.BotToken)
	mask(&c.Slack.SigningSecret)
	mask(&c.Slack.AppToken)
	mask(&c.Telegram.Token)
	mask(&c.Telegram.SecretToken)
	mask(&c.Discord.Token)
	mask(&c.WeChat.AppSecret)
	mask(&c.WeChat.Token)
	mask(&c.WeChat.EncodingAESKey)
	return c
}

// String lists the configuration with secrets masked.
func (c Config) String() string {
	type plain Config // no String method, so %+v does not recurse
	var b strings.Builder
	fmt.Fprintf(&b, "%+v", plain(c.Redacted()))
	return b.String()
}

// validate checks the privacy keys: known kinds and valid regular
// expressions.
func (p Privacy) validate(bad func(key, format string, args ...any)) {
	for _, k := range p.Redact {
		if _, err := redact.ParseKind(k); err != nil {
			bad("privacy.redact", "%v", err)
		}
	}
	for _, k := range p.RedactForAgents {
		if _, err := redact.ParseKind(k); err != nil {
			bad("privacy.redact_for_agents", "%v", err)
		}
	}
	for i, pat := range p.RedactPatterns {
		if _, err := redact.CompilePattern(pat); err != nil {
			bad("privacy.redact_patterns", "pattern %d: %v", i+1, err)
		}
	}
}
