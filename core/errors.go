package core

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors, compared with errors.Is.
var (
	// ErrDuplicate: the message was already handled (one of its dedupe keys exists).
	ErrDuplicate = errors.New("duplicate message")
	// ErrConflict: the conversation's state changed since it was loaded.
	ErrConflict = errors.New("conversation state changed concurrently")
	// ErrNotFound: the requested record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrClosed: the store or engine is closed.
	ErrClosed = errors.New("closed")
	// ErrNoSender: no Sender is registered for the reply's platform.
	ErrNoSender = errors.New("no sender for platform")
)

// SendError is the one typed error a Sender returns to tell the Dispatcher how
// to treat a failed send. Other errors are treated as temporary.
type SendError struct {
	Platform   string
	Status     int           // HTTP status or platform error code, 0 if none
	Code       string        // platform error code, e.g. Slack "channel_not_found"
	RetryAfter time.Duration // > 0 when the platform said when to retry (429)
	Permanent  bool          // true when retrying cannot help (400, 403, blocked)
	Err        error
}

func (e *SendError) Error() string {
	msg := e.Platform + ": send failed"
	if e.Status != 0 {
		msg += fmt.Sprintf(" (status %d)", e.Status)
	}
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(", retry after %s", e.RetryAfter)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *SendError) Unwrap() error { return e.Err }
