package bench

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/switchboard-gw/switchboard/internal/config"
)

// driver is one platform as the bench plays it: its fake API, how its
// webhooks are built and signed, and where its replies are recorded.
// prepare is called concurrently; poll from one goroutine at a time.
type driver interface {
	name() string
	// configure points the gateway's section of cfg at the fake.
	configure(cfg *config.Config)
	// start learns the gateway's base URL ("http://127.0.0.1:port").
	start(ctx context.Context, base string) error
	policy() policy
	// prepare builds the platform's n-th message (n counts from 0).
	prepare(n int, q Question) (*message, delivery)
	// poll returns the replies recorded since the last call.
	poll() []reply
	// bad returns the forged and malformed requests to send once;
	// sample is an acknowledged message of this platform (nil when none).
	bad(sample *sampled) []badRequest
	// secrets returns what must never appear in the gateway's log.
	secrets() []secret
	// slowStats returns the sends the slow edge saw and the 429s it caused.
	slowStats() (sends, injected int64)
	close()
}

// policy is how the platform delivers webhooks: how long it waits for the
// acknowledgement, and whether it retries.
type policy struct {
	timeout time.Duration
	retries bool
}

// delivery sends one message; try is called once per attempt (0 first).
type delivery struct {
	uniqueConv bool   // replies to the message's conv are its replies
	ref        string // an exact reference its replies carry, known before sending
	try        func(ctx context.Context, c *http.Client, attempt int) outcome
	// replay re-delivers the message as an attacker who captured it ten
	// minutes ago would; expect says whether that must be rejected (the
	// signature covers a timestamp) or only deduplicated.
	replay func(ctx context.Context) (*http.Request, error)
	expect expectation
}

// sampled is an acknowledged message and its delivery, for the replay.
type sampled struct {
	m *message
	d delivery
}

// outcome is the result of one delivery attempt.
type outcome struct {
	status  int
	err     error
	ref     string // an exact reference the response gave (web message id)
	passive *reply // a reply carried in the response (WeChat, Discord type 4)
}

func (o outcome) ok() bool { return o.err == nil && o.status >= 200 && o.status < 300 }

// secret is a value that must never be logged, by the name the report uses.
type secret struct {
	name  string
	value string
}

// replayAge is how old a replayed request's timestamp is: beyond the
// 5-minute window of Slack and Discord signatures.
const replayAge = 10 * time.Minute

// Alphabets for generated secrets.
const (
	alnum   = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	urlSafe = alnum + "_-"
	hexDig  = "0123456789abcdef"
	digits  = "0123456789"
)

// randomString returns n characters of alphabet from crypto/rand (with a
// slight modulo bias, which does not matter for test secrets).
func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (Go 1.24+)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// serveFake serves h on a loopback port behind the slow edge when e is not nil.
func serveFake(h http.Handler, e *slowEdge) *httptest.Server {
	if e != nil {
		e.next = h
		h = e
	}
	return httptest.NewServer(h)
}
