package discord

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Defaults applied by New to zero fields of Config.
const (
	DefaultTimestampWindow = 5 * time.Minute
	DefaultHTTPTimeout     = 20 * time.Second
	DefaultWorkers         = 4
)

// Config configures the Discord adapter. Token, PublicKey, ApplicationID
// and APIURL mirror the "discord" section of config.yaml.
type Config struct {
	// Token is the bot token (Developer Portal → Bot → Reset Token), without
	// the "Bot " prefix. It is a secret and never appears in errors or logs.
	Token string
	// PublicKey is the application's Ed25519 public key in hex (Developer
	// Portal → General Information), used to verify interaction requests.
	PublicKey string
	// ApplicationID is the application's id (a snowflake).
	ApplicationID string
	// APIURL replaces https://discord.com (e.g. "http://127.0.0.1:8099") for
	// the REST API; the gateway URL is whatever GET /gateway there answers.
	// Empty means the real Discord. Tests and `switchboard bench` point it at a fake.
	APIURL string
	// Channels are guild channel ids in which every message is answered; in
	// other guild channels only messages that mention the bot are. Direct
	// messages are always answered.
	Channels []string
	// GuildID, when set, makes RegisterCommands register /ask in that guild
	// only (instant; handy while testing) instead of globally.
	GuildID string
	// TimestampWindow is how far X-Signature-Timestamp may be from now
	// before an interaction is refused as a replay. Default 5 minutes.
	TimestampWindow time.Duration
	// HTTPTimeout bounds one REST call when the caller's context has no
	// earlier deadline. Default 20 s.
	HTTPTimeout time.Duration
	// Workers is how many gateway messages are handled at once (messages of
	// one channel always in order). Default 4.
	Workers int
}

// Validate reports every invalid field. It never includes the token.
func (c Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Token) == "" || strings.ContainsAny(c.Token, " \t\r\n") {
		errs = append(errs, errors.New("discord: token must be the bot token from the Developer Portal (without \"Bot \")"))
	}
	if _, err := c.publicKey(); err != nil {
		errs = append(errs, err)
	}
	if !snowflake(c.ApplicationID) {
		errs = append(errs, errors.New("discord: application_id must be the application's numeric id"))
	}
	if c.GuildID != "" && !snowflake(c.GuildID) {
		errs = append(errs, errors.New("discord: guild id must be numeric"))
	}
	for _, ch := range c.Channels {
		if !snowflake(ch) {
			errs = append(errs, fmt.Errorf("discord: channel %q is not a numeric channel id", ch))
		}
	}
	if c.APIURL != "" {
		u, err := url.Parse(c.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			errs = append(errs, errors.New("discord: api_url must be an absolute http(s) URL without query"))
		}
	}
	if c.TimestampWindow < 0 || c.HTTPTimeout < 0 || c.Workers < 0 {
		errs = append(errs, errors.New("discord: timestamp window, http timeout and workers must not be negative"))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.TimestampWindow <= 0 {
		c.TimestampWindow = DefaultTimestampWindow
	}
	if c.HTTPTimeout <= 0 {
		c.HTTPTimeout = DefaultHTTPTimeout
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	return c
}

func (c Config) publicKey() (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(c.PublicKey)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("discord: public_key must be the application's Ed25519 public key: 64 hex characters")
	}
	return ed25519.PublicKey(b), nil
}

// snowflake reports whether s is a Discord id: 1 to 20 decimal digits.
func snowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
