package web

import (
	"errors"
	"fmt"
	"time"
)

// Defaults applied by New to zero fields of Config.
const (
	DefaultSessionTTL       = 30 * 24 * time.Hour
	DefaultHistoryLimit     = 200
	DefaultHeartbeat        = 20 * time.Second
	DefaultTitle            = "Chat"
	DefaultSubscriberBuffer = 16
	DefaultMaxSubscribers   = 8
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
	// Title is shown in the page's title and header. Default "Chat".
	Title string
	// SubscriberBuffer is how many events may wait for one slow event stream
	// before it is dropped (the page reconnects and re-fetches). Default 16.
	SubscriberBuffer int
	// MaxSubscribers caps the live event streams of one conversation (tabs of
	// one customer); opening one more closes the oldest. Default 8.
	MaxSubscribers int
}

// Validate reports every field that is set to an invalid value. Zero values
// are valid: they mean "use the default".
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
	return errors.Join(errs...)
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
	if c.Title == "" {
		c.Title = DefaultTitle
	}
	if c.SubscriberBuffer <= 0 {
		c.SubscriberBuffer = DefaultSubscriberBuffer
	}
	if c.MaxSubscribers <= 0 {
		c.MaxSubscribers = DefaultMaxSubscribers
	}
	return c
}
