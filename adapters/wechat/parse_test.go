package wechat

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/switchboard-gw/switchboard/core"
	wechatfake "github.com/switchboard-gw/switchboard/internal/fakes/wechat"
)

func TestNormalize(t *testing.T) {
	p := wechatfake.Pusher{OriginalID: testGhID}
	tests := []struct {
		name      string
		in        wechatfake.Inbound
		ok        bool
		text      string
		note      string
		id        string
		dedupeKey string
	}{
		{"text", wechatfake.Text("oA", 6054768590064713728, "hello"), true, "hello", "",
			"6054768590064713728", "wechat:msg:6054768590064713728"},
		{"voice recognised", wechatfake.Inbound{OpenID: "oA", MsgType: "voice", MsgID: 2, Recognition: "你好"}, true, "你好", "", "2", "wechat:msg:2"},
		{"voice", wechatfake.Inbound{OpenID: "oA", MsgType: "voice", MsgID: 3}, true, "", "[voice message]", "3", "wechat:msg:3"},
		{"image", wechatfake.Inbound{OpenID: "oA", MsgType: "image", MsgID: 4, PicURL: "http://p/1"}, true, "", "[image] http://p/1", "4", "wechat:msg:4"},
		{"video", wechatfake.Inbound{OpenID: "oA", MsgType: "video", MsgID: 5}, true, "", "[video]", "5", "wechat:msg:5"},
		{"unknown type", wechatfake.Inbound{OpenID: "oA", MsgType: "miniprogrampage", MsgID: 6}, true, "", "[miniprogrampage message]", "6", "wechat:msg:6"},
		{"subscribe", wechatfake.Event("oA", "subscribe", 1700000000), true, "welcome!", "",
			"ev-oA-1700000000-subscribe", "wechat:event:oA:1700000000:subscribe"},
		{"unsubscribe", wechatfake.Event("oA", "unsubscribe", 1700000000), false, "", "", "", ""},
		{"SCAN", wechatfake.Event("oA", "SCAN", 1700000000), true, "welcome!", "",
			"ev-oA-1700000000-SCAN", "wechat:event:oA:1700000000:SCAN"},
		{"text without MsgId", wechatfake.Inbound{OpenID: "oA", MsgType: "text", Content: "x", CreateTime: 42}, true, "x", "",
			"m-oA-42-text", "wechat:msg:oA:42:text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseMessageXML(p.XML(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := normalize(m, "welcome!", nil)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			want := core.ConversationKey{Platform: "wechat", Chat: "oA", User: "oA"}
			if got.Key != want || got.Text != tt.text || got.Note != tt.note || got.ID != tt.id ||
				len(got.DedupeKeys) != 1 || got.DedupeKeys[0] != tt.dedupeKey {
				t.Errorf("normalize = %+v\nwant key %v text %q note %q id %q dedupe %q", got, want, tt.text, tt.note, tt.id, tt.dedupeKey)
			}
		})
	}
}

func TestParseMessageXMLVectorC(t *testing.T) {
	m, err := parseMessageXML([]byte(msgC))
	if err != nil {
		t.Fatal(err)
	}
	if m.ToUserName != "gh_10f6c3c3ac5a" || m.FromUserName != "oyORnuP8q7ou2gfYjqLzSIWZf0rs" || m.CreateTime != 1409735668 ||
		m.MsgType != message.MsgTypeText || m.Content != "abcdteT" || m.MsgID != 6054768590064713728 {
		t.Errorf("parsed %+v", m.CommonToken)
	}
}

func TestParsePushVectorC(t *testing.T) {
	// The official compat-mode sample as a whole push: signature, msg_signature,
	// decryption and parsing, with the plaintext fields ignored.
	c, err := newMsgCrypto("spamtest", keyA, "wx2c2769f8efd9abc2")
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{
		"signature": {c.sign("1409735669", "1320562132")}, "timestamp": {"1409735669"}, "nonce": {"1320562132"},
		"encrypt_type": {"aes"}, "msg_signature": {"5d197aaffba7e9b25a30732f161a50dee96bd5fa"},
	}
	body := strings.Replace(msgC, "abcdteT", "FORGED", 1)
	body = strings.Replace(body, "</xml>", "<Encrypt><![CDATA["+encC+"]]></Encrypt></xml>", 1)
	p, err := parsePush(c, q, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if !p.encrypted || p.timestamp != 1409735669 || p.nonce != "1320562132" || p.msg.Content != "abcdteT" {
		t.Errorf("push = %+v, content %q", p, p.msg.Content)
	}
	q.Set("msg_signature", strings.Repeat("0", 40))
	if _, err := parsePush(c, q, []byte(body)); !errors.Is(err, errUnauthorized) {
		t.Errorf("bad msg_signature: err = %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{AppID: "wx1", AppSecret: "s", Token: "abc123"}
	tests := []struct {
		name string
		mod  func(*Config)
		want string // "" = valid
	}{
		{"minimal", func(*Config) {}, ""},
		{"with key and budget", func(c *Config) {
			c.EncodingAESKey = keyA
			c.ReplyBudget = MaxReplyBudget
			c.APIURL = "http://127.0.0.1:1/"
		}, ""},
		{"no app id", func(c *Config) { c.AppID = "" }, "app_id"},
		{"no secret", func(c *Config) { c.AppSecret = "" }, "app_secret"},
		{"short token", func(c *Config) { c.Token = "ab" }, "token"},
		{"token with symbols", func(c *Config) { c.Token = "abc-123" }, "token"},
		{"short key", func(c *Config) { c.EncodingAESKey = "abc" }, "encoding_aes_key"},
		{"budget beyond the window", func(c *Config) { c.ReplyBudget = 5e9 }, "reply_budget"},
		{"api url", func(c *Config) { c.APIURL = "api.weixin.qq.com" }, "api_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mod(&c)
			err := c.Validate()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate() = %v, want error about %q", err, tt.want)
			}
		})
	}
	d := ok.withDefaults()
	if d.APIURL != DefaultAPIURL || d.ReplyBudget != DefaultReplyBudget || d.WelcomeText != DefaultWelcomeText {
		t.Errorf("defaults %+v", d)
	}
}
