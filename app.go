package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/intents"
	"github.com/switchboard-gw/switchboard/internal/config"
	"github.com/switchboard-gw/switchboard/internal/failpoint"
	"github.com/switchboard-gw/switchboard/internal/logid"
	"github.com/switchboard-gw/switchboard/internal/ratelimit"
	"github.com/switchboard-gw/switchboard/internal/redact"
	"github.com/switchboard-gw/switchboard/store/bolt"
)

// loadConfig reads and validates the config named by --config.
func loadConfig(cmd *cobra.Command) (*config.Config, error) {
	path, _ := cmd.Flags().GetString("config")
	cfg, err := config.Load(path, nil)
	if err != nil {
		return nil, err
	}
	if err := errors.Join(cfg.Validate(), validatePlatforms(cfg)); err != nil {
		return nil, fmt.Errorf("invalid configuration (%s):\n%w", orDefaults(cfg.File), err)
	}
	return cfg, nil
}

// warnUnknownEnv logs a warning for each SWITCHBOARD_* variable that names
// no configuration key (a typo is otherwise silently ignored).
func warnUnknownEnv(log *slog.Logger) {
	for _, w := range config.UnknownEnv(os.Environ()) {
		log.Warn("environment: " + w)
	}
}

func orDefaults(file string) string {
	if file == "" {
		return "built-in defaults"
	}
	return file
}

// newLogger builds the process logger from config. Every record goes through
// a redact.Handler with the privacy.redact kinds and patterns, so that no
// e-mail, phone, card, ID or IBAN reaches the log at any level.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level)) // validated
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.Log.Format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	r, err := redact.New(cfg.Privacy.RedactConfig())
	if err != nil {
		// Validate rejects this config; should it get here, mask every
		// built-in kind rather than none.
		r, _ = redact.New(redact.Config{Kinds: redact.Kinds()})
		slog.New(h).Error("privacy.redact: masking every kind in the log", "err", err)
	}
	// Personal data is masked at every level; platform user ids (OpenIDs,
	// chat ids) appear only as keyed hashes at info and above.
	return slog.New(logid.New(redact.Handler(h, r), nil))
}

// sampleBotEnv, set to 1, lets a bot directory that does not exist fall
// back to the sample shop bot embedded in the binary. The Docker image
// needs it: a brand must not answer customers with the sample's
// help@example-shop.com because its bot was not mounted.
const sampleBotEnv = "SWITCHBOARD_BOT_SAMPLE"

// loadBot loads the bot owner's YAML. When the bot directory does not exist
// the sample bot embedded in the binary is used if bot.intents is the
// default "intents/" (a binary run outside the repository) or
// SWITCHBOARD_BOT_SAMPLE=1; otherwise that is an error saying how to mount
// a bot.
func loadBot(cfg *config.Config, log *slog.Logger) (*intents.Bot, string, error) {
	dir := cfg.Bot.Intents
	bot, err := intents.LoadDir(dir)
	if err == nil {
		return bot, dir, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, dir, err
	}
	if strings.TrimSuffix(dir, "/") == "intents" || os.Getenv(sampleBotEnv) == "1" {
		log.Warn("bot directory not found, using the embedded sample shop bot", "dir", dir)
		bot, err = intents.Load(intents.Sample(), ".")
		return bot, "embedded sample bot", err
	}
	return nil, dir, fmt.Errorf("%w\nput your bot's YAML files in %s (in Docker: -v ./mybot:%s:ro), or set %s=1 to run the sample shop bot",
		err, dir, dir, sampleBotEnv)
}

// runtime is what serve and chat share: the trained bot, the store, the engine.
type runtime struct {
	fail    *failpoint.Set // crash-test kill points; nil in normal runs
	cfg     *config.Config
	log     *slog.Logger
	bot     *intents.Bot
	botFrom string
	u       *intents.Understander // the bot as trained at start-up
	// answer is what the engine asks: a Reloader over u when the bot comes
	// from a directory (hot reload), u itself for the embedded sample.
	answer   core.Understander
	reloader *intents.Reloader
	store    *bolt.Store
	// now is the one clock of the process: the store judges expiry by it,
	// the engine stamps messages and decides handoff timers with it, the
	// outbox schedules retries with it.
	now func() time.Time
	// presence asks the Slack adapter, once wired, whether an agent is
	// away (teams with follow_presence).
	presence presenceHolder
}

// openRuntime loads the bot, trains the classifier and opens the store.
// The caller must call close.
func openRuntime(ctx context.Context, cfg *config.Config, log *slog.Logger, now func() time.Time) (*runtime, error) {
	bot, from, err := loadBot(cfg, log)
	if err != nil {
		return nil, fmt.Errorf("load bot from %s: %w", from, err)
	}
	start := time.Now()
	iopts := intentsOptions(cfg, log)
	u, err := intents.New(ctx, bot, iopts)
	if err != nil {
		return nil, fmt.Errorf("train bot from %s: %w", from, err)
	}
	log.Info("bot ready", "from", from, "threshold", u.Threshold(), "train_time", time.Since(start).Round(time.Millisecond))
	if cfg.Store.NoSync {
		log.Warn("store: fsync disabled for a benchmark; commits are not durable")
	}
	st, err := bolt.Open(ctx, cfg.Store.Path, bolt.Options{Logger: log, NoSync: cfg.Store.NoSync, Now: now})
	if err != nil {
		return nil, err
	}
	fail, err := failpoint.Parse(os.Getenv(failpoint.EnvVar))
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("%s: %w", failpoint.EnvVar, err)
	}
	if fail.Enabled() {
		log.Warn("failpoints enabled: this process will kill itself at random points (crash testing)", "spec", os.Getenv(failpoint.EnvVar))
	}
	rt := &runtime{fail: fail, cfg: cfg, log: log, bot: bot, botFrom: from, u: u, answer: u, store: st, now: now}
	if from == cfg.Bot.Intents {
		rt.reloader = intents.NewReloader(u, cfg.Bot.Intents, iopts)
		rt.answer = rt.reloader
	}
	return rt, nil
}

// current returns the bot as now trained: after the last hot reload.
func (rt *runtime) current() *intents.Understander {
	if rt.reloader != nil {
		return rt.reloader.Current()
	}
	return rt.u
}

func (rt *runtime) close() error {
	return rt.store.Close()
}

// intentsOptions are the bot's training options from config.
func intentsOptions(cfg *config.Config, log *slog.Logger) intents.Options {
	return intents.Options{
		Logger:              log,
		Seed:                cfg.Bot.Seed,
		ConfidenceThreshold: cfg.Bot.ConfidenceThreshold,
		DefaultLanguage:     cfg.Bot.Language,
		AllowPrivateActions: cfg.Actions.AllowPrivate,
		Encoder:             cfg.Bot.Encoder,
		EmbeddingCache:      embeddingCache(cfg),
	}
}

// embeddingCache is the file that keeps the embeddings of the bot's
// examples: embeddings.cache beside the bolt database.
func embeddingCache(cfg *config.Config) string {
	return filepath.Join(filepath.Dir(cfg.Store.Path), "embeddings.cache")
}

// handoffOptions are the engine's handoff rules from config.
func handoffOptions(cfg *config.Config) core.HandoffOptions {
	h := cfg.Handoff
	handoff := core.HandoffOptions{
		AfterFallbacks:      h.AfterFallbacks,
		OnNegativeSentiment: h.OnNegativeSentiment,
		IdleReturn:          h.IdleReturn,
		IdleWarning:         h.IdleWarning,
		UnassignedAlert:     h.UnassignedAlert,
		Notify:              h.Notify,
		NotePrefix:          h.NotePrefix,
		EditWindow:          h.EditWindow,
		PublicURL:           cfg.Server.PublicURL,
		MaxCasesPerHour:     h.MaxCasesPerHour,
	}
	if h.MaxCasesPerHour == 0 {
		handoff.MaxCasesPerHour = -1 // config 0: no cap
	}
	if cfg.Slack.Enabled && cfg.Slack.SupportChannel != "" {
		handoff.DeskPlatform, handoff.DeskChat = "slack", cfg.Slack.SupportChannel
	}
	if cfg.Slack.Enabled && len(cfg.Handoff.Teams) > 0 {
		handoff.Routing = cfg.Routing()
		if handoff.DeskChat == "" {
			// Cases go to the teams' channels; the desk key of the outbox
			// is the default team's.
			handoff.DeskPlatform, handoff.DeskChat = "slack", cfg.Handoff.Teams[0].Channel
		}
	}
	return handoff
}

// engine builds the core.Engine over the runtime's store.
func (rt *runtime) engine(metrics *core.Metrics, notify func()) *core.Engine {
	handoff := handoffOptions(rt.cfg)
	var limit core.RateLimitOptions
	if l := rt.cfg.Limits; l.Messages > 0 {
		conv, err := ratelimit.NewConversations(ratelimit.Options{Events: l.Messages, Per: l.Per, Burst: l.Burst})
		if err != nil {
			rt.log.Error("limits: no inbound limit", "err", err) // Validate rules this out
		} else {
			// The web chat's page retries after a 429; the platforms must be acknowledged.
			limit = core.RateLimitOptions{Limiter: conv, Refuse: map[string]bool{"web": true}}
		}
	}
	var transcript func(string) string
	if rt.cfg.Privacy.RedactTranscripts {
		if r, err := redact.New(rt.cfg.Privacy.RedactConfig()); err == nil {
			transcript = r.Redact
		} else {
			rt.log.Error("privacy.redact_transcripts: transcripts are stored unmasked", "err", err) // Validate rules this out
		}
	}
	return core.NewEngine(rt.store, rt.answer, core.EngineOptions{
		RedactTranscript: transcript,
		RateLimit:        limit,
		Logger:           rt.log,
		Now:              rt.now,
		Metrics:          metrics,
		Notify:           notify,
		Handoff:          rt.withPresence(handoff),
		Failpoint:        rt.fail.Hit,
		DedupeTTL: map[string]time.Duration{
			"web": rt.cfg.Store.DedupeTTL, "terminal": rt.cfg.Store.DedupeTTL,
			"slack": rt.cfg.Store.DedupeTTL, "telegram": rt.cfg.Store.DedupeTTL,
			"discord": rt.cfg.Store.DedupeTTL, "wechat": rt.cfg.Store.DedupeTTL,
		},
	})
}

// dispatcher builds the outbox dispatcher for the given senders.
func (rt *runtime) dispatcher(metrics *core.Metrics, eng *core.Engine, senders ...core.Sender) *core.Dispatcher {
	return core.NewDispatcher(rt.store, senders, core.DispatcherOptions{
		OnDeadLetter: eng.NoteUndelivered,
		Now:          rt.now,
		Failpoint:    rt.fail.Hit,
		Logger:       rt.log,
		Metrics:      metrics,
		Workers:      rt.cfg.Outbox.Workers,
		MaxAttempts:  rt.cfg.Outbox.MaxAttempts,
		BaseBackoff:  rt.cfg.Outbox.BaseBackoff,
		MaxBackoff:   rt.cfg.Outbox.MaxBackoff,
	})
}

// expireLoop deletes expired dedupe keys in small batches every minute,
// judging expiry by now (the store's clock).
func expireLoop(ctx context.Context, st core.Store, now func() time.Time, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		for {
			n, err := st.ExpireDedupe(ctx, now(), 500)
			if err != nil {
				if ctx.Err() == nil && !errors.Is(err, core.ErrClosed) {
					log.Warn("expiring dedupe keys failed", "err", err)
				}
				break
			}
			if n < 500 {
				break
			}
		}
		if kv, ok := st.(interface {
			ExpireKV(context.Context, time.Time, int) (int, error)
		}); ok {
			for {
				n, err := kv.ExpireKV(ctx, now(), 500)
				if err != nil || n < 500 {
					break
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// sweepLoop runs the engine's handoff sweep (idle return and its warning,
// unassigned reminders) every interval.
func sweepLoop(ctx context.Context, e *core.Engine, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := e.SweepQueues(ctx); err != nil {
			if ctx.Err() == nil && !errors.Is(err, core.ErrClosed) {
				log.Warn("queue sweep failed", "err", err)
			}
		} else if n > 0 {
			log.Info("queue sweep", "changed", n)
		}
		if n, err := e.Sweep(ctx); err != nil {
			if ctx.Err() == nil && !errors.Is(err, core.ErrClosed) {
				log.Warn("handoff sweep failed", "err", err)
			}
		} else if n > 0 {
			log.Info("handoff sweep", "changed", n)
		}
	}
}
