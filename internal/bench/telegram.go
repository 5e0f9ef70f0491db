package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/internal/config"
	tgfake "github.com/switchboard-gw/switchboard/internal/fakes/telegram"
)

// telegramDriver plays Telegram in webhook mode: updates POSTed with the
// secret token header, answered by sendMessage to the customer's private
// chat (one chat per message).
type telegramDriver struct {
	token, secretToken string
	api                *tgfake.API
	srv                *httptest.Server
	edge               *slowEdge
	url                string
	seen               int // of api.Sent(), for poll
}

// Chat ids of the simulated customers and of the forged requests.
const (
	telegramChat0 = 6_000_000_000
	telegramBad0  = 7_000_000_000
)

func newTelegram(o Options) *telegramDriver {
	d := &telegramDriver{
		token:       "7" + randomString(9, digits) + ":" + randomString(35, urlSafe),
		secretToken: randomString(32, urlSafe),
	}
	d.api = tgfake.NewAPI(d.token)
	d.edge = newSlowEdge(o,
		func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/sendMessage") },
		func(http.ResponseWriter, *http.Request) bool {
			d.api.Fail("sendMessage", 1, tgfake.Failure{Status: http.StatusTooManyRequests, RetryAfter: 1})
			return false
		})
	d.srv = serveFake(d.api, d.edge)
	return d
}

func (d *telegramDriver) name() string { return Telegram }

func (d *telegramDriver) configure(cfg *config.Config) {
	cfg.Telegram = config.Telegram{Enabled: true, Token: d.token, SecretToken: d.secretToken,
		APIURL: d.srv.URL, Mode: "webhook"}
}

func (d *telegramDriver) start(_ context.Context, base string) error {
	d.url = base + "/webhooks/telegram"
	return nil
}

// policy: Telegram waits long for a webhook and redelivers until it gets a 2xx.
func (d *telegramDriver) policy() policy { return policy{timeout: 10 * time.Second, retries: true} }

func (d *telegramDriver) prepare(n int, q Question) (*message, delivery) {
	chat := int64(telegramChat0 + n)
	user := tgfake.User{ID: chat, FirstName: firstName(n), LanguageCode: q.Lang}
	body := tgfake.TextUpdate(100_000+n, 1, tgfake.Private(user), user, q.Text)
	m := &message{platform: Telegram, conv: strconv.FormatInt(chat, 10)}
	post := func(ctx context.Context) (*http.Request, error) {
		return tgfake.NewWebhookRequest(ctx, d.url, d.secretToken, body)
	}
	return m, delivery{
		uniqueConv: true,
		try: func(ctx context.Context, c *http.Client, _ int) outcome {
			return do(ctx, c, post)
		},
		replay: post, // Telegram signs no timestamp: a replay is the same update again
		expect: expectDedupe,
	}
}

func (d *telegramDriver) poll() []reply {
	sent := d.api.Sent()
	out := make([]reply, 0, len(sent)-d.seen)
	for _, s := range sent[d.seen:] {
		out = append(out, reply{platform: Telegram, conv: strconv.FormatInt(s.ChatID, 10), text: s.Text, at: s.At})
	}
	d.seen = len(sent)
	return out
}

func (d *telegramDriver) bad(sample *sampled) []badRequest {
	update := func(k int, text string) []byte {
		u := tgfake.User{ID: int64(telegramBad0 + k), FirstName: "Mallory"}
		return tgfake.TextUpdate(900_000+k, 1, tgfake.Private(u), u, text)
	}
	req := func(secret string, body []byte) func(context.Context) (*http.Request, error) {
		return func(ctx context.Context) (*http.Request, error) {
			return tgfake.NewWebhookRequest(ctx, d.url, secret, body)
		}
	}
	out := []badRequest{
		{platform: Telegram, kind: kindUnsigned, expect: expectReject, build: req("", update(1, "what are your opening hours"))},
		{platform: Telegram, kind: kindWrongSig, expect: expectReject, build: req(randomString(32, urlSafe), update(2, "what are your opening hours"))},
		{platform: Telegram, kind: kindOversized, expect: expectReject, build: req(d.secretToken, update(3, oversizedText(1<<20)))},
	}
	return append(out, replayOf(Telegram, sample))
}

func (d *telegramDriver) secrets() []secret {
	_, tokenSecret, _ := strings.Cut(d.token, ":")
	return []secret{
		{"telegram.token", d.token},
		{"telegram.token (after the bot id)", tokenSecret},
		{"telegram.secret_token", d.secretToken},
	}
}

func (d *telegramDriver) slowStats() (int64, int64) { return d.edge.stats() }

func (d *telegramDriver) close() { d.srv.Close() }
