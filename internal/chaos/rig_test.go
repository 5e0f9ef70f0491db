package chaos

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
	telegramfake "github.com/switchboard-gw/switchboard/internal/fakes/telegram"
)

const (
	rigToken  = "515151:chaos-rig-token"
	rigSecret = "chaos-rig-secret"
	rigSlack  = "chaos-rig-signing-secret"
)

// rig is one gateway subprocess with its fake platforms and a driver whose
// messages the test sends itself (no background customers unless the test
// calls d.Start).
type rig struct {
	t     *testing.T
	tg    *telegramfake.Server
	sl    *slackfake.Server
	g     *Gateway
	d     *Driver
	store string
	mu    sync.Mutex
	chat  int64
}

// newRig writes a gateway config under a fresh directory with the
// database at store (a fresh file under the directory when empty).
func newRig(t *testing.T, store string, slack bool) *rig {
	t.Helper()
	dir := t.TempDir()
	if store == "" {
		store = filepath.Join(dir, "data", "switchboard.db")
	}
	tg := telegramfake.Start(rigToken)
	t.Cleanup(tg.Close)
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Addr: addr, StorePath: store, AdminToken: "rig-admin-token-0123456789abcdefgh",
		Telegram: &TelegramConfig{Token: rigToken, SecretToken: rigSecret, APIURL: tg.URL}}
	r := &rig{t: t, tg: tg, store: store, chat: -1002000000000}
	dopts := DriverOptions{TelegramSecret: rigSecret, TelegramBot: tg.Bot().UserName}
	if slack {
		r.sl = slackfake.New(slackfake.Options{Token: "xoxb-rig", Users: map[string]string{SlackUsers[0]: "Sam"}})
		t.Cleanup(r.sl.Close)
		cfg.Slack = &SlackConfig{BotToken: "xoxb-rig", SigningSecret: rigSlack, APIURL: r.sl.APIURL()}
		dopts.SlackSigningSecret = rigSlack
	}
	if r.g, err = NewGateway(binary, dir, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = r.g.Kill()
		if t.Failed() {
			t.Logf("gateway warnings and errors:\n%s", strings.Join(r.g.Problems(40), "\n"))
		}
	})
	dopts.BaseURL = r.g.URL()
	r.d = NewDriver(dopts)
	t.Cleanup(r.d.Close)
	return r
}

// start starts the gateway and waits until it serves.
func (r *rig) start(env ...string) {
	r.t.Helper()
	if err := r.g.Start(env...); err != nil {
		r.t.Fatal(err)
	}
	if err := r.g.WaitReady(context.Background(), 30*time.Second); err != nil {
		r.t.Fatal(err)
	}
}

// telegram returns n new Telegram messages, each in a chat of its own.
func (r *rig) telegram(n int) []*Msg {
	out := make([]*Msg, n)
	for i := range out {
		r.mu.Lock()
		r.chat--
		chat := r.chat
		r.mu.Unlock()
		out[i] = r.d.NewTelegram(chat, 30000+(-1002000000000-chat), 0, Questions[i%len(Questions)])
	}
	return out
}

// slack returns n new Slack direct messages, each in a channel of its own.
func (r *rig) slack(n int) []*Msg {
	out := make([]*Msg, n)
	for i := range out {
		r.mu.Lock()
		r.chat--
		ch := fmt.Sprintf("D%d", -r.chat)
		r.mu.Unlock()
		out[i] = r.d.NewSlack(ch, SlackUsers[0], Questions[i%len(Questions)])
	}
	return out
}

// deliver delivers msgs concurrently, each retried as its platform does,
// and returns when all are acknowledged or given up.
func (r *rig) deliver(ctx context.Context, msgs []*Msg) {
	var wg sync.WaitGroup
	for _, m := range msgs {
		wg.Go(func() { _ = r.d.Deliver(ctx, m) })
	}
	wg.Wait()
}

// stop waits until the outbox is empty and stops the gateway gracefully.
func (r *rig) stop() {
	r.t.Helper()
	if err := waitDrained(context.Background(), r.g, 30*time.Second); err != nil {
		r.t.Fatal(err)
	}
	if err := r.g.Stop(15 * time.Second); err != nil {
		r.t.Fatal(err)
	}
}

// finish stops the gateway (see stop) and verifies everything the driver
// sent. A rig has no deaths, so any reply delivered twice is reported as a
// problem.
func (r *rig) finish() Report {
	r.t.Helper()
	ctx := context.Background()
	r.stop()
	rep := Report{Statuses: r.d.Statuses()}
	ev := Evidence{Messages: r.d.Messages(), Telegram: r.tg.Sent(), StorePath: r.store}
	if r.sl != nil {
		ev.Slack = r.sl.Posts()
	}
	if err := Verify(ctx, ev, &rep); err != nil {
		r.t.Fatal(err)
	}
	return rep
}

// requireClean fails the test unless every message was acknowledged and
// answered exactly once.
func requireClean(t *testing.T, rep Report) {
	t.Helper()
	if !rep.OK() {
		t.Errorf("problems:\n%s", strings.Join(rep.Problems, "\n"))
	}
	if rep.Acked != rep.Messages || rep.Answered != rep.Acked || rep.OutboundDuplicates != 0 || rep.InboundDuplicates != 0 {
		t.Errorf("want every message acknowledged and answered exactly once: %s", rep.Summary())
	}
}
