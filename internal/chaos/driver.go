package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/switchboard-gw/switchboard/core"
	dcfake "github.com/switchboard-gw/switchboard/internal/fakes/discord"
	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
	telegramfake "github.com/switchboard-gw/switchboard/internal/fakes/telegram"
)

// Questions are what the driver's customers ask: the sample bot's FAQ and
// intents, in English and Chinese. Every one of them gets an answer.
var Questions = []string{
	"what are your opening hours",
	"how much is shipping",
	"how long does delivery take",
	"what is your return policy",
	"which payment methods do you accept",
	"hello",
	"is there free shipping",
	"are you open on weekends",
	"运费多少",
	"几天能到",
}

// Msg is one customer message and what the driver saw when delivering it.
type Msg struct {
	Platform string
	Key      core.ConversationKey
	ID       string // the gateway's message id: the transcript turn id, the replies' InReplyTo
	Seq      int    // position in its conversation, from 0
	Text     string

	ChatID, UserID int64 // Telegram (ChatID is a supergroup, negative)
	MessageID      int   // Telegram message_id: replies quote it (reply_to_message_id)
	UpdateID       int

	Channel, User, TS, EventID string // Slack (a direct-message channel per message); Discord channel and user

	OpenID string // WeChat: the customer (one per message)
	MsgID  int64  // WeChat MsgId

	Interaction dcfake.Interaction // Discord /ask (ID is its id)
	Gateway     bool               // Discord: an ordinary message over the gateway, not an interaction
	Dispatched  bool               // Discord gateway: written to a connected session

	WebToken, ClientID string // web chat: the session and the message's client_id
	SessionLost        bool   // web chat: a POST was answered 401 (the session was gone)

	// Passive holds answers that came back in the webhook's own response:
	// WeChat passive replies, Discord type-4 interaction responses.
	Passive []Answer

	Deliveries  int // webhook requests made for it, redeliveries included
	Acked       bool
	AckedAt     time.Time
	GaveUp      bool // Slack stopped retrying before an acknowledgement
	Redelivered bool // delivered once more after it was acknowledged
}

// DriverOptions configure a Driver. The zero value of a field means its default.
type DriverOptions struct {
	BaseURL            string  // the gateway, e.g. http://127.0.0.1:port
	TelegramSecret     string  // X-Telegram-Bot-Api-Secret-Token
	TelegramBot        string  // the bot's username, mentioned in group messages
	SlackSigningSecret string  // empty: no Slack customers
	Rate               float64 // new messages per second, all platforms (default 20)
	TelegramChats      int     // Telegram conversations in flight at once (default 96)
	PerChat            int     // messages per Telegram conversation before a new one starts (default 6)
	SlackLanes         int     // Slack customers in flight at once (default 8; 0 without a secret)
	// TelegramTimeout is how long Telegram waits for the webhook's answer
	// before it counts the attempt as failed (default 1 s).
	TelegramTimeout time.Duration
	// SlackTimeout is Slack's 3 s answer deadline, compressed (default 300 ms).
	SlackTimeout time.Duration
	// SlackUnit stands for Slack's minute between retries: Slack retries
	// at once, after 1 unit and after 5 more, then gives up (default 500 ms).
	SlackUnit time.Duration
	// Redeliver is the probability that an acknowledged Telegram update is
	// delivered once more (as after a failover on the platform's side).
	Redeliver float64
	Web       *WebOptions     // nil: no web chat customers
	WeChat    *WeChatOptions  // nil: no WeChat customers
	Discord   *DiscordOptions // nil: no Discord customers
}

func (o DriverOptions) withDefaults() DriverOptions {
	if o.Rate <= 0 {
		o.Rate = 20
	}
	if o.TelegramChats <= 0 {
		o.TelegramChats = 96
	}
	if o.PerChat <= 0 {
		o.PerChat = 6
	}
	if o.SlackSigningSecret == "" {
		o.SlackLanes = 0
	} else if o.SlackLanes <= 0 {
		o.SlackLanes = 8
	}
	if o.TelegramTimeout <= 0 {
		o.TelegramTimeout = time.Second
	}
	if o.SlackTimeout <= 0 {
		o.SlackTimeout = 300 * time.Millisecond
	}
	if o.SlackUnit <= 0 {
		o.SlackUnit = 500 * time.Millisecond
	}
	if o.Web != nil {
		w := *o.Web
		w.withDefaults()
		o.Web = &w
	}
	if o.WeChat != nil {
		w := *o.WeChat
		w.withDefaults()
		o.WeChat = &w
	}
	if o.Discord != nil {
		dc := *o.Discord
		dc.withDefaults()
		o.Discord = &dc
	}
	return o
}

// Driver plays the platforms: customers write, and every update is
// delivered to the gateway's webhook until it is acknowledged with a 2xx
// (Telegram) or until the platform's retries run out (Slack). Messages of
// one conversation are delivered one after the other, the next only after
// the previous was acknowledged. It is safe for concurrent use.
type Driver struct {
	o      DriverOptions
	client *http.Client
	lim    *rate.Limiter // Telegram's share of Rate
	// Each other platform's share of Rate: a limiter shared by all lanes
	// would go to the 96 Telegram lanes first.
	lims map[string]*rate.Limiter

	mu          sync.Mutex
	msgs        []*Msg
	nextUpd     int
	nextMsg     int
	nextChat    int
	nextTS      int
	statuses    map[string]int
	webSessions []string

	produce    context.Context
	stopMaking context.CancelFunc
	ctx        context.Context
	cancel     context.CancelFunc
	lanes      sync.WaitGroup
}

// NewDriver returns a Driver that sends nothing until Start (or until a
// test calls Deliver).
func NewDriver(o DriverOptions) *Driver {
	o = o.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	produce, stop := context.WithCancel(ctx)
	return &Driver{
		o:          o,
		client:     &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128, DisableCompression: true}},
		lim:        rate.NewLimiter(rate.Limit(o.Rate*share(o, "telegram")), 4),
		lims:       limiters(o),
		nextUpd:    100000,
		nextMsg:    1,
		statuses:   map[string]int{},
		produce:    produce,
		stopMaking: stop,
		ctx:        ctx,
		cancel:     cancel,
	}
}

// Start starts the customers: TelegramChats conversations and SlackLanes
// Slack customers, writing new messages at Rate until StopProducing.
func (d *Driver) Start() {
	for range d.o.TelegramChats {
		d.lanes.Go(d.telegramLane)
	}
	for range d.o.SlackLanes {
		d.lanes.Go(d.slackLane)
	}
	if d.o.Web != nil {
		for range d.o.Web.Lanes {
			d.lanes.Go(d.webLane)
		}
	}
	if d.o.WeChat != nil {
		for range d.o.WeChat.Lanes {
			d.lanes.Go(d.wechatLane)
		}
	}
	if d.o.Discord != nil {
		for range d.o.Discord.Lanes {
			d.lanes.Go(d.discordLane)
		}
		for range d.o.Discord.GatewayLanes {
			d.lanes.Go(d.discordGatewayLane)
		}
	}
}

// StopProducing stops writing new messages; messages in delivery are still
// delivered until acknowledged (or given up).
func (d *Driver) StopProducing() { d.stopMaking() }

// Wait waits until every customer has finished (after StopProducing) or
// timeout passes.
func (d *Driver) Wait(timeout time.Duration) error {
	done := make(chan struct{})
	go func() { d.lanes.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("chaos: %d messages still not acknowledged after %s", d.outstanding(), timeout)
	}
}

// Close stops all deliveries.
func (d *Driver) Close() {
	d.cancel()
	d.lanes.Wait()
	d.client.CloseIdleConnections()
}

func (d *Driver) outstanding() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, m := range d.msgs {
		if !m.Acked && !m.GaveUp && !m.Gateway {
			n++
		}
	}
	return n
}

// Messages returns a copy of every message so far, in creation order.
func (d *Driver) Messages() []Msg {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Msg, len(d.msgs))
	for i, m := range d.msgs {
		out[i] = *m
	}
	return out
}

// Statuses counts the outcomes of all webhook requests: "200", "500",
// "refused/reset", "timeout", ….
func (d *Driver) Statuses() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]int, len(d.statuses))
	for k, v := range d.statuses {
		out[k] = v
	}
	return out
}

func (d *Driver) telegramLane() {
	for {
		d.mu.Lock()
		d.nextChat++
		n := d.nextChat
		d.mu.Unlock()
		chat := -1000000000000 - int64(n)
		for seq := range d.o.PerChat {
			if d.lim.Wait(d.produce) != nil {
				return
			}
			m := d.NewTelegram(chat, 10000+int64(n), seq, Questions[rand.N(len(Questions))])
			if d.Deliver(d.ctx, m) != nil {
				return
			}
			if d.o.Redeliver > 0 && rand.Float64() < d.o.Redeliver {
				d.mu.Lock()
				m.Redelivered = true
				d.mu.Unlock()
				_, _ = d.Attempt(d.ctx, m, 0) // its outcome does not matter: it was acknowledged before
			}
		}
	}
}

func (d *Driver) slackLane() {
	for {
		if d.lims["slack"].Wait(d.produce) != nil {
			return
		}
		d.mu.Lock()
		d.nextChat++
		n := d.nextChat
		d.mu.Unlock()
		m := d.NewSlack("D"+strconv.Itoa(100000+n), SlackUsers[n%len(SlackUsers)], Questions[rand.N(len(Questions))])
		if d.Deliver(d.ctx, m) != nil {
			return
		}
	}
}

// SlackUsers are the Slack customers; give them to the fake's Users.
var SlackUsers = []string{"U0CUST1", "U0CUST2", "U0CUST3", "U0CUST4"}

// NewTelegram records a new message from user in the supergroup chat,
// addressed to the bot with an @mention, so that the reply quotes it.
func (d *Driver) NewTelegram(chat, user int64, seq int, text string) *Msg {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextUpd++
	d.nextMsg++
	c := strconv.FormatInt(chat, 10)
	m := &Msg{Platform: "telegram", ChatID: chat, UserID: user, MessageID: d.nextMsg, UpdateID: d.nextUpd, Seq: seq,
		Text: "@" + d.o.TelegramBot + " " + text,
		Key:  core.ConversationKey{Platform: "telegram", Chat: c, User: strconv.FormatInt(user, 10)},
		ID:   c + ":" + strconv.Itoa(d.nextMsg)}
	d.msgs = append(d.msgs, m)
	return m
}

// NewSlack records a new direct message from user in channel.
func (d *Driver) NewSlack(channel, user, text string) *Msg {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextTS++
	ts := fmt.Sprintf("1700000000.%06d", d.nextTS)
	m := &Msg{Platform: "slack", Channel: channel, User: user, TS: ts, EventID: "Ev" + strconv.Itoa(d.nextTS),
		Text: text, Key: core.ConversationKey{Platform: "slack", Chat: channel, User: user}, ID: channel + "/" + ts}
	d.msgs = append(d.msgs, m)
	return m
}

// Deliver delivers m as its platform does: Telegram retries with a growing
// pause (50 ms doubling to 1 s) until a 2xx; Slack retries at once, after
// one SlackUnit and after five more, then gives up (m.GaveUp). It returns
// nil when m was acknowledged or given up, and ctx's error if ctx ended.
func (d *Driver) Deliver(ctx context.Context, m *Msg) error {
	switch {
	case m.Platform == "wechat":
		return d.deliverWeChat(ctx, m)
	case m.Platform == "discord" && m.Gateway:
		d.Dispatch(m)
		return ctx.Err()
	case m.Platform == "discord":
		return d.deliverDiscord(ctx, m)
	}
	if m.Platform == "slack" {
		for retry, pause := range []time.Duration{0, 0, d.o.SlackUnit, 5 * d.o.SlackUnit} {
			if err := sleep(ctx, pause); err != nil {
				return err
			}
			if ok, err := d.Attempt(ctx, m, retry); ok || err != nil {
				return err
			}
		}
		d.mu.Lock()
		m.GaveUp = true
		d.mu.Unlock()
		return nil
	}
	pause := 50 * time.Millisecond
	for retry := 0; ; retry++ {
		if ok, err := d.Attempt(ctx, m, retry); ok || err != nil {
			return err
		}
		if err := sleep(ctx, pause); err != nil {
			return err
		}
		pause = min(2*pause, time.Second)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Attempt makes one webhook request for m (retry is Slack's
// X-Slack-Retry-Num) and reports whether the gateway acknowledged it. The
// error is ctx's, when ctx ended; a failed request is not an error.
func (d *Driver) Attempt(ctx context.Context, m *Msg, retry int) (bool, error) {
	var (
		status int
		err    error
		ok     bool
		answer *Answer
	)
	switch m.Platform {
	case "web":
		status, err = d.postWeb(ctx, m)
		ok = err == nil && status == http.StatusAccepted
	case "wechat":
		status, answer, err = d.postWeChat(ctx, m)
		ok = err == nil && status >= 200 && status < 300
	case "discord":
		ok, status, answer, err = d.postDiscord(ctx, m)
	default:
		status, err = d.post(ctx, m, retry)
		ok = err == nil && status >= 200 && status < 300
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	outcome := strconv.Itoa(status)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		outcome = "timeout"
	case errors.Is(err, errBadAnswer):
		outcome = "bad answer"
	case err != nil:
		outcome = "refused/reset"
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.statuses[outcome]++
	m.Deliveries++
	if answer != nil {
		m.Passive = append(m.Passive, *answer)
	}
	if ok && !m.Acked {
		m.Acked, m.AckedAt = true, time.Now()
	}
	return ok, nil
}

// errBadAnswer marks an answer the platform could not read.
var errBadAnswer = errors.New("an answer the platform cannot read")

// do makes req with a deadline and returns the status and body.
func (d *Driver) do(ctx context.Context, req *http.Request, timeout time.Duration) (int, []byte, error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := d.client.Do(req.WithContext(actx))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}

func randN(n int) int { return rand.N(n) }

func (d *Driver) post(ctx context.Context, m *Msg, retry int) (int, error) {
	var req *http.Request
	var err error
	timeout := d.o.TelegramTimeout
	switch m.Platform {
	case "telegram":
		upd := telegramfake.TextUpdate(m.UpdateID, m.MessageID, telegramfake.Group(m.ChatID, "Chaos customers"),
			telegramfake.User{ID: m.UserID, FirstName: "Customer"}, m.Text)
		req, err = telegramfake.NewWebhookRequest(ctx, d.o.BaseURL+"/webhooks/telegram", d.o.TelegramSecret, upd)
	case "slack":
		timeout = d.o.SlackTimeout
		body := slackfake.MessageEvent(slackfake.Envelope{EventID: m.EventID},
			slackfake.Msg{Channel: m.Channel, ChannelType: "im", User: m.User, Text: m.Text, TS: m.TS})
		req, err = slackfake.NewRequest(d.o.BaseURL+"/webhooks/slack", d.o.SlackSigningSecret, time.Now(), body)
		if err == nil && retry > 0 {
			req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
			req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
		}
	default:
		return 0, fmt.Errorf("chaos: unknown platform %q", m.Platform)
	}
	if err != nil {
		return 0, err
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := d.client.Do(req.WithContext(actx))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// shares are the parts of DriverOptions.Rate each platform writes, before
// they are scaled to the platforms enabled.
var shares = map[string]float64{"telegram": 0.45, "slack": 0.12, "web": 0.13, "wechat": 0.15, "discord": 0.10, "discord-gateway": 0.05}

// share is platform's part of o.Rate among the platforms o enables.
func share(o DriverOptions, platform string) float64 {
	total := shares["telegram"]
	if o.SlackLanes > 0 {
		total += shares["slack"]
	}
	if o.Web != nil {
		total += shares["web"]
	}
	if o.WeChat != nil {
		total += shares["wechat"]
	}
	if o.Discord != nil {
		total += shares["discord"] + shares["discord-gateway"]
	}
	return shares[platform] / total
}

func limiters(o DriverOptions) map[string]*rate.Limiter {
	m := map[string]*rate.Limiter{}
	for p := range shares {
		if p != "telegram" {
			m[p] = rate.NewLimiter(rate.Limit(o.Rate*share(o, p)), 2)
		}
	}
	return m
}
