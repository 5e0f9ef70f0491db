package wechat

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	_ "github.com/silenceper/wechat/v2" // its init sets logrus to debug on stdout, as in a binary that links it
	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount"
	offConfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-gw/switchboard/core"
	wechatfake "github.com/switchboard-gw/switchboard/internal/fakes/wechat"
)

// TestNoSecretLeaks drives every failure of the outbound path (transport
// error with the token in the URL, HTTP errors, errcodes, dead letters) and
// checks that no access token, AppSecret, Token or EncodingAESKey reaches an
// error, a dead letter or a log line, and that no customer text is logged.
func TestNoSecretLeaks(t *testing.T) {
	h := newHarness(t, harnessOpts{mode: wechatfake.Safe, cfg: func(c *Config) { c.ReplyBudget = time.Nanosecond }})
	ctx := context.Background()
	const customerText = "my card number is 4111111111111111"
	var errs []string
	send := func(text string) {
		if err := h.adapter.Send(ctx, reply("oLeak", text)); err != nil {
			errs = append(errs, err.Error())
		}
	}
	_, status, body := h.text("oLeak", customerText) // answered by the API (1 ns budget)
	h.acked(status, body)
	h.waitSent(1)
	h.fake.FailNextHTTP(1, http.StatusInternalServerError)
	send("a")
	h.fake.FailNext(2, 40001, "invalid credential")
	send("b")
	h.fake.FailNext(1, 45015, "response out of time limit")
	send("c")
	tokens := h.fake.Tokens()
	if len(tokens) == 0 {
		t.Fatal("no token was issued")
	}
	h.fake.Close() // now every call fails with a *url.Error naming the URL
	h.adapter.tokens.invalidate("")
	send("d")
	cur, ok := h.adapter.tokens.cached()
	if !ok {
		t.Fatal("no cached token")
	}
	h.adapter.tokens.invalidate(cur) // a token fetch against the closed server
	send("e")
	mustContain(t, errs[len(errs)-1], "stable access token")
	if len(errs) != 5 {
		t.Fatalf("%d errors, want 5: %q", len(errs), errs)
	}
	mustContain(t, strings.Join(errs, "\n"), "REDACTED") // the URL was there, redacted

	h.stop()
	haystack := strings.Join(errs, "\n") + "\n" + h.logs.String() + "\n" + strings.Join(h.deadLetters(), "\n")
	secrets := append([]string{testSecret, testToken, testKey}, tokens...)
	for _, s := range secrets {
		if strings.Contains(haystack, s) {
			t.Errorf("secret %.12s... found in errors or logs", s)
		}
	}
	if strings.Contains(h.logs.String(), customerText) {
		t.Error("the customer's text was logged")
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=SECRET",
			"https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=REDACTED"},
		{"https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=S",
			"https://api.weixin.qq.com/cgi-bin/token?appid=wx1&grant_type=client_credential&secret=REDACTED"},
		{"http://user:pass@h/x?ACCESS_TOKEN=t", "http://REDACTED@h/x?ACCESS_TOKEN=REDACTED"},
		{"https://h/x", "https://h/x"},
		{"::not a url", "REDACTED-URL"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSDKLogsSilenced: the SDK's server logs a request's XML through the
// logrus standard logger at debug, which its root package's init turns on.
// After New, nothing of a customer message reaches that logger.
func TestSDKLogsSilenced(t *testing.T) {
	const secretText = "customer-secret-text-1234"
	serveWithSDK := func() {
		oa := officialaccount.NewOfficialAccount(&offConfig.Config{AppID: testAppID, AppSecret: testSecret, Token: testToken, Cache: cache.NewMemory()})
		p := wechatfake.Pusher{Token: testToken, AppID: testAppID}
		req, err := p.Push(context.Background(), "http://gateway/webhooks/wechat", wechatfake.Text("oSDK", 1, secretText))
		if err != nil {
			t.Fatal(err)
		}
		srv := oa.GetServer(req, httptest.NewRecorder())
		srv.SetMessageHandler(func(*message.MixMessage) *message.Reply {
			return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText("ok")}
		})
		if err := srv.Serve(); err != nil {
			t.Fatal(err)
		}
	}
	defer silenceSDKLogs()

	// The control: as the SDK's init leaves it, the customer's text is logged.
	var buf bytes.Buffer
	logrus.SetOutput(&buf)
	logrus.SetLevel(logrus.DebugLevel)
	serveWithSDK()
	if !strings.Contains(buf.String(), secretText) {
		t.Fatalf("control failed: the SDK did not log the message (log %q)", buf.String())
	}

	buf.Reset()
	logrus.SetOutput(&buf)
	logrus.SetLevel(logrus.DebugLevel)
	if _, err := New(Config{AppID: testAppID, AppSecret: testSecret, Token: testToken}, nopHandler{}, nopStore{}, nil); err != nil {
		t.Fatal(err)
	}
	serveWithSDK()
	logrus.Info("anything") // the SDK's other log levels too
	if buf.Len() != 0 {
		t.Errorf("after New the SDK still logs: %q", buf.String())
	}
}

type nopHandler struct{}

func (nopHandler) Handle(context.Context, core.Message) (core.Result, error) {
	return core.Result{}, nil
}

// nopStore satisfies core.Store for constructor tests that never touch it.
type nopStore struct{ core.Store }
