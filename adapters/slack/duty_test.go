package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slack-go/slack/socketmode"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/fakeclock"
	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
	"github.com/switchboard-gw/switchboard/store/bolt"
)

// dutyDesk is the adapter over a real engine with two teams, support (the
// support channel) and billing, on one fake clock.
type dutyDesk struct {
	t    *testing.T
	clk  *fakeclock.Clock
	fake *slackfake.Server
	eng  *core.Engine
	a    *Adapter
	srv  *httptest.Server
}

const testBilling = "C0BILLING"

func newDutyDesk(t *testing.T) *dutyDesk {
	t.Helper()
	clk := fakeclock.New(fakeclock.Bases()[1])
	fake := slackfake.New(slackfake.Options{Token: testToken, Users: map[string]string{agentAna: "Ana", agentBo: "Bo"}, Now: clk.Now})
	t.Cleanup(fake.Close)
	st, err := bolt.Open(context.Background(), filepath.Join(t.TempDir(), "sb.db"), bolt.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng := core.NewEngine(st, nil, core.EngineOptions{Now: clk.Now, Handoff: core.HandoffOptions{DeskPlatform: "slack", DeskChat: testSupport,
		Routing: core.Routing{Teams: []core.Team{{Name: "support", Channel: testSupport, Assign: core.AssignRoundRobin},
			{Name: "billing", Channel: testBilling, Assign: core.AssignLeastBusy}}}}})
	a, err := New(context.Background(), Config{BotToken: testToken, SigningSecret: testSecret, SupportChannel: testSupport,
		DeskChannels: []string{testBilling}, APIURL: fake.APIURL(), Now: clk.Now}, eng, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &dutyDesk{t: t, clk: clk, fake: fake, eng: eng, a: a, srv: srv}
}

func (d *dutyDesk) post(path string, body []byte, secret string) (int, string) {
	d.t.Helper()
	req, err := slackfake.NewRequest(d.srv.URL+path, secret, d.clk.Now(), body)
	if err != nil {
		d.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// duty returns the teams in which user is on duty.
func (d *dutyDesk) duty(user string) []string {
	d.t.Helper()
	var on []string
	for _, team := range []string{"support", "billing"} {
		agents, err := d.eng.Agents(context.Background(), team)
		if err != nil {
			d.t.Fatal(err)
		}
		for _, a := range agents {
			if a.ID == user && a.OnDuty {
				on = append(on, team)
			}
		}
	}
	return on
}

func (d *dutyDesk) command(user, channel, text string) string {
	d.t.Helper()
	code, body := d.post("/webhooks/slack/commands", slackfake.SlashCommandBody(slackfake.SlashCommand{
		Text: text, UserID: user, UserName: strings.ToLower(user), ChannelID: channel}), testSecret)
	var answer struct{ ResponseType, Text string }
	if code != 200 || json.Unmarshal([]byte(body), &struct {
		ResponseType *string `json:"response_type"`
		Text         *string `json:"text"`
	}{&answer.ResponseType, &answer.Text}) != nil || answer.ResponseType != "ephemeral" {
		d.t.Fatalf("/switchboard %s = %d %s", text, code, body)
	}
	return answer.Text
}

// TestSlashCommandDuty: /switchboard on|off, signed like every Slack
// request, puts the agent on or off duty for the channel's team, a named
// team, or every team outside team channels.
func TestSlashCommandDuty(t *testing.T) {
	d := newDutyDesk(t)
	if got := d.command(agentAna, testBilling, "on"); !strings.Contains(got, "You are on duty for billing") {
		t.Errorf("answer %q", got)
	}
	if got := strings.Join(d.duty(agentAna), ","); got != "billing" {
		t.Errorf("Ana on duty in %q, want billing", got)
	}
	d.command(agentBo, "D0BODM", "on")
	if got := strings.Join(d.duty(agentBo), ","); got != "support,billing" {
		t.Errorf("Bo on duty in %q, want every team", got)
	}
	if got := d.command(agentBo, "D0BODM", "off billing"); !strings.Contains(got, "off duty for billing") {
		t.Errorf("answer %q", got)
	}
	if got := strings.Join(d.duty(agentBo), ","); got != "support" {
		t.Errorf("Bo on duty in %q, want support", got)
	}
	if got := d.command(agentBo, testSupport, "on sales"); !strings.Contains(got, `no team "sales"`) {
		t.Errorf("unknown team answered %q", got)
	}
	if got := d.command(agentBo, testSupport, "dance"); got != commandHelp {
		t.Errorf("unknown word answered %q", got)
	}
	// Forged or stale requests change nothing.
	body := slackfake.SlashCommandBody(slackfake.SlashCommand{Text: "off", UserID: agentAna, ChannelID: testBilling})
	if code, _ := d.post("/webhooks/slack/commands", body, "wrong-secret"); code != http.StatusUnauthorized {
		t.Errorf("forged command = %d", code)
	}
	if code, _ := d.post("/webhooks/slack/commands", []byte("text=on"), testSecret); code != http.StatusBadRequest {
		t.Errorf("command without user = %d", code)
	}
	if got := strings.Join(d.duty(agentAna), ","); got != "billing" {
		t.Errorf("a refused request changed Ana's duty: %q", got)
	}
}

// TestDutyMessages: !on and !off typed in a team channel (at the top level
// or in a thread) change the writer's duty for that team, are answered
// privately and never reach the engine as agent messages.
func TestDutyMessages(t *testing.T) {
	d := newDutyDesk(t)
	n := 0
	say := func(user, channel, text, thread string) {
		t.Helper()
		n++
		ts := fmt.Sprintf("1764064800.%06d", n)
		body := slackfake.MessageEvent(slackfake.Envelope{EventID: "Ev" + user + text + thread},
			slackfake.Msg{Channel: channel, ChannelType: "channel", User: user, Text: text, TS: ts, ThreadTS: thread})
		if code, b := d.post("/webhooks/slack", body, testSecret); code != 200 {
			t.Fatalf("event = %d %s", code, b)
		}
	}
	say(agentAna, testBilling, "!on", "")
	if got := strings.Join(d.duty(agentAna), ","); got != "billing" {
		t.Fatalf("Ana on duty in %q after !on in #billing", got)
	}
	say(agentAna, testSupport, " !ON ", "")
	say(agentAna, testBilling, "!off", "1764064000.000100")
	if got := strings.Join(d.duty(agentAna), ","); got != "support" {
		t.Fatalf("Ana on duty in %q, want support only", got)
	}
	eph := d.fake.Ephemerals()
	if len(eph) != 3 || eph[0].User != agentAna || !strings.Contains(eph[0].Text, "on duty for billing") ||
		eph[2].ThreadTS != "1764064000.000100" || !strings.Contains(eph[2].Text, "off duty for billing") {
		t.Errorf("confirmations: %+v", eph)
	}
}

// TestSlashCommandOverSocketMode: in Socket Mode the command arrives as a
// slash_commands envelope; it is acknowledged after the duty is stored and
// answered with an ephemeral message.
func TestSlashCommandOverSocketMode(t *testing.T) {
	d := newDutyDesk(t)
	payload, _ := json.Marshal(map[string]string{"command": "/switchboard", "text": "on", "user_id": agentBo,
		"user_name": "bo", "channel_id": testBilling, "team_id": "T0FAKE", "trigger_id": "1.2.3"})
	evt := socketmode.Event{Type: socketmode.EventTypeSlashCommand,
		Request: &socketmode.Request{Type: "slash_commands", EnvelopeID: "env-cmd", Payload: payload}}
	acked := false
	d.a.handleSocketEvent(context.Background(), evt, func(req socketmode.Request) error {
		acked = req.EnvelopeID == "env-cmd" && len(d.duty(agentBo)) == 1
		return nil
	})
	if !acked || strings.Join(d.duty(agentBo), ",") != "billing" {
		t.Fatalf("acked %v, Bo on duty in %v", acked, d.duty(agentBo))
	}
	if e := d.fake.Ephemerals(); len(e) != 1 || e[0].User != agentBo || !strings.Contains(e[0].Text, "on duty for billing") {
		t.Errorf("answer: %+v", e)
	}
}

// TestSlashCommandPayload reads the real payload shape in testdata.
func TestSlashCommandPayload(t *testing.T) {
	b, err := os.ReadFile("testdata/slash_command.txt")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := parseSlashCommand(b)
	if err != nil {
		t.Fatal(err)
	}
	if sc != (slashCommand{command: "/switchboard", text: "on", userID: "U07AGENTAN", userName: "ana", channelID: "C07BILLING"}) {
		t.Errorf("parsed %+v", sc)
	}
}

// FuzzParseSlashCommand: any body is parsed or refused, never a panic; a
// parsed command has a command and a user.
func FuzzParseSlashCommand(f *testing.F) {
	b, err := os.ReadFile("testdata/slash_command.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, body []byte) {
		sc, err := parseSlashCommand(body)
		if err == nil && (sc.command == "" || sc.userID == "") {
			t.Fatalf("parsed without command or user: %+v", sc)
		}
	})
}

// TestPresence: users.getPresence through slack-go, cached for a minute
// of the adapter's clock.
func TestPresence(t *testing.T) {
	d := newDutyDesk(t)
	ctx := context.Background()
	if ok, err := d.a.Present(ctx, agentBo); err != nil || !ok {
		t.Fatalf("Bo present = %v, %v", ok, err)
	}
	d.fake.SetPresence(agentBo, true)
	if ok, _ := d.a.Present(ctx, agentBo); !ok {
		t.Error("the cached presence was not used")
	}
	d.clk.Add(presenceTTL)
	if ok, err := d.a.Present(ctx, agentBo); err != nil || ok {
		t.Errorf("Bo away after the cache expired = %v, %v", ok, err)
	}
	if d.fake.Calls("users.getPresence") != 2 {
		t.Errorf("users.getPresence called %d times, want 2", d.fake.Calls("users.getPresence"))
	}
	if _, err := d.a.Present(ctx, "U_NOBODY"); err == nil || !strings.Contains(err.Error(), "user_not_found") {
		t.Errorf("unknown user: %v", err)
	}
}
