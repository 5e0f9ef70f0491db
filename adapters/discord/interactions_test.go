package discord

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	fakedc "github.com/switchboard-gw/switchboard/internal/fakes/discord"
)

const (
	testToken = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.GhIjKl.fake-bot-token_abcdefghijklmnopqrstu"
	testApp   = "1100000000000000002"
)

var (
	customer = fakedc.User{ID: "811111111111111111", Username: "ana.lima", GlobalName: "Ana Lima", Discriminator: "0"}
	dm       = fakedc.Where{ChannelID: "1257270000000000001"}
	guild    = fakedc.Where{ChannelID: "1200000000000000555", GuildID: "1200000000000000100"}
)

// env is an Adapter wired to a fake Discord, with its interactions
// endpoint served over HTTP.
type env struct {
	a        *Adapter
	fake     *fakedc.Server
	signer   *fakedc.Signer
	endpoint string
}

func newEnv(t *testing.T, h Handler, edit ...func(*Config)) *env {
	t.Helper()
	fake := fakedc.Start(testToken, testApp)
	t.Cleanup(fake.Close)
	signer := fakedc.NewSigner()
	cfg := Config{Token: testToken, PublicKey: signer.PublicKeyHex(), ApplicationID: testApp, APIURL: fake.URL,
		Channels: []string{testChannel}}
	for _, e := range edit {
		e(&cfg)
	}
	a, err := New(t.Context(), cfg, h, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{a: a, fake: fake, signer: signer, endpoint: srv.URL + InteractionsPath}
}

func (e *env) deliver(t *testing.T, it fakedc.Interaction) fakedc.Response {
	t.Helper()
	resp, err := e.fake.Deliver(t.Context(), http.DefaultClient, e.endpoint, e.signer, it)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestNewReadsBotID(t *testing.T) {
	e := newEnv(t, nil)
	if e.a.BotID() != testBotID || e.a.Platform() != "discord" {
		t.Fatalf("bot id %q", e.a.BotID())
	}
}

// The self-derived vector of protocols.md §3.2 (RFC 8032 test key 1).
func TestSignatureVector(t *testing.T) {
	const (
		pub  = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
		seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
		ts   = "1608597133"
		body = `{"type":1}`
		sig  = "5ab3087e79bdf62aa525d5a1d4cc108ffa0330d84e84db163fe368150a56a217ba0d1bc121c713cbcfd3a4effa86afc6029be4a270a7a41a97815574105d7502"
	)
	s, _ := hex.DecodeString(seed)
	if got := fakedc.SignerFromSeed(s).Sign(ts, []byte(body)); got != sig {
		t.Fatalf("the fake's signer gives %s", got)
	}
	e := newEnv(t, &stubHandler{}, func(c *Config) { c.PublicKey = pub })
	e.a.now = func() time.Time { return time.Unix(1608597133, 0).Add(time.Minute) }
	flipped := []byte(sig)
	flipped[10] ^= 1
	for _, tt := range []struct {
		sig  string
		want int
	}{{sig, 200}, {string(flipped), 401}} {
		req := httptest.NewRequest(http.MethodPost, InteractionsPath, strings.NewReader(body))
		req.Header.Set("X-Signature-Ed25519", tt.sig)
		req.Header.Set("X-Signature-Timestamp", ts)
		rec := httptest.NewRecorder()
		e.a.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Fatalf("signature %s…: status %d, want %d", tt.sig[:8], rec.Code, tt.want)
		}
		if tt.want == 200 && strings.TrimSpace(rec.Body.String()) != `{"type":1}` {
			t.Fatalf("PING answered %s", rec.Body)
		}
	}
}

func TestInteractionRefused(t *testing.T) {
	e := newEnv(t, &stubHandler{})
	body := e.fake.Ping().Body
	other := fakedc.NewSigner()
	now := time.Now()
	tests := []struct {
		name   string
		mutate func(r *http.Request)
		want   int
	}{
		{"valid", func(*http.Request) {}, 200},
		{"no signature", func(r *http.Request) { r.Header.Del("X-Signature-Ed25519") }, 401},
		{"not hex", func(r *http.Request) { r.Header.Set("X-Signature-Ed25519", "zz") }, 401},
		{"other key", func(r *http.Request) {
			r.Header.Set("X-Signature-Ed25519", other.Sign(r.Header.Get("X-Signature-Timestamp"), body))
		}, 401},
		{"timestamp changed", func(r *http.Request) { r.Header.Set("X-Signature-Timestamp", "1608597134") }, 401},
		{"no timestamp", func(r *http.Request) { r.Header.Del("X-Signature-Timestamp") }, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := e.signer.NewRequest(t.Context(), e.endpoint, body, now)
			if err != nil {
				t.Fatal(err)
			}
			tt.mutate(req)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
	// A changed body fails; so do stale and future timestamps, signed correctly.
	for _, c := range []struct {
		name string
		at   time.Time
		body []byte
	}{
		{"changed body", now, []byte(`{"type":2}`)},
		{"stale", now.Add(-6 * time.Minute), body},
		{"future", now.Add(6 * time.Minute), body},
	} {
		req, err := e.signer.NewRequest(t.Context(), e.endpoint, body, c.at)
		if err != nil {
			t.Fatal(err)
		}
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(c.body)), int64(len(c.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("%s: status %d, want 401", c.name, resp.StatusCode)
		}
	}
}

func TestInteractionResponses(t *testing.T) {
	tests := []struct {
		name     string
		handler  *stubHandler
		make     func(*fakedc.API) fakedc.Interaction
		status   int
		respType int
		handled  int
	}{
		{"ping", &stubHandler{}, func(f *fakedc.API) fakedc.Interaction { return f.Ping() }, 200, 1, 0},
		{"ask", &stubHandler{}, func(f *fakedc.API) fakedc.Interaction { return f.Ask(guild, customer, "hi") }, 200, 5, 1},
		{"empty question", &stubHandler{}, func(f *fakedc.API) fakedc.Interaction { return f.Ask(dm, customer, "  ") }, 200, 4, 0},
		{"button", &stubHandler{}, func(f *fakedc.API) fakedc.Interaction {
			return f.Press(dm, customer, "1257281150000000000", "Returns", "qr:2:Returns")
		}, 200, 5, 1},
		{"handle fails", &stubHandler{Fail: 1, Err: errors.New("disk full")},
			func(f *fakedc.API) fakedc.Interaction { return f.Ask(dm, customer, "hi") }, 500, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.handler)
			resp := e.deliver(t, tt.make(e.fake.API))
			if resp.Status != tt.status || resp.Type != tt.respType {
				t.Fatalf("response %d type %d, want %d type %d", resp.Status, resp.Type, tt.status, tt.respType)
			}
			if got := len(tt.handler.Messages()); got != tt.handled {
				t.Fatalf("handled %d, want %d", got, tt.handled)
			}
			if tt.respType == 4 {
				var d struct {
					Flags int `json:"flags"`
				}
				if json.Unmarshal(resp.Data, &d) != nil || d.Flags != 64 {
					t.Fatalf("notice is not ephemeral: %s", resp.Data)
				}
			}
		})
	}
}

// /ask through the real engine: deferred at once, the sample bot's answer
// as exactly one follow-up, also when the interaction is delivered twice.
func TestAskAnsweredOnceAsFollowup(t *testing.T) {
	h := newHarness(t)
	e := newEnv(t, h.Engine)
	h.Start(t, e.a)
	it := e.fake.Ask(guild, customer, "what are your opening hours")
	start := time.Now()
	for range 2 {
		if resp := e.deliver(t, it); resp.Status != 200 || resp.Type != 5 {
			t.Fatalf("response %+v", resp)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("deferred response after %s, past Discord's 3 s", d)
		}
	}
	waitFor(t, 5*time.Second, "the follow-up", func() bool { return len(e.fake.Sent()) >= 1 })
	time.Sleep(200 * time.Millisecond)
	sent := e.fake.Sent()
	if len(sent) != 1 {
		t.Fatalf("sent %d, want 1: %+v", len(sent), sent)
	}
	if s := sent[0]; s.Kind != "followup" || s.InteractionID != it.ID || s.Content != openingHours ||
		s.AllowedParse == nil || len(s.AllowedParse) != 0 {
		t.Fatalf("sent %+v", s)
	}
}

func TestButtonPressAnswered(t *testing.T) {
	h := newHarness(t)
	e := newEnv(t, h.Engine)
	h.Start(t, e.a)
	e.deliver(t, e.fake.Press(dm, customer, "1257281150000000000", "Opening hours", "qr:0:Opening hours"))
	waitFor(t, 5*time.Second, "the follow-up", func() bool { return len(e.fake.Sent()) == 1 })
	if got := e.fake.Sent()[0]; got.Content != openingHours || got.Kind != "followup" {
		t.Fatalf("sent %+v", got)
	}
}

func TestFollowupFallsBackToChannelWhenTokenExpired(t *testing.T) {
	e := newEnv(t, &stubHandler{})
	it := e.fake.Ask(dm, customer, "hi")
	e.deliver(t, it)
	r := core.Reply{ID: it.ID + ".r0", Key: core.ConversationKey{Platform: Platform, Chat: dm.ChannelID, User: customer.ID},
		Text: "late answer", ReplyTo: interactionTokenPrefix + it.Token, Created: time.Now().Add(-time.Minute)}
	e.fake.Expire(it.Token)
	if err := e.a.Send(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	r.ID, r.Created = it.ID+".r1", time.Now().Add(-20*time.Minute) // older than the token: no follow-up tried
	if err := e.a.Send(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	sent := e.fake.Sent()
	if len(sent) != 2 || sent[0].Kind != "channel" || sent[1].Kind != "channel" || sent[0].ChannelID != dm.ChannelID {
		t.Fatalf("sent %+v", sent)
	}
	if e.fake.Calls(fakedc.RouteFollowup) != 1 {
		t.Fatalf("follow-up calls %d, want 1", e.fake.Calls(fakedc.RouteFollowup))
	}
}

// A follow-up that reaches Discord before the deferred response is retried
// shortly, not sent to the channel.
func TestFollowupBeforeAcknowledgementIsRetried(t *testing.T) {
	e := newEnv(t, &stubHandler{})
	it := e.fake.Ask(dm, customer, "hi") // issued, not yet delivered
	r := core.Reply{ID: it.ID + ".r0", Key: core.ConversationKey{Platform: Platform, Chat: dm.ChannelID, User: customer.ID},
		Text: "answer", ReplyTo: interactionTokenPrefix + it.Token, Created: time.Now()}
	var se *core.SendError
	if err := e.a.Send(t.Context(), r); !errors.As(err, &se) || se.Permanent || se.RetryAfter != followupRetry {
		t.Fatalf("Send = %v, want a short retry", err)
	}
	e.deliver(t, it)
	if err := e.a.Send(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	if sent := e.fake.Sent(); len(sent) != 1 || sent[0].Kind != "followup" {
		t.Fatalf("sent %+v", sent)
	}
}

func TestRegisterCommands(t *testing.T) {
	for _, g := range []string{"", "1200000000000000100"} {
		e := newEnv(t, nil, func(c *Config) { c.GuildID = g })
		if err := e.a.RegisterCommands(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := e.a.RegisterCommands(t.Context()); err != nil { // idempotent
			t.Fatal(err)
		}
		cmds := e.fake.Commands(g)
		if len(cmds) != 4 || cmds[0].Name != "ask" ||
			!strings.Contains(string(cmds[0].Options), `"name":"question"`) ||
			!strings.Contains(string(cmds[0].Options), `"required":true`) ||
			!strings.Contains(string(cmds[0].Options), `"autocomplete":true`) {
			t.Fatalf("guild %q: commands %+v", g, cmds)
		}
		if cmds[1].Name != "start" || cmds[2].Name != "help" || cmds[3].Name != AskAboutCommand || cmds[3].Type != 3 {
			t.Fatalf("guild %q: commands %+v", g, cmds)
		}
	}
}

func TestInteractionWithoutHandlerIs503(t *testing.T) {
	e := newEnv(t, nil)
	if resp := e.deliver(t, e.fake.Ask(dm, customer, "hi")); resp.Status != 503 {
		t.Fatalf("status %d", resp.Status)
	}
	if err := e.a.Run(context.Background()); err == nil {
		t.Fatal("Run without a handler succeeded")
	}
}
