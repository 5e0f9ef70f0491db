package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-gw/switchboard/internal/config"
)

// webDriver plays customers of the web chat: a pool of sessions, each with
// its event stream open as the page keeps it; messages rotate over the
// sessions and carry a client_id, so that a retried POST is recognised.
// Replies are matched by id: the reply to message M is "M.r<n>".
type webDriver struct {
	n        int // sessions
	base     string
	sessions []string
	stream   *http.Client

	mu      sync.Mutex
	pending []reply
	seen    map[string]bool // reply ids read from the streams
	wg      sync.WaitGroup
}

func newWeb(o Options) *webDriver {
	return &webDriver{n: o.WebSessions, seen: map[string]bool{},
		stream: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.WebSessions}}}
}

func (d *webDriver) name() string { return Web }

func (d *webDriver) configure(cfg *config.Config) { cfg.Web.Enabled = true }

// start creates the sessions and opens their event streams; it returns
// once every stream is subscribed, so that no reply falls before it.
func (d *webDriver) start(ctx context.Context, base string) error {
	d.base = strings.TrimSuffix(base, "/")
	c := &http.Client{Timeout: 10 * time.Second}
	for range d.n {
		status, body, err := send(ctx, c, func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodPost, d.base+"/api/web/session", nil)
		})
		if err != nil || status != http.StatusCreated {
			return fmt.Errorf("web: create a session: status %d: %w", status, errors.Join(err, errors.New(string(body))))
		}
		var s struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(body, &s); err != nil || s.Token == "" {
			return fmt.Errorf("web: session response %q: %w", body, err)
		}
		d.sessions = append(d.sessions, s.Token)
	}
	ready := make(chan error, d.n)
	for _, tok := range d.sessions {
		d.wg.Go(func() { d.read(ctx, tok, ready) })
	}
	for range d.n {
		if err := <-ready; err != nil {
			return err
		}
	}
	return nil
}

// read follows one session's event stream until ctx ends, recording every
// message event. It sends on ready once the stream is subscribed (or failed).
func (d *webDriver) read(ctx context.Context, token string, ready chan<- error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.base+"/api/web/events", nil)
	if err != nil {
		ready <- err
		return
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := d.stream.Do(req)
	if err != nil {
		ready <- fmt.Errorf("web: open event stream: %w", err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		ready <- fmt.Errorf("web: event stream: status %d", resp.StatusCode)
		return
	}
	signalled := false
	r := bufio.NewReader(resp.Body)
	var id, data string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if !signalled {
				ready <- fmt.Errorf("web: event stream ended before it was subscribed: %w", err)
			}
			return
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(line, ": connected") && !signalled:
			signalled = true
			ready <- nil
		case strings.HasPrefix(line, "id: "):
			id = line[len("id: "):]
		case strings.HasPrefix(line, "data: "):
			data = line[len("data: "):]
		case line == "" && id != "":
			d.event(id, data, time.Now())
			id, data = "", ""
		}
	}
}

func (d *webDriver) event(id, data string, at time.Time) {
	var m struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal([]byte(data), &m) // a malformed event still counts as delivered
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen[id] = true
	d.pending = append(d.pending, reply{platform: Web, ref: messageOfReply(id), text: m.Text, at: at})
}

// messageOfReply returns the message id of reply id "M.r<n>".
func messageOfReply(id string) string {
	if i := strings.LastIndex(id, ".r"); i > 0 {
		return id[:i]
	}
	return id
}

// policy: the page waits for its POST and retries it with the same client_id.
func (d *webDriver) policy() policy { return policy{timeout: 10 * time.Second, retries: true} }

func (d *webDriver) post(token string, body []byte) func(context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.base+"/api/web/messages", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return req, nil
	}
}

func (d *webDriver) prepare(n int, q Question) (*message, delivery) {
	token := d.sessions[n%len(d.sessions)]
	body, _ := json.Marshal(map[string]string{"text": q.Text, "client_id": fmt.Sprintf("bench-%d", n)}) // strings only
	m := &message{platform: Web, conv: token[:8]}
	post := d.post(token, body)
	return m, delivery{
		try: func(ctx context.Context, c *http.Client, _ int) outcome {
			status, resp, err := send(ctx, c, post)
			o := outcome{status: status, err: err}
			if o.ok() {
				var r struct {
					ID string `json:"id"`
				}
				if err := json.Unmarshal(resp, &r); err != nil || r.ID == "" {
					o.err = fmt.Errorf("web: POST answered %q, not a message id", resp)
				}
				o.ref = r.ID
			}
			return o
		},
		replay: post, // the web chat has no signature: a replay is the same POST, client_id included
		expect: expectDedupe,
	}
}

func (d *webDriver) poll() []reply {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.pending
	d.pending = nil
	return out
}

// finish reads every session's transcript and returns the replies the
// event streams missed (a dropped stream), timed by the transcript.
func (d *webDriver) finish(ctx context.Context) []reply {
	c := &http.Client{Timeout: 10 * time.Second}
	var out []reply
	for _, tok := range d.sessions {
		status, body, err := send(ctx, c, func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.base+"/api/web/messages", nil)
			if err == nil {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			return req, err
		})
		if err != nil || status != http.StatusOK {
			continue
		}
		var tr struct {
			Messages []struct {
				ID   string    `json:"id"`
				From string    `json:"from"`
				Text string    `json:"text"`
				At   time.Time `json:"at"`
			} `json:"messages"`
		}
		if json.Unmarshal(body, &tr) != nil {
			continue
		}
		d.mu.Lock()
		for _, m := range tr.Messages {
			if m.From != "user" && !d.seen[m.ID] {
				d.seen[m.ID] = true
				out = append(out, reply{platform: Web, ref: messageOfReply(m.ID), text: m.Text, at: m.At})
			}
		}
		d.mu.Unlock()
	}
	return out
}

func (d *webDriver) bad(sample *sampled) []badRequest {
	body := func(text string) []byte {
		b, _ := json.Marshal(map[string]string{"text": text}) // strings only
		return b
	}
	var token string
	if len(d.sessions) > 0 {
		token = d.sessions[0]
	}
	out := []badRequest{
		{platform: Web, kind: kindUnsigned, expect: expectReject, build: d.post("", body("how can I pay"))},
		{platform: Web, kind: kindWrongSig, expect: expectReject, build: d.post(randomString(43, urlSafe), body("how can I pay"))},
		{platform: Web, kind: kindOversized, expect: expectReject, build: d.post(token, body(oversizedText(16<<10)))},
	}
	return append(out, replayOf(Web, sample))
}

func (d *webDriver) secrets() []secret {
	var out []secret
	for _, t := range d.sessions[:min(8, len(d.sessions))] {
		out = append(out, secret{"a web chat session token", t})
	}
	return out
}

func (d *webDriver) slowStats() (int64, int64) { return 0, 0 }

// close waits for the event streams, which end with the context start was given.
func (d *webDriver) close() {
	d.wg.Wait()
	d.stream.CloseIdleConnections()
}

// send performs the request build makes and returns its status and body
// (at most 1 MiB of it).
func send(ctx context.Context, c *http.Client, build func(context.Context) (*http.Request, error)) (int, []byte, error) {
	req, err := build(ctx)
	if err != nil {
		return 0, nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}

// do is send for the requests whose body does not matter.
func do(ctx context.Context, c *http.Client, build func(context.Context) (*http.Request, error)) outcome {
	status, _, err := send(ctx, c, build)
	return outcome{status: status, err: err}
}
