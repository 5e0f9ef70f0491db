package main

import (
	"context"
	"crypto/subtle"
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
	plats, err := wirePlatforms(ctx, cfg, engine, rt.store, log, mux, rt.now)
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
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "bot": rt.botFrom})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.Handle("/admin/", adminHandler(cfg.Server.AdminToken, rt.store))
	mux.Handle("GET /admin/teams", adminOnly(cfg.Server.AdminToken, teamsHandler(engine)))
	mux.Handle("GET /admin/backup", adminOnly(cfg.Server.AdminToken, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="switchboard-backup.db"`)
		if _, err := rt.store.Backup(r.Context(), w); err != nil {
			log.Error("online backup failed", "err", err)
		}
	})))

	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("server.addr %s: %w", cfg.Server.Addr, err)
	}
	srv := &http.Server{
		Handler:           countRequests(mux, reg),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
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

// adminHandler serves the token-protected admin API. With no token
// configured the admin API is disabled.
func adminHandler(token string, st core.Store) http.Handler {
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
	return adminOnly(token, mux)
}

// adminOnly lets a request through only with the admin bearer token.
func adminOnly(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token == "" {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "admin API disabled: set server.admin_token (or SWITCHBOARD_SERVER_ADMIN_TOKEN)"})
			return
		}
		got := r.Header.Get("Authorization")
		want := "Bearer " + token
		if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing or wrong admin token (Authorization: Bearer <server.admin_token>)"})
			return
		}
		next.ServeHTTP(w, r)
	})
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
