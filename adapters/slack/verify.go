package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxSkew is how far a request's X-Slack-Request-Timestamp may be from the
// adapter's clock before the request is refused as a possible replay.
const MaxSkew = 5 * time.Minute

// The reasons verify refuses a request. None of them includes the secret,
// the received signature or the body.
var (
	errMissingHeaders = errors.New("slack: missing X-Slack-Signature or X-Slack-Request-Timestamp")
	errBadTimestamp   = errors.New("slack: X-Slack-Request-Timestamp is not a unix time")
	errStale          = errors.New("slack: request timestamp is more than 5 minutes from now")
	errBadSignature   = errors.New("slack: signature does not match")
)

// verify checks Slack's v0 request signature: X-Slack-Signature must be
// "v0=" + hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)), compared
// in constant time, and X-Slack-Request-Timestamp must be within MaxSkew of
// now. It is the check of slack.NewSecretsVerifier with the clock injected
// (the library's reads time.Now). body must be the raw request body.
func verify(h http.Header, body []byte, secret string, now time.Time) error {
	if secret == "" {
		return errors.New("slack: no signing secret configured")
	}
	sig, ts := h.Get("X-Slack-Signature"), h.Get("X-Slack-Request-Timestamp")
	if sig == "" || ts == "" {
		return errMissingHeaders
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errBadTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return errStale
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return errBadSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return errBadSignature
	}
	if !hmac.Equal(got, sign(secret, ts, body)) {
		return errBadSignature
	}
	return nil
}

// sign returns HMAC-SHA256(secret, "v0:" + ts + ":" + body).
func sign(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + ts + ":"))
	m.Write(body)
	return m.Sum(nil)
}
