package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/intents"
	"github.com/switchboard-gw/switchboard/internal/clientip"
	"github.com/switchboard-gw/switchboard/internal/config"
)

func newServeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway: web chat at /, enabled platform webhooks, /healthz, /readyz, /metrics, /admin",
		Long: `Run the gateway. With no config file it uses the built-in defaults: the web chat
on :8080 with the sample bot, the database in data/switchboard.db.
Stops gracefully on SIGINT/SIGTERM: stops accepting, finishes the messages in
flight, lets the outbox finish its sends, and closes the database.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			log := newLogger(cfg, os.Stderr)
			warnUnknownEnv(log)
			return serve(cmd.Context(), cfg, log, nil)
		},
	}
}

// serve runs the gateway until ctx is done. If ready is not nil it receives
// the listening address once the server accepts connections.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, ready chan<- string) error {
	return serveWith(ctx, cfg, log, ready, serveOptions{})
}

// serveOptions are what tests change about serve: the one clock of the
// process (store, engine, outbox, handoff timers, Slack's signature
// window) and how often the handoff sweep runs.
type serveOptions struct {
	now        func() time.Time // nil: time.Now
	sweepEvery time.Duration    // 0: 5 s
}

func serveWith(ctx context.Context, cfg *config.Config, log *slog.Logger, ready chan<- string, so serveOptions) error {
	if so.now == nil {
		so.now = time.Now
	}
	if so.sweepEvery <= 0 {
		so.sweepEvery = 5 * time.Second
	}
	rt, err := openRuntime(ctx, cfg, log, so.now)
	if err != nil {
		return err
	}
	defer func() {
		if err := rt.close(); err != nil {
			log.Error("closing the store", "err", err)
		}
	}()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := core.NewMetrics(reg, func() float64 {
		c, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		n, err := rt.store.OutboxLen(c)
		if err != nil {
			return -1
		}
		return float64(n)
	})

	var senders []core.Sender
	var disp *core.Dispatcher
	notify := func() { disp.Notify() }
	engine := rt.engine(metrics, notify)
	if cfg.Slack.Enabled && (len(cfg.Handoff.Teams) > 0 || cfg.Slack.SupportChannel != "") {
		reg.MustRegister(core.NewTeamCollector(engine)) // per-team cases, waits, first replies
	}

	mux := http.NewServeMux()
	plats, err := wirePlatforms(ctx, cfg, engine, rt.store, commandsOf(rt), log, mux, rt.now)
	if err != nil {
		return err
	}
	senders = plats.senders
	rt.presence.set(plats.present)
	disp = rt.dispatcher(metrics, engine, senders...)

	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		c, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if _, err := rt.store.OutboxLen(c); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "store unavailable", "error": err.Error()})
			return
		}
		if err := plats.healthErr(); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "platform unavailable", "error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "bot": rt.botFrom})
	})
	ips, err := clientip.New(cfg.Server.TrustedProxies)
	if err != nil {
		return fmt.Errorf("server.trusted_proxies: %w", err)
	}
	var metricsH http.Handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	if cfg.Server.MetricsToken != "" {
		metricsH = newTokenGuard("metrics", cfg.Server.MetricsToken, ips.Addr, log, nil).wrap(metricsH)
	}
	if cfg.Server.MetricsAddr == "" {
		mux.Handle("GET /metrics", metricsH)
	} else {
		stopMetrics, err := serveMetrics(cfg, metricsH, log)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	admin := newAdminGuard(cfg.Server.AdminToken, ips.Addr, log, nil)
	mux.Handle("/admin/", admin.wrap(adminHandler(rt.store)))
	mux.Handle("GET /admin/teams", admin.wrap(teamsHandler(engine)))
	mux.Handle("GET /admin/backup", admin.wrap(backupHandler(rt.store, cfg.Server.AdminBackup, ips.Addr, log)))

	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("server.addr %s: %w", cfg.Server.Addr, err)
	}
	srv := &http.Server{
		Handler:           countRequests(mux, reg),
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout,
		ReadTimeout:       cfg.Server.ReadTimeout, // net/http lifts it once a request is read, so streams outlive it
		IdleTimeout:       cfg.Server.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	for _, c := range plats.closers {
		srv.RegisterOnShutdown(c)
	}

	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := disp.Run(bg); err != nil {
			log.Error("outbox dispatcher stopped", "err", err)
		}
	})
	wg.Go(func() { expireLoop(bg, rt.store, rt.now, log) })
	wg.Go(func() { sweepLoop(bg, engine, so.sweepEvery, log) })
	if rt.reloader != nil {
		wg.Go(func() {
			if err := rt.reloader.Watch(bg); err != nil && bg.Err() == nil {
				log.Error("watching the bot directory stopped; edits need a restart or SIGHUP", "dir", cfg.Bot.Intents, "err", err)
			}
		})
		wg.Go(func() { reloadOnHUP(bg, rt.reloader, log) })
	}
	for name, run := range plats.runners {
		wg.Go(func() {
			if err := run(bg); err != nil && bg.Err() == nil {
				log.Error(name+" stopped", "err", err)
			}
		})
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("switchboard serving", "addr", ln.Addr().String(),
		"platforms", platformNames(senders), "version", version, "config", orDefaults(cfg.File), "store", cfg.Store.Path)
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case <-ctx.Done():
		log.Info("shutting down: no new requests, finishing those in flight")
	case err := <-serveErr:
		stopBG()
		wg.Wait()
		return fmt.Errorf("http server: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown: some requests did not finish in time", "err", err)
	}
	stopBG() // the dispatcher finishes the sends in flight, then returns
	wg.Wait()
	log.Info("shutdown complete")
	return nil
}

// adminHandler serves the admin API; serve puts it behind adminGuard.
func adminHandler(st core.Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/deadletters", func(w http.ResponseWriter, r *http.Request) {
		limit := 100
		if s := r.URL.Query().Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 10000 {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "limit must be an integer from 1 to 10000"})
				return
			}
			limit = n
		}
		dls, err := st.DeadLetters(r.Context(), limit)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		type item struct {
			Seq          uint64    `json:"seq"`
			Platform     string    `json:"platform"`
			Conversation string    `json:"conversation"`
			Text         string    `json:"text"`
			Attempts     int       `json:"attempts"`
			Reason       string    `json:"reason"`
			At           time.Time `json:"at"`
		}
		out := make([]item, 0, len(dls))
		for _, d := range dls {
			out = append(out, item{d.Entry.Seq, d.Entry.Reply.Key.Platform, d.Entry.Reply.Key.String(),
				d.Entry.Reply.Text, d.Entry.Attempts, d.Reason, d.At})
		}
		writeJSON(w, http.StatusOK, map[string]any{"dead_letters": out})
	})
	mux.HandleFunc("GET /admin/outbox", func(w http.ResponseWriter, r *http.Request) {
		n, err := st.OutboxLen(r.Context())
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"pending": n})
	})
	mux.HandleFunc("GET /admin/counters", func(w http.ResponseWriter, r *http.Request) {
		c, err := st.Counters(r.Context())
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, c)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may have gone; nothing to do then
}

func platformNames(ss []core.Sender) []string {
	names := make([]string, 0, len(ss))
	for _, s := range ss {
		names = append(names, s.Platform())
	}
	return names
}

// reloadOnHUP reloads the bot on every SIGHUP until ctx ends. An invalid
// version is logged with file:line problems and the old one keeps serving.
func reloadOnHUP(ctx context.Context, r *intents.Reloader, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			log.Info("SIGHUP: reloading the bot")
			if err := r.Reload(ctx); err != nil {
				log.Warn("reload rejected; the previous bot keeps serving", "err", err)
			}
		}
	}
}
