package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	keyA = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	encC = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)

// TestCryptoVectors checks the fake's independent crypto against the
// published vectors A and C (protocols.md §4.2).
func TestCryptoVectors(t *testing.T) {
	key, err := DecodeKey(keyA)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Encrypt(key, []byte("aaaabbbbccccdddd"), []byte("我是中文abcd123"), "wxb11529c136998cb6")
	if err != nil {
		t.Fatal(err)
	}
	if want := "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="; got != want {
		t.Errorf("Encrypt = %s, want %s", got, want)
	}
	msg, rid, err := Decrypt(key, encC)
	if err != nil || rid != "wx2c2769f8efd9abc2" || !strings.Contains(string(msg), "<Content><![CDATA[abcdteT]]></Content>") {
		t.Errorf("Decrypt(C) = %q, %q, %v", msg, rid, err)
	}
	if got := Signature("spamtest", "1409735669", "1320562132", encC); got != "5d197aaffba7e9b25a30732f161a50dee96bd5fa" {
		t.Errorf("msg_signature = %s", got)
	}
	if got := Signature("pamtest", "1409304348", "xxxxxx"); got != "76480565cbe296026c53aaacd1ad523a1ddba24f" {
		t.Errorf("signature = %s", got)
	}
	if _, _, err := Decrypt(key, encC[:len(encC)-8]+"AAAAAAA="); err == nil {
		t.Error("Decrypt accepted a damaged last block")
	}
}

func post(t *testing.T, u string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(u, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func get(t *testing.T, u string) map[string]any {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %q", err, b)
	}
	return out
}

func code(m map[string]any) int {
	c, _ := m["errcode"].(float64)
	return int(c)
}

func TestServerBehavesLikeWeChat(t *testing.T) {
	s := NewServer(Options{AppID: "wx1", AppSecret: "sec", MaxTextBytes: 10})
	defer s.Close()
	stable := func(force bool) map[string]any {
		return post(t, s.URL+EndpointStableToken, map[string]any{"grant_type": "client_credential", "appid": "wx1", "secret": "sec", "force_refresh": force})
	}
	send := func(tok string, body any) int {
		return code(post(t, s.URL+EndpointCustomSend+"?access_token="+tok, body))
	}
	text := func(to, content string) map[string]any {
		return map[string]any{"touser": to, "msgtype": "text", "text": map[string]any{"content": content}}
	}

	t1 := stable(false)["access_token"].(string)
	if t2 := stable(false)["access_token"].(string); t2 != t1 {
		t.Error("stable_token without force_refresh changed the token")
	}
	if c := code(post(t, s.URL+EndpointStableToken, map[string]any{"grant_type": "client_credential", "appid": "wx1", "secret": "nope"})); c != 40125 {
		t.Errorf("wrong secret: errcode %d, want 40125", c)
	}
	if c := code(get(t, s.URL+EndpointToken+"?grant_type=client_credential&appid=wx1&secret=sec")); c != 0 {
		t.Errorf("/cgi-bin/token errcode %d", c)
	}
	tests := []struct {
		name  string
		setup func()
		tok   string
		body  any
		want  int
	}{
		{"ok", nil, t1, text("o1", "hi"), 0},
		{"unknown token", nil, "nope", text("o1", "hi"), 40001},
		{"empty content", nil, t1, text("o1", ""), 44004},
		{"too long", nil, t1, text("o1", "0123456789a"), 45002},
		{"no openid", nil, t1, text("", "hi"), 40003},
		{"not JSON", nil, t1, "x", 47001},
		{"told to fail", func() { s.FailNext(1, 45015, "response out of time limit") }, t1, text("o1", "x"), 45015},
		{"pass then fail: pass", func() { s.PassNext(1); s.FailNext(1, -1, "system error") }, t1, text("o1", "y"), 0},
		{"pass then fail: fail", nil, t1, text("o1", "z"), -1},
	}
	for _, tt := range tests {
		if tt.setup != nil {
			tt.setup()
		}
		if got := send(tt.tok, tt.body); got != tt.want {
			t.Errorf("%s: errcode %d, want %d", tt.name, got, tt.want)
		}
	}
	if sent := s.SentTo("o1"); len(sent) != 2 || sent[0].Text != "hi" || sent[1].Text != "y" {
		t.Errorf("sent %+v", sent)
	}

	t3 := stable(true)["access_token"].(string)
	if t3 == t1 {
		t.Error("force_refresh kept the token")
	}
	if c := code(stable(true)); c == 0 {
		t.Error("a second forced refresh within 30 s succeeded")
	}
	s.ExpireTokens()
	if got := send(t3, text("o1", "x")); got != 42001 {
		t.Errorf("expired token: errcode %d, want 42001", got)
	}
	s.InvalidateTokens()
	if got := send(t3, text("o1", "x")); got != 40001 {
		t.Errorf("invalidated token: errcode %d, want 40001", got)
	}
	if c := code(post(t, s.URL+"/cgi-bin/unknown", map[string]any{})); c != 40066 {
		t.Errorf("unknown path errcode %d", c)
	}
	if s.Calls(EndpointCustomSend) != 11 {
		t.Errorf("custom/send calls %d, want 11", s.Calls(EndpointCustomSend))
	}

	s.FailNextHTTP(1, 503)
	resp, err := http.Post(s.URL+EndpointCustomSend+"?access_token="+stable(false)["access_token"].(string), "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("FailNextHTTP: status %d", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.WaitSent(ctx, 3); err == nil {
		t.Error("WaitSent returned although only 2 messages were sent")
	}
}

func TestPusherRoundTrip(t *testing.T) {
	for _, mode := range []Mode{Plain, Compat, Safe} {
		t.Run(mode.String(), func(t *testing.T) {
			p := Pusher{Token: "tok123", AppID: "wx1", EncodingAESKey: keyA, Mode: mode}
			req, err := p.Push(context.Background(), "http://gw/webhooks/wechat", Text("o1", 1, "hi"))
			if err != nil {
				t.Fatal(err)
			}
			q := req.URL.Query()
			if Signature("tok123", q.Get("timestamp"), q.Get("nonce")) != q.Get("signature") {
				t.Error("bad signature")
			}
			body, _ := io.ReadAll(req.Body)
			if (mode == Plain) != (q.Get("encrypt_type") == "") || (mode == Safe) == bytes.Contains(body, []byte("<Content>")) {
				t.Errorf("mode %s: query %v body %q", mode, q, body)
			}
			if _, err := p.DecodeReply([]byte("success")); err != ErrNoReply {
				t.Errorf("DecodeReply(success) = %v", err)
			}
			if _, err := p.DecodeReply([]byte(`{"a":1}`)); err == nil || err == ErrNoReply {
				t.Errorf("DecodeReply(JSON) = %v, want an error", err)
			}
		})
	}
}
