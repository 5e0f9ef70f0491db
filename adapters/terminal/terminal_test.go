package terminal

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// loopback is a Handler that delivers each message's replies through the
// adapter's Send from another goroutine, like the outbox dispatcher does.
type loopback struct {
	a       *Adapter
	replies func(text string) []string
	seen    []core.Message
}

func (l *loopback) Handle(_ context.Context, m core.Message) (core.Result, error) {
	l.seen = append(l.seen, m)
	var res core.Result
	for i, text := range l.replies(m.Text) {
		r := core.Reply{ID: m.ID + "." + string(rune('0'+i)), Key: m.Key, From: core.AuthorBot, Text: text}
		if text == "pick one" {
			r.QuickReplies = []string{"red", "blue"}
		}
		res.Replies = append(res.Replies, r)
	}
	go func() {
		for _, r := range res.Replies {
			time.Sleep(5 * time.Millisecond)
			_ = l.a.Send(context.Background(), r)
		}
	}()
	return res, nil
}

func TestRunPipedInput(t *testing.T) {
	var out bytes.Buffer
	a := New(&out, "u1")
	h := &loopback{a: a, replies: func(text string) []string {
		switch text {
		case "colour":
			return []string{"pick one"}
		case "two":
			return []string{"first", "second"}
		}
		return []string{"echo " + text}
	}}
	in := strings.NewReader("hello\n\n   \ntwo\ncolour\n2\n")
	if err := a.Run(context.Background(), in, h, false); err != nil {
		t.Fatal(err)
	}
	want := "bot> echo hello\nbot> first\nbot> second\nbot> pick one\n     1) red\n     2) blue\nbot> echo blue\n"
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if len(h.seen) != 4 {
		t.Fatalf("blank lines were sent as messages: %d messages", len(h.seen))
	}
	if k := h.seen[0].Key; k.Platform != "terminal" || k.Chat != "u1" || h.seen[0].ID == "" {
		t.Fatalf("message = %+v", h.seen[0])
	}
}

func TestRunPromptAndAgentName(t *testing.T) {
	var out bytes.Buffer
	a := New(&out, "")
	if err := a.Send(context.Background(), core.Reply{ID: "x", From: core.AuthorAgent, AgentName: "Ana", Text: "Hi, Ana here"}); err != nil {
		t.Fatal(err)
	}
	h := &loopback{a: a, replies: func(string) []string { return []string{"ok"} }}
	if err := a.Run(context.Background(), strings.NewReader("hi\n"), h, true); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "Ana> Hi, Ana here\nyou> bot> ok\nyou> " {
		t.Fatalf("output = %q", got)
	}
}

func TestRunTimesOutWhenNoReplyArrives(t *testing.T) {
	a := New(&bytes.Buffer{}, "u")
	a.ReplyTimeout = 50 * time.Millisecond
	h := handlerFunc(func(_ context.Context, m core.Message) (core.Result, error) {
		return core.Result{Replies: []core.Reply{{ID: "never"}}}, nil
	})
	err := a.Run(context.Background(), strings.NewReader("hi\n"), h, false)
	if err != errReplyTimeout {
		t.Fatalf("err = %v, want timeout", err)
	}
}

type handlerFunc func(context.Context, core.Message) (core.Result, error)

func (f handlerFunc) Handle(ctx context.Context, m core.Message) (core.Result, error) {
	return f(ctx, m)
}
