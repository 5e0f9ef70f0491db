package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"time"

	"github.com/switchboard-gw/switchboard/internal/config"
	wxfake "github.com/switchboard-gw/switchboard/internal/fakes/wechat"
)

// wechatDriver plays a WeChat Official Account in safe mode (安全模式): text
// pushes from one openid per message, signed and AES-encrypted; the answer
// comes back in the push's HTTP response (passive reply) or later through
// the customer-service API of the fake.
type wechatDriver struct {
	appID, appSecret, token, aesKey string
	pusher                          wxfake.Pusher
	fake                            *wxfake.Server
	edge                            *slowEdge
	edgeSrv                         *httptest.Server // nil unless slow
	url                             string
	seen                            int
}

func newWeChat(o Options) (*wechatDriver, error) {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails (Go 1.24+)
	d := &wechatDriver{
		appID:     "wx" + randomString(16, hexDig),
		appSecret: randomString(32, hexDig),
		token:     randomString(32, alnum),
		aesKey:    base64.StdEncoding.EncodeToString(key)[:43],
	}
	d.pusher = wxfake.Pusher{Token: d.token, AppID: d.appID, EncodingAESKey: d.aesKey, Mode: wxfake.Safe}
	d.fake = wxfake.NewServer(wxfake.Options{AppID: d.appID, AppSecret: d.appSecret})
	// WeChat itself reports limits as errcodes in HTTP 200; the 429 here is
	// what a proxy in front of it says, which the adapter must honour too.
	d.edge = newSlowEdge(o,
		func(r *http.Request) bool { return r.URL.Path == wxfake.EndpointCustomSend },
		func(w http.ResponseWriter, _ *http.Request) bool { write429(w); return true })
	if d.edge != nil {
		p, err := proxyTo(d.fake.URL)
		if err != nil {
			d.fake.Close()
			return nil, fmt.Errorf("wechat fake: %w", err)
		}
		d.edgeSrv = serveFake(p, d.edge)
	}
	return d, nil
}

func (d *wechatDriver) name() string { return WeChat }

func (d *wechatDriver) configure(cfg *config.Config) {
	api := d.fake.URL
	if d.edgeSrv != nil {
		api = d.edgeSrv.URL
	}
	cfg.WeChat = config.WeChat{Enabled: true, AppID: d.appID, AppSecret: d.appSecret, Token: d.token,
		EncodingAESKey: d.aesKey, APIURL: api, MaxClockSkew: cfg.WeChat.MaxClockSkew}
}

func (d *wechatDriver) start(_ context.Context, base string) error {
	d.url = base + "/webhooks/wechat"
	return nil
}

// policy: WeChat waits 5 seconds and retries a push three times.
func (d *wechatDriver) policy() policy { return policy{timeout: 5 * time.Second, retries: true} }

func (d *wechatDriver) prepare(n int, q Question) (*message, delivery) {
	openID := fmt.Sprintf("oBench%022d", n)
	plain := d.pusher.XML(wxfake.Text(openID, 5_000_000_000_000_000+int64(n), q.Text))
	m := &message{platform: WeChat, conv: openID}
	return m, delivery{
		uniqueConv: true,
		try: func(ctx context.Context, c *http.Client, _ int) outcome {
			status, body, err := send(ctx, c, func(ctx context.Context) (*http.Request, error) {
				return d.push(ctx, d.pusher, plain, time.Now())
			})
			o := outcome{status: status, err: err}
			if !o.ok() {
				return o
			}
			r, err := d.pusher.DecodeReply(body)
			switch {
			case errors.Is(err, wxfake.ErrNoReply):
			case err != nil:
				// WeChat shows the customer "该公众号暂时无法提供服务".
				o.err = fmt.Errorf("passive reply WeChat cannot read: %w", err)
			default:
				o.passive = &reply{platform: WeChat, conv: openID, text: r.Content, at: time.Now()}
			}
			return o
		},
		// WeChat's protocol sets no timestamp window, the gateway does
		// (wechat.max_clock_skew, 5 minutes): a push signed replayAge
		// ago must be refused.
		replay: func(ctx context.Context) (*http.Request, error) {
			return d.push(ctx, d.pusher, plain, time.Now().Add(-replayAge))
		},
		expect: expectReject,
	}
}

// push builds a safe-mode push of plain signed at time at, as
// wxfake.Pusher.PushRaw does at the current time.
func (d *wechatDriver) push(ctx context.Context, p wxfake.Pusher, plain []byte, at time.Time) (*http.Request, error) {
	key, err := wxfake.DecodeKey(p.EncodingAESKey)
	if err != nil {
		return nil, err
	}
	random := make([]byte, 16)
	_, _ = rand.Read(random)
	enc, err := wxfake.Encrypt(key, random, plain, p.AppID)
	if err != nil {
		return nil, err
	}
	ts, nonce := strconv.FormatInt(at.Unix(), 10), randomString(10, digits)
	q := url.Values{}
	q.Set("signature", wxfake.Signature(p.Token, ts, nonce))
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", wxfake.Signature(p.Token, ts, nonce, enc))
	body := fmt.Appendf(nil, "<xml><ToUserName><![CDATA[gh_fake]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt></xml>", enc)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	return req, nil
}

func (d *wechatDriver) poll() []reply {
	sent := d.fake.Sent()
	out := make([]reply, 0, len(sent)-d.seen)
	for _, s := range sent[d.seen:] {
		out = append(out, reply{platform: WeChat, conv: s.OpenID, text: s.Text, at: s.At})
	}
	d.seen = len(sent)
	return out
}

func (d *wechatDriver) bad(sample *sampled) []badRequest {
	text := func(k int, s string) []byte {
		return d.pusher.XML(wxfake.Text(fmt.Sprintf("oBenchBad%019d", k), 9_000_000_000_000_000+int64(k), s))
	}
	wrong := d.pusher
	wrong.Token = randomString(32, alnum)
	const q = "运费多少"
	out := []badRequest{
		{platform: WeChat, kind: kindUnsigned, expect: expectReject, build: func(ctx context.Context) (*http.Request, error) {
			r, err := d.push(ctx, d.pusher, text(1, q), time.Now())
			if err == nil {
				r.URL.RawQuery = ""
			}
			return r, err
		}},
		{platform: WeChat, kind: kindWrongSig, expect: expectReject, build: func(ctx context.Context) (*http.Request, error) {
			return d.push(ctx, wrong, text(2, q), time.Now())
		}},
		{platform: WeChat, kind: kindOversized, expect: expectReject, build: func(ctx context.Context) (*http.Request, error) {
			return d.push(ctx, d.pusher, text(3, oversizedText(64<<10)), time.Now())
		}},
	}
	return append(out, replayOf(WeChat, sample))
}

func (d *wechatDriver) secrets() []secret {
	out := []secret{{"wechat.app_secret", d.appSecret}, {"wechat.token", d.token}, {"wechat.encoding_aes_key", d.aesKey}}
	for _, t := range d.fake.Tokens() {
		out = append(out, secret{"a WeChat access token", t})
	}
	return out
}

func (d *wechatDriver) slowStats() (int64, int64) { return d.edge.stats() }

func (d *wechatDriver) close() {
	if d.edgeSrv != nil {
		d.edgeSrv.Close()
	}
	d.fake.Close()
}
