package web

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Defaults applied by New to zero fields of Config.
const (
	DefaultSessionTTL       = 30 * 24 * time.Hour
	DefaultHistoryLimit     = 200
	DefaultHeartbeat        = 20 * time.Second
	DefaultTitle            = "Chat"
	DefaultBotName          = "Assistant"
	DefaultPrimaryColor     = "#2563eb"
	DefaultSubscriberBuffer = 16
	DefaultMaxSubscribers   = 3
	// DefaultUnusedSessionTTL is how long a session token that never sent
	// a message stays valid.
	DefaultUnusedSessionTTL = 12 * time.Hour
	// DefaultSessionsPerMinute and DefaultSessionBurst limit session
	// creation per client address.
	DefaultSessionsPerMinute = 10
	DefaultSessionBurst      = 20
	// DefaultMaxStreamsPerClient and DefaultMaxStreams cap live event
	// streams per client address and in total.
	DefaultMaxStreamsPerClient = 20
	DefaultMaxStreams          = 2000
	// DefaultStreamMaxLife is how long one event stream lives before the
	// server ends it (EventSource reconnects at once).
	DefaultStreamMaxLife = 30 * time.Minute
)

// MaxBodyBytes is the largest request body POST /api/web/messages accepts.
const MaxBodyBytes = 16 << 10

// Config configures the web chat adapter. The zero value is usable: New
// replaces every zero field with its default.
type Config struct {
	// SessionTTL is how long a session token stays valid after it was issued
	// or last refreshed. A session in use is refreshed once half of its TTL
	// has passed, so an active customer keeps their conversation. Default 30 days.
	SessionTTL time.Duration
	// HistoryLimit is how many transcript turns GET /api/web/messages returns.
	// Default 200.
	HistoryLimit int
	// Heartbeat is the interval of the comment lines that keep an idle event
	// stream open through proxies. Default 20 s.
	Heartbeat time.Duration
	// SubscriberBuffer is how many events may wait for one slow event stream
	// before it is dropped (the page reconnects and re-fetches). Default 16.
	SubscriberBuffer int
	// MaxSubscribers caps the live event streams of one conversation (tabs of
	// one customer); opening one more closes the oldest. Default 3.
	MaxSubscribers int

	// UnusedSessionTTL is how long a session token that has not sent a
	// message yet stays valid. Such a token is stateless (signed, not
	// stored); the first message stores the session for SessionTTL.
	// Default 12 hours.
	UnusedSessionTTL time.Duration
	// SessionsPerMinute and SessionBurst limit POST /api/web/session per
	// client address (a token bucket); beyond it the answer is 429 with
	// Retry-After. Defaults 10 and 20.
	SessionsPerMinute int
	SessionBurst      int
	// MaxStreamsPerClient caps the live event streams of one client
	// address, MaxStreams those of the whole server; beyond them a new
	// stream gets 429 (per client) or 503 (total). Defaults 20 and 2000.
	MaxStreamsPerClient int
	MaxStreams          int
	// StreamMaxLife is how long an event stream lives; the server then ends
	// it and the page reconnects. Default 30 minutes.
	StreamMaxLife time.Duration
	// ClientAddr returns the client address of a request, which per-client
	// limits are keyed by (see internal/clientip for X-Forwarded-For behind
	// trusted proxies). Nil means the IP of the TCP peer.
	ClientAddr func(*http.Request) string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Branding
}

// Branding is how the chat looks and speaks: the `web.*` keys of the
// configuration that the page and the widget show.
type Branding struct {
	// Title is shown in the page's title and header. Default "Chat".
	Title string
	// BotName labels the bot's messages. Default "Assistant".
	BotName string
	// AvatarURL is the bot's picture (an http(s) URL); AvatarFile instead
	// names a local PNG, JPEG, GIF, WebP or SVG file (at most MaxAvatarBytes)
	// that the gateway serves itself at /web/avatar. Set at most one.
	AvatarURL  string
	AvatarFile string
	// LogoURL is shown in the header (an http(s) URL).
	LogoURL string
	// PrimaryColor ("#rrggbb" or "#rgb") is the background of the customer's
	// messages, the send button and the widget's launcher, all with white
	// text. Default "#2563eb".
	PrimaryColor string
	// Welcome is the greeting shown when the chat opens, per language ("en",
	// "zh", …); languages without one use the built-in greeting.
	Welcome map[string]string
	// QuickReplies are offered with the welcome message, per language.
	QuickReplies map[string][]string
	// Placeholder is the message box's placeholder per language (a shortcut
	// for Strings[lang]["placeholder"]).
	Placeholder map[string]string
	// Strings overrides UI strings per language: Strings["zh"]["send"] = "发送".
	// The keys are those of UIStringKeys.
	Strings map[string]map[string]string
	// AllowedOrigins are the sites ("https://shop.example") that may embed
	// the chat with widget.js: they go into the page's CSP frame-ancestors and
	// get CORS headers on the API. Empty: the chat cannot be framed by
	// another site.
	AllowedOrigins []string
	// Prechat asks for these fields before the first message: "name",
	// "email". They are passed to the conversation as the customer's name, so
	// that an agent's case shows it.
	Prechat []string
}

// Validate reports every field that is set to an invalid value. Zero values
// are valid: they mean "use the default". It reads AvatarFile to check it.
func (c Config) Validate() error {
	var errs []error
	if c.SessionTTL < 0 {
		errs = append(errs, fmt.Errorf("web: session_ttl must not be negative, got %s", c.SessionTTL))
	}
	if c.SessionTTL > 0 && c.SessionTTL < time.Minute {
		errs = append(errs, fmt.Errorf("web: session_ttl must be at least 1m, got %s", c.SessionTTL))
	}
	if c.HistoryLimit < 0 {
		errs = append(errs, fmt.Errorf("web: history_limit must not be negative, got %d", c.HistoryLimit))
	}
	if c.Heartbeat < 0 {
		errs = append(errs, fmt.Errorf("web: heartbeat must not be negative, got %s", c.Heartbeat))
	}
	if c.SubscriberBuffer < 0 {
		errs = append(errs, fmt.Errorf("web: subscriber_buffer must not be negative, got %d", c.SubscriberBuffer))
	}
	if c.MaxSubscribers < 0 {
		errs = append(errs, fmt.Errorf("web: max_subscribers must not be negative, got %d", c.MaxSubscribers))
	}
	errs = append(errs, c.Branding.validate()...)
	if c.UnusedSessionTTL < 0 || (c.UnusedSessionTTL > 0 && c.UnusedSessionTTL < time.Minute) {
		errs = append(errs, fmt.Errorf("web: unused_session_ttl must be 0 (default) or at least 1m, got %s", c.UnusedSessionTTL))
	}
	for name, v := range map[string]int{"sessions_per_minute": c.SessionsPerMinute, "session_burst": c.SessionBurst,
		"max_streams_per_client": c.MaxStreamsPerClient, "max_streams": c.MaxStreams} {
		if v < 0 {
			errs = append(errs, fmt.Errorf("web: %s must not be negative, got %d", name, v))
		}
	}
	if c.StreamMaxLife < 0 {
		errs = append(errs, fmt.Errorf("web: stream_max_life must not be negative, got %s", c.StreamMaxLife))
	}
	return errors.Join(errs...)
}

// Warnings returns advice about valid but doubtful settings, such as a
// primary colour whose contrast with white text is below WCAG AA.
func (c Config) Warnings() []string {
	return c.Branding.warnings()
}

// withDefaults returns c with every zero or invalid field set to its default.
func (c Config) withDefaults() Config {
	if c.SessionTTL <= 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.HistoryLimit <= 0 {
		c.HistoryLimit = DefaultHistoryLimit
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = DefaultHeartbeat
	}
	if c.SubscriberBuffer <= 0 {
		c.SubscriberBuffer = DefaultSubscriberBuffer
	}
	if c.MaxSubscribers <= 0 {
		c.MaxSubscribers = DefaultMaxSubscribers
	}
	if c.Title == "" {
		c.Title = DefaultTitle
	}
	if c.BotName == "" {
		c.BotName = DefaultBotName
	}
	if _, ok := parseColor(c.PrimaryColor); !ok {
		c.PrimaryColor = DefaultPrimaryColor
	}
	if c.UnusedSessionTTL <= 0 {
		c.UnusedSessionTTL = DefaultUnusedSessionTTL
	}
	if c.SessionsPerMinute <= 0 {
		c.SessionsPerMinute = DefaultSessionsPerMinute
	}
	if c.SessionBurst <= 0 {
		c.SessionBurst = DefaultSessionBurst
	}
	if c.MaxStreamsPerClient <= 0 {
		c.MaxStreamsPerClient = DefaultMaxStreamsPerClient
	}
	if c.MaxStreams <= 0 {
		c.MaxStreams = DefaultMaxStreams
	}
	if c.StreamMaxLife <= 0 {
		c.StreamMaxLife = DefaultStreamMaxLife
	}
	if c.ClientAddr == nil {
		c.ClientAddr = peerAddr
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// peerAddr is the IP of the request's TCP peer (RemoteAddr without the port).
func peerAddr(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
