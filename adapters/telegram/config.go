package telegram

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// The modes in which the adapter receives updates.
const (
	ModeWebhook = "webhook" // Telegram POSTs each update to /webhooks/telegram
	ModePolling = "polling" // Run long-polls getUpdates
)

// DefaultAPIURL is the Bot API's base URL, used when Config.APIURL is empty.
const DefaultAPIURL = "https://api.telegram.org"

// Defaults applied by New to zero fields of Config.
const (
	DefaultPollTimeout = 30 * time.Second
	DefaultHTTPTimeout = 30 * time.Second
)

// Config configures the Telegram adapter. Its fields mirror the "telegram"
// section of config.yaml.
type Config struct {
	// Token is the bot token from @BotFather ("123456:ABC-DEF..."). It is a
	// secret: it is part of every API URL, and the adapter redacts it from
	// every error and log line.
	Token string
	// SecretToken is the value Telegram echoes in the
	// X-Telegram-Bot-Api-Secret-Token header of every webhook POST; 1–256
	// characters of A-Z a-z 0-9 _ -. Required in webhook mode.
	SecretToken string
	// APIURL is the Bot API's base URL without the /bot<token>/ part; empty
	// means DefaultAPIURL. Tests and `switchboard bench` point it at a fake.
	APIURL string
	// Mode is ModeWebhook (the default when empty) or ModePolling.
	Mode string
	// PollTimeout is the long-polling timeout of one getUpdates call in
	// polling mode. Default 30 s; at most 50 s (Telegram's limit).
	PollTimeout time.Duration
	// HTTPTimeout bounds one API call other than getUpdates. Default 30 s.
	HTTPTimeout time.Duration
}

// Validate reports every invalid field. It never includes the token or the
// secret token in its errors.
func (c Config) Validate() error {
	var errs []error
	if !validToken(c.Token) {
		errs = append(errs, errors.New(`telegram: token must be the bot token from @BotFather, like "123456:ABC-DEF..."`))
	}
	mode := c.Mode
	if mode == "" {
		mode = ModeWebhook
	}
	switch mode {
	case ModeWebhook:
		if c.SecretToken == "" {
			errs = append(errs, errors.New("telegram: secret_token is required in webhook mode, so that forged updates are refused"))
		}
	case ModePolling:
	default:
		errs = append(errs, fmt.Errorf("telegram: mode must be %q or %q, got %q", ModeWebhook, ModePolling, c.Mode))
	}
	if c.SecretToken != "" && !validSecretToken(c.SecretToken) {
		errs = append(errs, errors.New("telegram: secret_token must be 1-256 characters of A-Z, a-z, 0-9, _ and -"))
	}
	if c.APIURL != "" {
		u, err := url.Parse(c.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, errors.New("telegram: api_url must be an absolute http(s) URL without query, like https://api.telegram.org"))
		}
	}
	if c.PollTimeout < 0 || c.PollTimeout > 50*time.Second {
		errs = append(errs, fmt.Errorf("telegram: poll timeout must be between 0 and 50s, got %s", c.PollTimeout))
	}
	if c.HTTPTimeout < 0 {
		errs = append(errs, fmt.Errorf("telegram: http timeout must not be negative, got %s", c.HTTPTimeout))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Mode == "" {
		c.Mode = ModeWebhook
	}
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.PollTimeout <= 0 {
		c.PollTimeout = DefaultPollTimeout
	}
	if c.HTTPTimeout <= 0 {
		c.HTTPTimeout = DefaultHTTPTimeout
	}
	return c
}

// endpoint returns the SDK's endpoint format for APIURL: base + "/bot%s/%s"
// (token, method), with any '%' of the base escaped.
func (c Config) endpoint() string {
	base := strings.TrimRight(c.APIURL, "/")
	return strings.ReplaceAll(base, "%", "%%") + "/bot%s/%s"
}

// validToken reports whether s looks like a bot token: digits, ':', then
// URL-safe characters. The check keeps tokens with '/' or '%' out of URLs.
func validToken(s string) bool {
	id, secret, ok := strings.Cut(s, ":")
	if !ok || id == "" || secret == "" {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return urlSafe(secret)
}

func validSecretToken(s string) bool {
	return len(s) >= 1 && len(s) <= 256 && urlSafe(s)
}

func urlSafe(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}
