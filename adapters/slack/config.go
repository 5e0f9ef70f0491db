package slack

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// The modes in which the adapter receives events.
const (
	ModeEvents = "events" // Slack POSTs events to /webhooks/slack (the default)
	ModeSocket = "socket" // Run holds a Socket Mode websocket open
)

// DefaultHTTPTimeout bounds one Web API call when Config.HTTPTimeout is zero.
const DefaultHTTPTimeout = 30 * time.Second

// Config configures the Slack adapter. Its fields mirror the "slack" section
// of config.yaml.
type Config struct {
	// BotToken is the bot user OAuth token (xoxb-…). It is a secret: it is
	// never put into an error or a log line.
	BotToken string
	// SigningSecret verifies that requests to /webhooks/slack and
	// /webhooks/slack/interactive come from Slack. Required in events mode.
	// It is a secret.
	SigningSecret string
	// SupportChannel is the ID (C…, or G… for an old private channel) of the
	// channel where cases are posted and agents answer in threads. Empty:
	// no support desk; the adapter then serves customers only.
	SupportChannel string
	// DeskChannels are the channels of the support teams cases are routed
	// to (handoff.teams), besides SupportChannel: agents answer in their
	// case threads, press the case buttons and type !on / !off there.
	DeskChannels []string
	// APIURL is the Web API base URL; empty means https://slack.com/api/.
	// Tests and `switchboard bench` point it at a fake. A missing trailing
	// slash is added.
	APIURL string
	// Mode is ModeEvents (the default when empty) or ModeSocket.
	Mode string
	// AppToken is the app-level token (xapp-…) with connections:write that
	// Socket Mode needs. It is a secret.
	AppToken string
	// HTTPTimeout bounds one Web API call. Default DefaultHTTPTimeout.
	HTTPTimeout time.Duration
	// Now is the clock used for the signature's 5-minute window; nil means
	// time.Now.
	Now func() time.Time
	// ForAgents masks what agents should not see (card numbers, ID numbers,
	// per privacy.redact_for_agents) in everything posted to the support
	// desk: the case card, relayed customer messages and notes. Nil shows
	// everything.
	ForAgents func(string) string
}

// Validate reports every invalid field. Its errors never contain a token or
// the signing secret.
func (c Config) Validate() error {
	var errs []error
	switch {
	case c.BotToken == "":
		errs = append(errs, errors.New("slack: bot_token is required (the bot user OAuth token, xoxb-…)"))
	case strings.HasPrefix(c.BotToken, "xapp-"):
		errs = append(errs, errors.New("slack: bot_token is an app-level token (xapp-…); use the bot user OAuth token (xoxb-…) and put the app-level token in app_token"))
	}
	mode := c.mode()
	switch mode {
	case ModeEvents:
		if c.SigningSecret == "" {
			errs = append(errs, errors.New("slack: signing_secret is required in events mode, so that forged requests are refused"))
		}
	case ModeSocket:
		if c.AppToken == "" {
			errs = append(errs, errors.New("slack: app_token is required in socket mode (an app-level token, xapp-…, with connections:write)"))
		} else if !strings.HasPrefix(c.AppToken, "xapp-") {
			errs = append(errs, errors.New("slack: app_token must be an app-level token (xapp-…)"))
		}
	default:
		errs = append(errs, fmt.Errorf("slack: mode must be %q or %q, got %q", ModeEvents, ModeSocket, c.Mode))
	}
	if ch := c.SupportChannel; ch != "" && !validChannelID(ch) {
		errs = append(errs, fmt.Errorf("slack: support_channel must be a channel ID like C0123ABCD (open the channel's details in Slack to copy it), got %q", ch))
	}
	for _, ch := range c.DeskChannels {
		if !validChannelID(ch) {
			errs = append(errs, fmt.Errorf("slack: team channel must be a channel ID like C0123ABCD, got %q", ch))
		}
	}
	if c.APIURL != "" {
		u, err := url.Parse(c.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, errors.New("slack: api_url must be an absolute http(s) URL without query, like https://slack.com/api/"))
		}
	}
	if c.HTTPTimeout < 0 {
		errs = append(errs, fmt.Errorf("slack: http timeout must not be negative, got %s", c.HTTPTimeout))
	}
	return errors.Join(errs...)
}

func (c Config) mode() string {
	if c.Mode == "" {
		return ModeEvents
	}
	return c.Mode
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	c.Mode = c.mode()
	if c.APIURL != "" && !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/"
	}
	if c.HTTPTimeout <= 0 {
		c.HTTPTimeout = DefaultHTTPTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// validChannelID reports whether s looks like a Slack conversation ID: an
// upper-case letter (C, G or D) followed by upper-case letters and digits.
func validChannelID(s string) bool {
	if len(s) < 2 || len(s) > 32 || (s[0] != 'C' && s[0] != 'G' && s[0] != 'D') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !(s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9' || s[i] == '_') {
			return false
		}
	}
	return true
}
