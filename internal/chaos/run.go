package chaos

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"syscall"
	"time"

	"github.com/switchboard-gw/switchboard/internal/failpoint"
	dcfake "github.com/switchboard-gw/switchboard/internal/fakes/discord"
	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
	telegramfake "github.com/switchboard-gw/switchboard/internal/fakes/telegram"
	wxfake "github.com/switchboard-gw/switchboard/internal/fakes/wechat"
)

// Failpoints are the kill points of the pipeline, in pipeline order.
var Failpoints = []string{"engine.before-commit", "engine.after-commit", "outbox.after-send"}

// Options configure Run.
type Options struct {
	Binary string // the switchboard binary to run
	Dir    string // scratch directory: config, database, gateway log
	Kills  int    // process deaths to cause (default 100)
	// FailpointShare is the fraction of lives that end at a failpoint
	// (one point per life, in turn) rather than at a random SIGKILL
	// (default 0.5).
	FailpointShare float64
	// FailpointProbability is the probability per pass through the point
	// (default 0.1: at 20 messages/s a life lasts about half a second).
	FailpointProbability float64
	Slack                bool // Slack customers too (Events API, Slack's retry schedule)
	// Web chat customers too (a session each, POSTs with a client_id
	// retried until accepted; replies read from GET /api/web/messages).
	Web bool
	// WeChat customers too (safe-mode pushes, passive replies or the
	// customer-service API, WeChat's three tries in 15 s).
	WeChat bool
	// Discord customers too (/ask interactions, never redelivered, and
	// direct messages over the gateway).
	Discord bool
	Rate    float64 // new messages per second (default 20)
	// PowerLoss puts the gateway's data directory on a powerfail
	// filesystem (internal/powerfail) and follows every death with a power
	// cut: writes not fsynced are lost, and the bolt file must open and
	// pass its consistency check. It needs /dev/fuse and root.
	PowerLoss bool
	// Logf, if set, receives progress lines.
	Logf func(format string, args ...any)
}

func (o Options) withDefaults() Options {
	if o.Kills <= 0 {
		o.Kills = 100
	}
	if o.FailpointShare <= 0 {
		o.FailpointShare = 0.5
	}
	if o.FailpointProbability <= 0 {
		o.FailpointProbability = 0.1
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o
}

// Run is one crash campaign: it starts the fake platforms, the driver and
// the gateway, kills the gateway o.Kills times (at random moments and at
// failpoints) and restarts it on the same database, then starts it a last
// time without failpoints, waits until every message is acknowledged and
// every reply delivered, stops it gracefully and verifies. The error is for
// a campaign that could not run (a gateway that does not start again after
// a kill is one); broken guarantees are in Report.Problems.
func Run(ctx context.Context, o Options) (Report, error) {
	o = o.withDefaults()
	start := time.Now()
	rep := Report{FailpointKills: map[string]int{}}

	const tgToken, tgSecret = "424242:chaos-telegram-token", "chaos-telegram-secret"
	tg := telegramfake.Start(tgToken)
	defer tg.Close()
	addr, err := FreeAddr()
	if err != nil {
		return rep, err
	}
	var pl *powerLoss
	if o.PowerLoss {
		if pl, err = mountPowerLoss(o.Binary, o.Dir); err != nil {
			return rep, err
		}
		defer func() { _ = pl.fs.Unmount() }()
	}
	cfg := Config{Addr: addr, StorePath: filepath.Join(o.Dir, "data", "switchboard.db"), AdminToken: "chaos-admin-token-0123456789abcdef",
		Telegram: &TelegramConfig{Token: tgToken, SecretToken: tgSecret, APIURL: tg.URL}}
	dopts := DriverOptions{TelegramSecret: tgSecret, TelegramBot: tg.Bot().UserName, Rate: o.Rate, Redeliver: 0.03}
	var sl *slackfake.Server
	if o.Slack {
		users := map[string]string{}
		for i, u := range SlackUsers {
			users[u] = fmt.Sprintf("Customer %d", i+1)
		}
		sl = slackfake.New(slackfake.Options{Token: "xoxb-chaos", Users: users})
		defer sl.Close()
		cfg.Slack = &SlackConfig{BotToken: "xoxb-chaos", SigningSecret: "chaos-signing-secret", APIURL: sl.APIURL()}
		dopts.SlackSigningSecret = cfg.Slack.SigningSecret
	}
	if o.Web {
		dopts.Web = &WebOptions{}
	}
	var wx *wxfake.Server
	if o.WeChat {
		const appID, appSecret = "wx00c4a05c4a05c4a0", "chaos-wechat-app-secret-0123456789"
		key := base64.StdEncoding.EncodeToString([]byte("chaos-wechat-encoding-aes-key-32"))[:43]
		wx = wxfake.NewServer(wxfake.Options{AppID: appID, AppSecret: appSecret})
		defer wx.Close()
		cfg.WeChat = &WeChatConfig{AppID: appID, AppSecret: appSecret, Token: "chaoswechattoken", EncodingAESKey: key, APIURL: wx.URL}
		dopts.WeChat = &WeChatOptions{Pusher: wxfake.Pusher{Token: "chaoswechattoken", AppID: appID, EncodingAESKey: key, Mode: wxfake.Safe}}
	}
	var dc *dcfake.Server
	if o.Discord {
		const token, appID = "MTEwMDAwMDAwMDAwMDAwMDc3Nw.chaos0.discord-bot-token-for-the-chaos-campaign", "1100000000000000777"
		dc = dcfake.Start(token, appID)
		defer dc.Close()
		signer := dcfake.NewSigner()
		cfg.Discord = &DiscordConfig{Token: token, PublicKey: signer.PublicKeyHex(), ApplicationID: appID, APIURL: dc.URL + "/"}
		dopts.Discord = &DiscordOptions{Fake: dc, Signer: signer}
	}
	g, err := NewGateway(o.Binary, o.Dir, cfg)
	if err != nil {
		return rep, err
	}
	defer func() { _ = g.Kill() }()
	dopts.BaseURL = g.URL()
	drv := NewDriver(dopts)
	defer drv.Close()

	var ev Evidence
	bound := func() {
		ev.TelegramBounds = append(ev.TelegramBounds, len(tg.Sent()))
		if sl != nil {
			ev.SlackBounds = append(ev.SlackBounds, len(sl.Posts()))
		}
		ev.Restarts = append(ev.Restarts, time.Now())
	}
	drv.Start()
	nextPoint := 0
	for rep.Kills < o.Kills {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		var env []string
		point := ""
		if rand.Float64() < o.FailpointShare {
			point = Failpoints[nextPoint%len(Failpoints)]
			nextPoint++
			env = append(env, fmt.Sprintf("%s=%s=%g", failpoint.EnvVar, point, o.FailpointProbability))
		}
		if g.Starts() > 0 {
			bound()
		}
		if err := g.Start(env...); err != nil {
			return rep, err
		}
		byUs := false
		if point == "" {
			// A random moment: one time in six during start-up (opening the
			// store, training the bot, replaying the outbox), else while serving.
			// With power cuts the first life waits until the store exists:
			// bbolt's creation of a new file (four pages, then fdatasync) is
			// not atomic, and a cut in it leaves a file it cannot open.
			if rand.N(6) == 0 && (pl == nil || g.Starts() > 1) {
				_ = sleep(ctx, rand.N(400*time.Millisecond))
			} else {
				if err := g.WaitReady(ctx, 30*time.Second); err != nil {
					return rep, fmt.Errorf("after %d kills: %w", rep.Kills, err)
				}
				_ = sleep(ctx, 50*time.Millisecond+rand.N(600*time.Millisecond))
			}
			byUs = true
			if err := g.Kill(); err != nil {
				return rep, err
			}
		} else {
			select {
			case <-g.Exited():
			case <-time.After(5 * time.Second):
				// The point was not reached often enough (little load):
				// end this life at a random moment instead.
				byUs = true
				if err := g.Kill(); err != nil {
					return rep, err
				}
			case <-ctx.Done():
				return rep, ctx.Err()
			}
		}
		st := g.State()
		if !killedBySignal(st, syscall.SIGKILL) {
			return rep, fmt.Errorf("after %d kills the gateway ended with %v instead of being killed; log tail:\n%s",
				rep.Kills, st, g.LogTail(3000))
		}
		rep.Kills++
		if pl != nil {
			if err := pl.cut(&rep); err != nil {
				return rep, err
			}
		}
		if byUs {
			rep.RandomKills++
		} else {
			rep.FailpointKills[point]++
		}
		if rep.Kills%25 == 0 {
			o.Logf("chaos: %d kills, %d messages so far", rep.Kills, len(drv.Messages()))
		}
	}

	// The last life: no failpoints, no new messages; everything in flight
	// must be acknowledged and every reply delivered.
	bound()
	if err := g.Start(); err != nil {
		return rep, err
	}
	if err := g.WaitReady(ctx, 30*time.Second); err != nil {
		return rep, fmt.Errorf("final start after %d kills: %w", rep.Kills, err)
	}
	drv.StopProducing()
	// Discord gateway messages are not acknowledged: give the last ones
	// dispatched time to be stored before the outbox counts as drained.
	if err := sleep(ctx, time.Second); err != nil {
		return rep, err
	}
	if err := drv.Wait(60 * time.Second); err != nil {
		return rep, err
	}
	if err := waitDrained(ctx, g, 60*time.Second); err != nil {
		return rep, err
	}
	if o.Web {
		if ev.Web, err = drv.WebTranscripts(ctx); err != nil {
			return rep, err
		}
	}
	if err := g.Stop(15 * time.Second); err != nil {
		return rep, err
	}
	if pl != nil {
		// A graceful stop must leave everything durable: cut once more,
		// then verify the durable file itself (see checkBolt).
		if err := pl.cut(&rep); err != nil {
			return rep, err
		}
		st := pl.fs.Stats()
		rep.Syncs, rep.AppliedWrites = st.Syncs, st.AppliedWrites
		if err := pl.fs.Unmount(); err != nil {
			return rep, err
		}
		cfg.StorePath = pl.db
	}
	rep.Starts = g.Starts()
	rep.Statuses = drv.Statuses()
	ev.Messages = drv.Messages()
	ev.Telegram = tg.Sent()
	if sl != nil {
		ev.Slack = sl.Posts()
	}
	if wx != nil {
		ev.WeChat = wx.Sent()
	}
	if dc != nil {
		ev.Discord = dc.Sent()
		rep.platform("discord").NonceHits = dc.NonceHits()
	}
	ev.StorePath = cfg.StorePath
	if err := Verify(ctx, ev, &rep); err != nil {
		return rep, err
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

// waitDrained waits until the gateway's outbox has been empty for two
// polls in a row.
func waitDrained(ctx context.Context, g *Gateway, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	empty := 0
	for empty < 2 {
		n, err := g.OutboxLen(ctx)
		switch {
		case err != nil:
			empty = 0
		case n == 0:
			empty++
		default:
			empty = 0
		}
		if time.Now().After(deadline) {
			return errors.Join(fmt.Errorf("chaos: outbox not drained after %s (pending %d)", timeout, n), err)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}
