package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/time/rate"

	"github.com/switchboard-gw/switchboard/adapters/discord"
	"github.com/switchboard-gw/switchboard/adapters/slack"
	"github.com/switchboard-gw/switchboard/adapters/telegram"
	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/intents"
)

// Run runs the benchmark described by o and returns its report. It
// returns an error when the bench itself could not run (bad options, the
// gateway did not start); what the gateway did wrong (lost or duplicated
// replies, a secret in its log, a forged request accepted) is in the
// report: see Report.Problems. Cancelling ctx stops the load early; the
// report then covers what was sent.
func Run(ctx context.Context, o Options) (*Report, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	if len(o.Questions) == 0 {
		bot, err := intents.Load(intents.Sample(), ".")
		if err != nil {
			return nil, fmt.Errorf("bench: load the sample bot's questions: %w", err)
		}
		o.Questions = Questions(bot)
	}
	if len(o.Questions) == 0 {
		return nil, errors.New("bench: no questions to ask")
	}
	dir, cleanup, err := workDir(o)
	if err != nil {
		return nil, err
	}
	rep := newReport(o)
	if o.FsyncProbe {
		if rep.Fsync, err = probeFsync(dir, o.FsyncProbes); err != nil {
			return nil, err
		}
	}
	first, err := runOnce(ctx, o, filepath.Join(dir, "durable"), false)
	if err != nil {
		return nil, err
	}
	rep.add(first)
	if o.CompareNoSync && ctx.Err() == nil {
		second, err := runOnce(ctx, o, filepath.Join(dir, "nosync"), true)
		if err != nil {
			return nil, fmt.Errorf("bench: the run without fsync: %w", err)
		}
		rep.addNoSync(second)
	}
	rep.Interrupted = ctx.Err() != nil
	if o.Keep || len(rep.Security.Leaks) > 0 {
		rep.Dir = dir
	} else {
		cleanup()
	}
	return rep, nil
}

// workDir creates the run's working directory in o.Dir and returns it
// with a function that removes it.
func workDir(o Options) (string, func(), error) {
	if o.Dir != "" {
		if err := os.MkdirAll(o.Dir, 0o700); err != nil {
			return "", nil, fmt.Errorf("bench: %w", err)
		}
	}
	dir, err := os.MkdirTemp(o.Dir, "switchboard-bench-*")
	if err != nil {
		return "", nil, fmt.Errorf("bench: %w", err)
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

// result is one load run against one gateway.
type result struct {
	elapsed  time.Duration
	msgs     []*message
	orphans  int
	outbox   int // entries left in the outbox at the end; -1 unknown
	bad      []BadRequest
	leaks    []Leak
	logLines int
	logFile  string
	slow     map[string][2]int64
	caps     map[string]float64
}

// runOnce starts the fakes and (unless o.Target is set) a gateway whose
// store is in dir, runs the load, waits for the replies and checks the log.
func runOnce(ctx context.Context, o Options, dir string, noSync bool) (*result, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	drivers, err := startDrivers(o)
	defer func() {
		for _, d := range drivers {
			d.close()
		}
	}()
	if err != nil {
		return nil, err
	}
	res := &result{outbox: -1, caps: map[string]float64{}}
	caps := outboundCaps()
	for _, d := range drivers {
		if c, ok := caps[d.name()]; ok && !o.Uncapped {
			res.caps[d.name()] = float64(c)
		}
	}

	base, adminToken := o.Target, ""
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	var gw *gateway
	if o.Target == "" {
		adminToken = randomString(40, urlSafe)
		res.logFile = filepath.Join(dir, "gateway.log")
		gw, err = startGateway(ctx, o, dir, noSync, adminToken, drivers)
		if err != nil {
			return nil, err
		}
		defer gw.stop()
		base = gw.base
	}
	for _, d := range drivers {
		if err := d.start(runCtx, base); err != nil {
			return nil, fmt.Errorf("bench: %s: %w", d.name(), err)
		}
	}

	tr := newTracker()
	l := newLoader(o, drivers, caps, tr)
	col := startCollector(runCtx, drivers, tr)
	label := "sending"
	if noSync {
		label = "sending (no fsync)"
	}
	prog := startProgress(o.Progress, label, l, tr)

	var badSent []badRequest // written by the goroutine below before badDone
	badDone := make(chan struct{})
	go func() { // forged requests while the load runs
		defer close(badDone)
		if !sleep(runCtx, 200*time.Millisecond) {
			return
		}
		var all []badRequest
		for i, d := range drivers {
			all = append(all, d.bad(l.sample(runCtx, i, 5*time.Second))...)
		}
		results := make([]BadRequest, len(all))
		for i, b := range all {
			results[i] = sendBad(runCtx, l.client, b)
		}
		badSent, res.bad = all, results
	}()

	res.elapsed = l.run(runCtx)
	prog.phase("waiting for replies")
	<-badDone
	drain(runCtx, o, tr)
	col.stop()
	for _, d := range drivers {
		if f, ok := d.(interface{ finish(context.Context) []reply }); ok {
			for _, r := range f.finish(ctx) {
				tr.record(r)
			}
		}
	}
	prog.stop()
	if gw != nil {
		res.outbox = gw.outboxLen(ctx, adminToken)
	}
	stopRun() // ends the web chat's event streams
	finishBad(res.bad, badSent)

	tr.mu.Lock()
	res.msgs, res.orphans = tr.messages, len(tr.orphans)
	tr.mu.Unlock()
	res.slow = map[string][2]int64{}
	for _, d := range drivers {
		if s, i := d.slowStats(); s > 0 {
			res.slow[d.name()] = [2]int64{s, i}
		}
	}
	if gw != nil {
		if err := gw.stop(); err != nil {
			return nil, err
		}
		secrets := []secret{{"server.admin_token", adminToken}}
		for _, d := range drivers {
			secrets = append(secrets, d.secrets()...)
		}
		if res.leaks, res.logLines, err = scanLog(res.logFile, secrets); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// startDrivers starts the fake platform APIs of o.Platforms. On error, the
// drivers returned so far must still be closed.
func startDrivers(o Options) ([]driver, error) {
	var out []driver
	for _, p := range o.Platforms {
		var d driver
		var err error
		switch p {
		case Web:
			d = newWeb(o)
		case Slack:
			d, err = newSlack(o)
		case Telegram:
			d = newTelegram(o)
		case Discord:
			d = newDiscord(o)
		case WeChat:
			d, err = newWeChat(o)
		}
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}

// outboundCaps returns the load the bench offers each rate-limited
// platform: capShare of the adapter's own outbound limit. The adapters'
// RateLimits return constants, so nil receivers do.
func outboundCaps() map[string]rate.Limit {
	limits := map[string]core.RateLimits{
		Telegram: (*telegram.Adapter)(nil).RateLimits(),
		Slack:    (*slack.Adapter)(nil).RateLimits(),
		Discord:  (*discord.Adapter)(nil).RateLimits(),
	}
	out := map[string]rate.Limit{}
	for p, l := range limits {
		if l.PerPlatform > 0 {
			out[p] = l.PerPlatform * capShare
		}
	}
	return out
}

// drain waits until every acknowledged message is answered, or no reply
// has come for o.Grace, or o.DrainMax has passed.
func drain(ctx context.Context, o Options, tr *tracker) {
	start := time.Now()
	last, lastAt := -1, start
	for ctx.Err() == nil && time.Since(start) < o.DrainMax {
		if tr.unanswered() == 0 {
			return
		}
		if n, _ := tr.counts(); n != last {
			last, lastAt = n, time.Now()
		} else if time.Since(lastAt) >= o.Grace {
			return
		}
		sleep(ctx, 100*time.Millisecond)
	}
}

// collector polls the drivers for replies every 50 ms.
type collector struct {
	cancel context.CancelFunc
	done   chan struct{}
	poll   func()
}

func startCollector(ctx context.Context, drivers []driver, tr *tracker) *collector {
	ctx, cancel := context.WithCancel(ctx)
	c := &collector{cancel: cancel, done: make(chan struct{})}
	c.poll = func() {
		for _, d := range drivers {
			for _, r := range d.poll() {
				tr.record(r)
			}
		}
	}
	go func() {
		defer close(c.done)
		for sleep(ctx, 50*time.Millisecond) {
			c.poll()
		}
	}()
	return c
}

// stop stops polling after one last poll.
func (c *collector) stop() {
	c.cancel()
	<-c.done
	c.poll()
}
