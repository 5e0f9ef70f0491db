package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-gw/switchboard/internal/config"
	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
)

// slackDriver plays Slack's Events API: message events in a direct message
// channel (one per message), signed with the signing secret, answered by
// chat.postMessage to that channel.
type slackDriver struct {
	botToken, signing string
	fake              *slackfake.Server
	edge              *slowEdge
	edgeSrv           *httptest.Server // nil unless slow
	url               string

	mu      sync.Mutex
	pending []reply // stamped by watch, drained by poll
}

// slackUsers is how many distinct Slack users the messages come from, so
// that the adapter's users.info cache sees hits as in a real workspace.
const slackUsers = 1000

func newSlack(o Options) (*slackDriver, error) {
	d := &slackDriver{
		botToken: "xoxb-" + randomString(12, digits) + "-" + randomString(13, digits) + "-" + randomString(24, alnum),
		signing:  randomString(32, hexDig),
	}
	users := make(map[string]string, slackUsers)
	for i := range slackUsers {
		users[slackUser(i)] = firstName(i)
	}
	d.fake = slackfake.New(slackfake.Options{Token: d.botToken, Users: users})
	d.edge = newSlowEdge(o,
		func(r *http.Request) bool { return r.URL.Path == "/chat.postMessage" },
		func(http.ResponseWriter, *http.Request) bool {
			d.fake.RateLimit("chat.postMessage", time.Second, 1)
			return false
		})
	if d.edge != nil {
		p, err := proxyTo(strings.TrimSuffix(d.fake.APIURL(), "/"))
		if err != nil {
			d.fake.Close()
			return nil, fmt.Errorf("slack fake: %w", err)
		}
		d.edgeSrv = serveFake(p, d.edge)
	}
	return d, nil
}

func slackUser(i int) string { return fmt.Sprintf("UB%07d", i%slackUsers) }

func (d *slackDriver) name() string { return Slack }

func (d *slackDriver) configure(cfg *config.Config) {
	api := d.fake.APIURL()
	if d.edgeSrv != nil {
		api = d.edgeSrv.URL + "/"
	}
	cfg.Slack = config.Slack{Enabled: true, BotToken: d.botToken, SigningSecret: d.signing,
		SupportChannel: "C0BENCHDESK", APIURL: api, Mode: "events"}
}

func (d *slackDriver) start(ctx context.Context, base string) error {
	d.url = base + "/webhooks/slack"
	go d.watch(ctx)
	return nil
}

// watch stamps each new post with the time it was seen: the fake's posts
// carry no time. Slack's posts are few (the adapter sends at most 50/s), so
// WaitPosts' copy of all posts per change stays cheap.
func (d *slackDriver) watch(ctx context.Context) {
	seen := 0
	for ctx.Err() == nil {
		posts, ok := d.fake.WaitPosts(250*time.Millisecond, func(p []slackfake.Post) bool { return len(p) > seen })
		if !ok {
			continue
		}
		now := time.Now()
		d.mu.Lock()
		for _, p := range posts[seen:] {
			d.pending = append(d.pending, reply{platform: Slack, conv: p.Channel, text: p.Text, at: now})
		}
		d.mu.Unlock()
		seen = len(posts)
	}
}

// policy: Slack waits 3 seconds, then retries up to three times.
func (d *slackDriver) policy() policy { return policy{timeout: 3 * time.Second, retries: true} }

func (d *slackDriver) event(n int, channel, user, text string) []byte {
	ts := fmt.Sprintf("%d.%06d", time.Now().Unix(), n%1_000_000)
	return slackfake.MessageEvent(slackfake.Envelope{EventID: fmt.Sprintf("EvB%09d", n)},
		slackfake.Msg{Channel: channel, ChannelType: "im", User: user, Text: text, TS: ts})
}

// request signs body as Slack does at time at; attempt > 0 adds Slack's
// retry headers.
func (d *slackDriver) request(ctx context.Context, secret string, at time.Time, body []byte, attempt int) (*http.Request, error) {
	req, err := slackfake.NewRequest(d.url, secret, at, body)
	if err != nil {
		return nil, err
	}
	if attempt > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(attempt))
		req.Header.Set("X-Slack-Retry-Reason", "http_error")
	}
	return req.WithContext(ctx), nil
}

func (d *slackDriver) prepare(n int, q Question) (*message, delivery) {
	channel := fmt.Sprintf("DB%08X", n)
	body := d.event(n, channel, slackUser(n), q.Text)
	m := &message{platform: Slack, conv: channel}
	return m, delivery{
		uniqueConv: true,
		try: func(ctx context.Context, c *http.Client, attempt int) outcome {
			return do(ctx, c, func(ctx context.Context) (*http.Request, error) {
				return d.request(ctx, d.signing, time.Now(), body, attempt)
			})
		},
		replay: func(ctx context.Context) (*http.Request, error) {
			return d.request(ctx, d.signing, time.Now().Add(-replayAge), body, 0)
		},
		expect: expectReject,
	}
}

func (d *slackDriver) poll() []reply {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.pending
	d.pending = nil
	return out
}

func (d *slackDriver) bad(sample *sampled) []badRequest {
	req := func(secret string, body []byte, unsigned bool) func(context.Context) (*http.Request, error) {
		return func(ctx context.Context) (*http.Request, error) {
			r, err := d.request(ctx, secret, time.Now(), body, 0)
			if err == nil && unsigned {
				r.Header.Del("X-Slack-Signature")
				r.Header.Del("X-Slack-Request-Timestamp")
			}
			return r, err
		}
	}
	const q = "how much is shipping"
	out := []badRequest{
		{platform: Slack, kind: kindUnsigned, expect: expectReject, build: req(d.signing, d.event(900_001, "DBAD00001", "UBAD1", q), true)},
		{platform: Slack, kind: kindWrongSig, expect: expectReject, build: req(randomString(32, hexDig), d.event(900_002, "DBAD00002", "UBAD2", q), false)},
		{platform: Slack, kind: kindOversized, expect: expectReject, build: req(d.signing, d.event(900_003, "DBAD00003", "UBAD3", oversizedText(1<<20)), false)},
	}
	return append(out, replayOf(Slack, sample))
}

func (d *slackDriver) secrets() []secret {
	return []secret{{"slack.bot_token", d.botToken}, {"slack.signing_secret", d.signing}}
}

func (d *slackDriver) slowStats() (int64, int64) { return d.edge.stats() }

func (d *slackDriver) close() {
	if d.edgeSrv != nil {
		d.edgeSrv.Close()
	}
	d.fake.Close()
}
