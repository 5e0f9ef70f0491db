package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	dcfake "github.com/switchboard-gw/switchboard/internal/fakes/discord"
	wxfake "github.com/switchboard-gw/switchboard/internal/fakes/wechat"
)

// WeChat and Discord customers of the Driver.
//
// WeChat pushes a message to the webhook and waits 5 s for the answer; a
// push that failed (an error, a non-2xx, no answer in time) is tried again,
// three tries in all within 15 s (at 0, 5 and 10 s), then WeChat gives up.
// The answer comes back in the push's own response (a passive reply) or
// later through the customer-service API; each message must get exactly one
// answer across crashes.
//
// Discord delivers an interaction (/ask) once and never again: no answer
// within 3 s and the customer sees "This interaction failed". The gateway
// acknowledges with a deferred response and posts the answer as a
// follow-up. Ordinary messages come over the Discord gateway (a websocket):
// a message dispatched while no session is connected, or to a process that
// dies before storing it, is not delivered again to the next session (a
// new process identifies anew); its replies carry nonce + enforce_nonce.

// WeChatOptions enable WeChat customers.
type WeChatOptions struct {
	Pusher wxfake.Pusher // signs and encrypts pushes as the account's WeChat
	Lanes  int           // customers in flight at once (default 8)
	// Timeout is how long WeChat waits for the webhook's answer (default
	// 5 s: the adapter's passive-reply budget of 4 s depends on it), Slot
	// the spacing of its three tries (default 5 s).
	Timeout, Slot time.Duration
}

// DiscordOptions enable Discord customers.
type DiscordOptions struct {
	Fake   *dcfake.Server
	Signer *dcfake.Signer
	Lanes  int // /ask customers in flight at once (default 8)
	// GatewayLanes write ordinary DMs over the gateway (default 4).
	GatewayLanes int
	Timeout      time.Duration // Discord's interaction deadline (default 3 s)
}

func (o *WeChatOptions) withDefaults() {
	if o.Lanes <= 0 {
		o.Lanes = 8
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Slot <= 0 {
		o.Slot = 5 * time.Second
	}
}

func (o *DiscordOptions) withDefaults() {
	if o.Lanes <= 0 {
		o.Lanes = 8
	}
	if o.GatewayLanes <= 0 {
		o.GatewayLanes = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Second
	}
}

// Answer is a reply that came back in the webhook's own response.
type Answer struct {
	Text string
	At   time.Time
}

// Snowflakes and ids of the simulated Discord and WeChat customers.
const (
	discordChannel0 = 1_400_000_000_000_000_000
	discordUser0    = 1_500_000_000_000_000_000
	discordMessage0 = 1_800_000_000_000_000_000
	discordGuild    = "1600000000000000001"
	wechatMsgID0    = 6_000_000_000_000_000_000
)

func (d *Driver) next() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextChat++
	return d.nextChat
}

func (d *Driver) wechatLane() {
	for {
		if d.lims["wechat"].Wait(d.produce) != nil {
			return
		}
		m := d.NewWeChat(fmt.Sprintf("oChaos%022d", d.next()), Questions[randN(len(Questions))])
		if d.Deliver(d.ctx, m) != nil {
			return
		}
	}
}

func (d *Driver) discordLane() {
	for {
		if d.lims["discord"].Wait(d.produce) != nil {
			return
		}
		n := d.next()
		// Half in a guild channel, half in DMs; one channel per customer.
		m := d.NewDiscordAsk(int64(discordChannel0+n), int64(discordUser0+n), n%2 == 0, Questions[randN(len(Questions))])
		if d.Deliver(d.ctx, m) != nil {
			return
		}
	}
}

func (d *Driver) discordGatewayLane() {
	for {
		if d.lims["discord-gateway"].Wait(d.produce) != nil {
			return
		}
		n := d.next()
		m := d.NewDiscordDM(int64(discordChannel0+n), int64(discordUser0+n), Questions[randN(len(Questions))])
		d.Dispatch(m)
	}
}

// NewWeChat records a new text message from openID.
func (d *Driver) NewWeChat(openID, text string) *Msg {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextMsg++
	id := int64(wechatMsgID0) + int64(d.nextMsg)
	m := &Msg{Platform: "wechat", OpenID: openID, MsgID: id, Text: text,
		Key: core.ConversationKey{Platform: "wechat", Chat: openID, User: openID}, ID: strconv.FormatInt(id, 10)}
	d.msgs = append(d.msgs, m)
	return m
}

// NewDiscordAsk records a new /ask interaction of user in channel.
func (d *Driver) NewDiscordAsk(channel, user int64, guild bool, text string) *Msg {
	where := dcfake.Where{ChannelID: strconv.FormatInt(channel, 10)}
	if guild {
		where.GuildID = discordGuild
	}
	u := dcfake.User{ID: strconv.FormatInt(user, 10), Username: "customer" + strconv.FormatInt(user%1000, 10)}
	it := d.o.Discord.Fake.Ask(where, u, text)
	d.mu.Lock()
	defer d.mu.Unlock()
	m := &Msg{Platform: "discord", Channel: where.ChannelID, User: u.ID, Text: text, Interaction: it,
		Key: core.ConversationKey{Platform: "discord", Chat: where.ChannelID, User: u.ID}, ID: it.ID}
	d.msgs = append(d.msgs, m)
	return m
}

// NewDiscordDM records a new direct message of user in channel, to be
// dispatched over the gateway.
func (d *Driver) NewDiscordDM(channel, user int64, text string) *Msg {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextMsg++
	c, u := strconv.FormatInt(channel, 10), strconv.FormatInt(user, 10)
	id := strconv.FormatInt(int64(discordMessage0)+int64(d.nextMsg), 10)
	m := &Msg{Platform: "discord", Gateway: true, Channel: c, User: u, Text: text,
		Key: core.ConversationKey{Platform: "discord", Chat: c, User: u}, ID: id}
	d.msgs = append(d.msgs, m)
	return m
}

// Dispatch sends a Discord gateway message m to the connected sessions.
func (d *Driver) Dispatch(m *Msg) {
	spec := dcfake.MessageSpec{ID: m.ID, ChannelID: m.Channel, Content: m.Text,
		Author: dcfake.User{ID: m.User, Username: "customer" + m.User[len(m.User)-3:]}}
	n := d.o.Discord.Fake.DispatchCount("MESSAGE_CREATE", dcfake.MessageCreate(spec))
	d.mu.Lock()
	defer d.mu.Unlock()
	m.Deliveries++
	m.Dispatched = n > 0
	if n > 0 {
		d.statuses["gateway"]++
	} else {
		d.statuses["gateway: no session"]++
	}
}

// deliverWeChat tries a push three times, at 0, 1 and 2 slots from the
// first try (or right after a try that took longer), then gives up.
func (d *Driver) deliverWeChat(ctx context.Context, m *Msg) error {
	first := time.Now()
	for try := range 3 {
		if err := sleep(ctx, time.Until(first.Add(time.Duration(try)*d.o.WeChat.Slot))); err != nil {
			return err
		}
		if ok, err := d.Attempt(ctx, m, try); ok || err != nil {
			return err
		}
	}
	d.mu.Lock()
	m.GaveUp = true
	d.mu.Unlock()
	return nil
}

// deliverDiscord delivers an interaction once: Discord does not retry.
func (d *Driver) deliverDiscord(ctx context.Context, m *Msg) error {
	ok, err := d.Attempt(ctx, m, 0)
	if err == nil && !ok {
		d.mu.Lock()
		m.GaveUp = true
		d.mu.Unlock()
	}
	return err
}

// postWeChat makes one push of m and returns the status and a passive
// reply, if the response carried one.
func (d *Driver) postWeChat(ctx context.Context, m *Msg) (int, *Answer, error) {
	p := d.o.WeChat.Pusher
	req, err := p.PushRaw(ctx, d.o.BaseURL+"/webhooks/wechat", p.XML(wxfake.Text(m.OpenID, m.MsgID, m.Text)))
	if err != nil {
		return 0, nil, err
	}
	status, body, err := d.do(ctx, req, d.o.WeChat.Timeout)
	if err != nil || status != http.StatusOK {
		return status, nil, err
	}
	r, err := p.DecodeReply(body)
	switch {
	case errors.Is(err, wxfake.ErrNoReply):
		return status, nil, nil
	case err != nil:
		// WeChat shows the customer "该公众号暂时无法提供服务": not an answer.
		return 0, nil, fmt.Errorf("passive reply WeChat cannot read: %w: %w", errBadAnswer, err)
	}
	return status, &Answer{Text: r.Content, At: time.Now()}, nil
}

// postDiscord delivers interaction m once; an acknowledgement is a 200 with
// response type 4 to 7, and type 4 carries the answer itself.
func (d *Driver) postDiscord(ctx context.Context, m *Msg) (bool, int, *Answer, error) {
	actx, cancel := context.WithTimeout(ctx, d.o.Discord.Timeout)
	defer cancel()
	resp, err := d.o.Discord.Fake.Deliver(actx, d.client, d.o.BaseURL+"/webhooks/discord", d.o.Discord.Signer, m.Interaction)
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			err = context.DeadlineExceeded
		}
		return false, resp.Status, nil, err
	}
	ok := resp.Status == http.StatusOK && resp.Type >= 4 && resp.Type <= 7
	if ok && resp.Type == 4 {
		var data struct {
			Content string `json:"content"`
		}
		_ = json.Unmarshal(resp.Data, &data)
		return ok, resp.Status, &Answer{Text: data.Content, At: time.Now()}, nil
	}
	return ok, resp.Status, nil, nil
}
