package wechat

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	wechatfake "github.com/switchboard-gw/switchboard/internal/fakes/wechat"
)

func TestURLVerification(t *testing.T) {
	h := newHarness(t, harnessOpts{mode: wechatfake.Safe}) // the GET is plaintext in every mode
	good, err := h.pusher.Verify(context.Background(), h.url(), "7398512376521367")
	if err != nil {
		t.Fatal(err)
	}
	q := good.URL.Query()
	tests := []struct {
		name   string
		method string
		query  func(url.Values)
		status int
		body   string
	}{
		{"valid", http.MethodGet, nil, 200, "7398512376521367"},
		{"wrong signature", http.MethodGet, func(v url.Values) { v.Set("signature", strings.Repeat("0", 40)) }, 401, ""},
		{"signature of another nonce", http.MethodGet, func(v url.Values) { v.Set("nonce", "1") }, 401, ""},
		{"no signature", http.MethodGet, func(v url.Values) { v.Del("signature") }, 401, ""},
		{"no echostr", http.MethodGet, func(v url.Values) { v.Del("echostr") }, 400, ""},
		{"PUT", http.MethodPut, nil, 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := url.Values{}
			for k, vs := range q {
				v[k] = append([]string(nil), vs...)
			}
			if tt.query != nil {
				tt.query(v)
			}
			req, _ := http.NewRequest(tt.method, h.url()+"?"+v.Encode(), nil)
			status, body := h.do(req)
			if status != tt.status || (tt.body != "" && string(body) != tt.body) {
				t.Errorf("got %d %q, want %d %q", status, body, tt.status, tt.body)
			}
		})
	}
}

// signedPost builds a POST whose query is signed with token; with encrypt
// set it adds encrypt_type=aes and a msg_signature over encrypt.
func signedPost(t *testing.T, base, token string, body []byte, encrypt *string) *http.Request {
	t.Helper()
	q := url.Values{}
	q.Set("timestamp", "1409735669")
	q.Set("nonce", "1320562132")
	q.Set("signature", wechatfake.Signature(token, "1409735669", "1320562132"))
	if encrypt != nil {
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", wechatfake.Signature(token, "1409735669", "1320562132", *encrypt))
	}
	req, err := http.NewRequest(http.MethodPost, base+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func envelope(enc string) []byte {
	return fmt.Appendf(nil, "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt></xml>", enc)
}

func ptr(s string) *string { return &s }

// TestPushRejected: every malformed or forged push gets 401 or 400, reaches
// no engine, and panics nowhere.
func TestPushRejected(t *testing.T) {
	safe := newHarness(t, harnessOpts{mode: wechatfake.Safe})
	plain := newHarness(t, harnessOpts{mode: wechatfake.Plain})
	key, _ := wechatfake.DecodeKey(testKey)
	msg := plain.pusher.XML(wechatfake.Text("oX", 1, "hi"))
	enc := func(m []byte, receiveID string) string {
		s, err := wechatfake.Encrypt(key, []byte("0123456789abcdef"), m, receiveID)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := enc(msg, testAppID)
	goodRaw := mustBase64(t, good)
	truncated := b64(goodRaw[:len(goodRaw)-16])
	badPad := rawEncrypt(t, testKey, framed(string(msg), testAppID, 0))
	bomb := `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><ToUserName>gh</ToUserName><FromUserName>oX</FromUserName><MsgType>text</MsgType><Content>&c;</Content><MsgId>1</MsgId></xml>`
	deep := "<xml><FromUserName>oX</FromUserName><MsgType>text</MsgType>" + strings.Repeat("<a>", 5000) + strings.Repeat("</a>", 5000) + "</xml>"
	undeclared := `<xml><FromUserName>oX</FromUserName><MsgType>text</MsgType><Content>&x;</Content></xml>`
	huge := append([]byte("<xml><Content>"), bytes.Repeat([]byte("a"), MaxBodyBytes)...)

	tests := []struct {
		name   string
		h      *harness
		req    func() *http.Request
		status int
	}{
		{"bad signature", plain, func() *http.Request { return signedPost(t, plain.url(), "wrongToken", msg, nil) }, 401},
		{"bad msg_signature", safe, func() *http.Request {
			r := signedPost(t, safe.url(), testToken, envelope(good), ptr(good))
			q := r.URL.Query()
			q.Set("msg_signature", wechatfake.Signature(testToken, "1409735669", "1320562132", good+"x"))
			r.URL.RawQuery = q.Encode()
			return r
		}, 401},
		{"msg_signature of another body", safe, func() *http.Request {
			other := enc(plain.pusher.XML(wechatfake.Text("oX", 2, "other")), testAppID)
			return signedPost(t, safe.url(), testToken, envelope(other), ptr(good))
		}, 401},
		{"wrong AppID inside", safe, func() *http.Request {
			e := enc(msg, "wx0000000000000000")
			return signedPost(t, safe.url(), testToken, envelope(e), &e)
		}, 401},
		{"truncated ciphertext", safe, func() *http.Request {
			return signedPost(t, safe.url(), testToken, envelope(truncated), &truncated)
		}, 400},
		{"bad padding", safe, func() *http.Request { return signedPost(t, safe.url(), testToken, envelope(badPad), &badPad) }, 400},
		{"Encrypt not base64", safe, func() *http.Request {
			e := "!!!not base64!!!"
			return signedPost(t, safe.url(), testToken, envelope(e), &e)
		}, 400},
		{"empty Encrypt", safe, func() *http.Request { return signedPost(t, safe.url(), testToken, envelope(""), ptr("")) }, 400},
		{"plaintext push while a key is set", safe, func() *http.Request { return signedPost(t, safe.url(), testToken, msg, nil) }, 401},
		{"encrypted push without a key", plain, func() *http.Request {
			return signedPost(t, plain.url(), testToken, envelope(good), &good)
		}, 400},
		{"entity expansion bomb", plain, func() *http.Request { return signedPost(t, plain.url(), testToken, []byte(bomb), nil) }, 400},
		{"entity bomb inside ciphertext", safe, func() *http.Request {
			e := enc([]byte(bomb), testAppID)
			return signedPost(t, safe.url(), testToken, envelope(e), &e)
		}, 400},
		{"deep nesting", plain, func() *http.Request { return signedPost(t, plain.url(), testToken, []byte(deep), nil) }, 400},
		{"undeclared entity", plain, func() *http.Request { return signedPost(t, plain.url(), testToken, []byte(undeclared), nil) }, 400},
		{"oversized body", plain, func() *http.Request { return signedPost(t, plain.url(), testToken, huge, nil) }, 400},
		{"JSON body", plain, func() *http.Request {
			return signedPost(t, plain.url(), testToken, []byte(`{"FromUserName":"oX","MsgType":"text"}`), nil)
		}, 400},
		{"empty body", plain, func() *http.Request { return signedPost(t, plain.url(), testToken, nil, nil) }, 400},
		{"wrong root element", plain, func() *http.Request {
			return signedPost(t, plain.url(), testToken, []byte(`<msg><FromUserName>oX</FromUserName><MsgType>text</MsgType></msg>`), nil)
		}, 400},
		{"no FromUserName", plain, func() *http.Request {
			return signedPost(t, plain.url(), testToken, []byte(`<xml><MsgType>text</MsgType><Content>hi</Content></xml>`), nil)
		}, 400},
		{"MsgId not a number", plain, func() *http.Request {
			return signedPost(t, plain.url(), testToken, []byte(`<xml><FromUserName>oX</FromUserName><MsgType>text</MsgType><MsgId>x</MsgId></xml>`), nil)
		}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := tt.h.do(tt.req())
			if status != tt.status {
				t.Errorf("status %d (%q), want %d", status, body, tt.status)
			}
		})
	}
	for _, h := range []*harness{safe, plain} {
		if n, err := h.store.Counters(context.Background()); err != nil || n["messages"] != 0 {
			t.Errorf("counters %v (%v): a refused push reached the engine", n, err)
		}
	}
	// The control: the same keys and signatures accept a genuine push.
	status, body := safe.do(signedPost(t, safe.url(), testToken, envelope(good), &good))
	if got := safe.passive(status, body); got != "echo: hi" {
		t.Errorf("genuine push answered %q", got)
	}
}

func TestRejectedPushLogsNoSecret(t *testing.T) {
	h := newHarness(t, harnessOpts{mode: wechatfake.Safe})
	h.do(signedPost(t, h.url(), "wrongToken", []byte("<xml/>"), nil))
	h.do(signedPost(t, h.url(), testToken, envelope("abc"), ptr("abc")))
	logs := h.logs.String()
	mustContain(t, logs, "push refused")
	for _, secret := range []string{testToken, testKey, testSecret} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain the secret %q", secret)
		}
	}
}

func mustBase64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
