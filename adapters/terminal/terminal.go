// Package terminal lets a person talk to the bot from a terminal: it reads
// lines from an io.Reader (a keyboard or a pipe), hands each to the same
// core.Engine that serves the web and the platforms, and prints the replies
// the outbox delivers through its Send. Platform name: "terminal".
package terminal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// Platform is the adapter's platform name.
const Platform = "terminal"

// Handler handles one inbound message durably; *core.Engine implements it.
type Handler interface {
	Handle(ctx context.Context, m core.Message) (core.Result, error)
}

// Adapter is a terminal conversation. It is a core.Sender for the
// "terminal" platform. Safe for concurrent use.
type Adapter struct {
	out  io.Writer
	user string
	// ReplyTimeout is how long Run waits for the replies of one line
	// (default 30s); on timeout it says so and goes on.
	ReplyTimeout time.Duration

	mu        sync.Mutex
	delivered map[string]bool // reply ids printed, waiting to be collected
	cond      chan struct{}   // closed and replaced on every delivery
}

// New returns an Adapter writing to out for the customer user.
func New(out io.Writer, user string) *Adapter {
	if user == "" {
		user = "local"
	}
	return &Adapter{out: out, user: user, ReplyTimeout: 30 * time.Second,
		delivered: make(map[string]bool), cond: make(chan struct{})}
}

// Key is the conversation this terminal talks in.
func (a *Adapter) Key() core.ConversationKey {
	return core.ConversationKey{Platform: Platform, Chat: a.user, User: a.user}
}

// Platform implements core.Sender.
func (a *Adapter) Platform() string { return Platform }

// Send prints r. Quick replies are printed as a numbered list; the customer
// may answer with the number. Send returns an error only if writing fails.
func (a *Adapter) Send(ctx context.Context, r core.Reply) error {
	var b strings.Builder
	who := "bot"
	if r.From == core.AuthorAgent {
		who = "agent"
		if r.AgentName != "" {
			who = r.AgentName
		}
	}
	fmt.Fprintf(&b, "%s> %s\n", who, r.Text)
	for i, q := range r.QuickReplies {
		fmt.Fprintf(&b, "     %d) %s\n", i+1, q)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := io.WriteString(a.out, b.String()); err != nil {
		return fmt.Errorf("terminal: write reply: %w", err)
	}
	a.delivered[r.ID] = true
	close(a.cond)
	a.cond = make(chan struct{})
	return nil
}

// Run reads lines from in until EOF or ctx is done. Each non-empty line is
// handled by h; Run then waits until that line's replies were printed, so
// that with piped input the output is in conversation order. With prompt
// set it prints "you> " before each line (for interactive use without a
// line editor).
func (a *Adapter) Run(ctx context.Context, in io.Reader, h Handler, prompt bool) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	next := func() (string, error) {
		if prompt {
			a.mu.Lock()
			_, _ = io.WriteString(a.out, "you> ")
			a.mu.Unlock()
		}
		if sc.Scan() {
			return sc.Text(), nil
		}
		if err := sc.Err(); err != nil {
			return "", fmt.Errorf("terminal: read input: %w", err)
		}
		return "", io.EOF
	}
	return a.RunLines(ctx, next, h)
}

// RunLines is Run over a line source: next returns one line without its
// newline, io.EOF at the end (a line editor returns it for Ctrl-D and
// Ctrl-C too), or another error, which RunLines returns. The conversation
// itself stays in the store either way.
//
// When ctx is done (Ctrl-C outside raw mode sends SIGINT) RunLines returns
// nil at once, even while next is blocked reading.
func (a *Adapter) RunLines(ctx context.Context, next func() (string, error), h Handler) error {
	type result struct {
		line string
		err  error
	}
	want := make(chan struct{})
	got := make(chan result, 1) // buffered: the reader never blocks on a RunLines that returned
	defer close(want)
	go func() {
		for range want {
			line, err := next()
			got <- result{line, err}
			if err != nil {
				return
			}
		}
	}()
	var lastQuick []string
	for {
		want <- struct{}{}
		var line string
		var err error
		select {
		case r := <-got:
			line, err = r.line, r.err
		case <-ctx.Done():
			return nil // interrupted: the conversation is kept
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		text := strings.TrimSpace(line)
		if text == "" {
			continue
		}
		text = pickQuickReply(text, lastQuick)
		res, err := h.Handle(ctx, core.Message{
			Key:      a.Key(),
			ID:       core.NewID(),
			Text:     text,
			Received: time.Now(),
		})
		if err != nil {
			return fmt.Errorf("terminal: handle line: %w", err)
		}
		lastQuick = nil
		ids := make([]string, 0, len(res.Replies))
		for _, r := range res.Replies {
			ids = append(ids, r.ID)
			if len(r.QuickReplies) > 0 {
				lastQuick = r.QuickReplies
			}
		}
		if err := a.waitFor(ctx, ids); err != nil {
			return err
		}
	}
}

// pickQuickReply maps "2" to the second quick reply offered last.
func pickQuickReply(text string, quick []string) string {
	var n int
	if _, err := fmt.Sscanf(text, "%d", &n); err == nil && fmt.Sprint(n) == text && n >= 1 && n <= len(quick) {
		return quick[n-1]
	}
	return text
}

// errReplyTimeout is reported when replies do not arrive in time.
var errReplyTimeout = errors.New("terminal: timed out waiting for the bot's reply")

func (a *Adapter) waitFor(ctx context.Context, ids []string) error {
	deadline := time.NewTimer(a.ReplyTimeout)
	defer deadline.Stop()
	for {
		a.mu.Lock()
		done := true
		for _, id := range ids {
			if !a.delivered[id] {
				done = false
				break
			}
		}
		if done {
			for _, id := range ids {
				delete(a.delivered, id)
			}
			a.mu.Unlock()
			return nil
		}
		ch := a.cond
		a.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return errReplyTimeout
		}
	}
}
