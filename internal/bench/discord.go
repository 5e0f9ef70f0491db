package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/internal/config"
	dcfake "github.com/switchboard-gw/switchboard/internal/fakes/discord"
)

// discordDriver plays Discord's interactions endpoint: an /ask slash
// command per message, in its own channel (half in a guild, half in DMs),
// signed with Ed25519, acknowledged with a deferred response and answered
// by a follow-up (or, late, a channel message).
type discordDriver struct {
	token, appID string
	signer       *dcfake.Signer
	fake         *dcfake.Server
	edge         *slowEdge
	edgeSrv      *httptest.Server // nil unless slow
	url          string
	seen         int
}

// interactionTokenPrefix starts every interaction token the fake issues
// (base64 of "interaction:"); seeing it in a log means a token leaked.
const interactionTokenPrefix = "aW50ZXJhY3Rpb246"

// Snowflakes of the simulated channels and users.
const (
	discordChannel0 = 1_400_000_000_000_000_000
	discordUser0    = 1_500_000_000_000_000_000
	discordGuild    = "1600000000000000001"
	discordBad0     = 1_700_000_000_000_000_000
)

func newDiscord(o Options) *discordDriver {
	d := &discordDriver{token: randomString(24, alnum) + "." + randomString(6, urlSafe) + "." + randomString(38, urlSafe),
		appID: "1100000000000000777", signer: dcfake.NewSigner()}
	d.fake = dcfake.Start(d.token, d.appID)
	d.edge = newSlowEdge(o,
		func(r *http.Request) bool { return discordRoute(r) != "" },
		func(_ http.ResponseWriter, r *http.Request) bool {
			d.fake.Fail(discordRoute(r), 1, dcfake.Failure{Status: http.StatusTooManyRequests, RetryAfter: 0.5})
			return false
		})
	if d.edge != nil {
		d.edgeSrv = serveFake(d.fake.API, d.edge)
	}
	return d
}

// discordRoute names the fake's route of a send, "" for other calls.
func discordRoute(r *http.Request) string {
	switch {
	case r.Method != http.MethodPost:
		return ""
	case strings.Contains(r.URL.Path, "/channels/") && strings.HasSuffix(r.URL.Path, "/messages"):
		return dcfake.RouteMessages
	case strings.Contains(r.URL.Path, "/webhooks/"):
		return dcfake.RouteFollowup
	}
	return ""
}

func (d *discordDriver) name() string { return Discord }

func (d *discordDriver) configure(cfg *config.Config) {
	api := d.fake.URL + "/"
	if d.edgeSrv != nil {
		api = d.edgeSrv.URL + "/"
	}
	cfg.Discord = config.Discord{Enabled: true, Token: d.token, PublicKey: d.signer.PublicKeyHex(),
		ApplicationID: d.appID, APIURL: api}
}

func (d *discordDriver) start(_ context.Context, base string) error {
	d.url = base + "/webhooks/discord"
	return nil
}

// policy: Discord waits 3 seconds for the interaction response and never
// redelivers ("This interaction failed").
func (d *discordDriver) policy() policy { return policy{timeout: 3 * time.Second, retries: false} }

func (d *discordDriver) ask(channel, user int64, guild bool, text string) dcfake.Interaction {
	where := dcfake.Where{ChannelID: strconv.FormatInt(channel, 10)}
	if guild {
		where.GuildID = discordGuild
	}
	u := dcfake.User{ID: strconv.FormatInt(user, 10), Username: strings.ToLower(firstName(int(user % 1000)))}
	return d.fake.Ask(where, u, text)
}

func (d *discordDriver) prepare(n int, q Question) (*message, delivery) {
	channel := int64(discordChannel0 + n)
	it := d.ask(channel, int64(discordUser0+n), n%2 == 0, q.Text)
	m := &message{platform: Discord, conv: strconv.FormatInt(channel, 10)}
	return m, delivery{
		uniqueConv: true,
		ref:        it.ID,
		try: func(ctx context.Context, c *http.Client, _ int) outcome {
			resp, err := d.fake.Deliver(ctx, c, d.url, d.signer, it)
			o := outcome{status: resp.Status, err: err}
			switch {
			case err != nil || resp.Status != http.StatusOK:
			case resp.Type == 4: // answered inline
				var data struct {
					Content string `json:"content"`
				}
				_ = json.Unmarshal(resp.Data, &data)
				o.passive = &reply{platform: Discord, ref: it.ID, text: data.Content, at: time.Now()}
			case resp.Type < 4 || resp.Type > 7:
				o.err = fmt.Errorf("interaction response type %d does not acknowledge it", resp.Type)
			}
			return o
		},
		replay: func(ctx context.Context) (*http.Request, error) {
			return d.signer.NewRequest(ctx, d.url, it.Body, time.Now().Add(-replayAge))
		},
		expect: expectReject,
	}
}

func (d *discordDriver) poll() []reply {
	sent := d.fake.Sent()
	out := make([]reply, 0, len(sent)-d.seen)
	for _, s := range sent[d.seen:] {
		out = append(out, reply{platform: Discord, conv: s.ChannelID, ref: s.InteractionID, text: s.Content, at: s.At})
	}
	d.seen = len(sent)
	return out
}

func (d *discordDriver) bad(sample *sampled) []badRequest {
	const q = "what payment methods do you accept"
	signed := func(s *dcfake.Signer, it dcfake.Interaction, unsigned bool) func(context.Context) (*http.Request, error) {
		return func(ctx context.Context) (*http.Request, error) {
			r, err := s.NewRequest(ctx, d.url, it.Body, time.Now())
			if err == nil && unsigned {
				r.Header.Del("X-Signature-Ed25519")
				r.Header.Del("X-Signature-Timestamp")
			}
			return r, err
		}
	}
	out := []badRequest{
		{platform: Discord, kind: kindUnsigned, expect: expectReject, build: signed(d.signer, d.ask(discordBad0+1, discordBad0+1, true, q), true)},
		{platform: Discord, kind: kindWrongSig, expect: expectReject, build: signed(dcfake.NewSigner(), d.ask(discordBad0+2, discordBad0+2, true, q), false)},
		{platform: Discord, kind: kindOversized, expect: expectReject, build: signed(d.signer, d.ask(discordBad0+3, discordBad0+3, true, oversizedText(1<<20)), false)},
	}
	return append(out, replayOf(Discord, sample))
}

func (d *discordDriver) secrets() []secret {
	return []secret{{"discord.token", d.token}, {"a Discord interaction token", interactionTokenPrefix}}
}

func (d *discordDriver) slowStats() (int64, int64) { return d.edge.stats() }

func (d *discordDriver) close() {
	if d.edgeSrv != nil {
		d.edgeSrv.Close()
	}
	d.fake.Close()
}
