package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/switchboard-gw/switchboard/internal/config"
)

// gateway is the in-process gateway.
type gateway struct {
	base    string
	cancel  context.CancelFunc
	done    chan error
	logFile *os.File
	once    sync.Once
	err     error
}

// startGateway configures and starts the gateway through o.Serve, logging
// to dir/gateway.log, and waits until it accepts connections.
func startGateway(ctx context.Context, o Options, dir string, noSync bool, adminToken string, drivers []driver) (*gateway, error) {
	cfg, err := gatewayConfig(o, dir, noSync, adminToken, drivers)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "gateway.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("bench: gateway log: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(f, &slog.HandlerOptions{Level: o.LogLevel}))
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g := &gateway{cancel: cancel, done: make(chan error, 1), logFile: f}
	ready := make(chan string, 1)
	go func() { g.done <- o.Serve(sctx, cfg, log, ready) }()
	select {
	case addr := <-ready:
		g.base = "http://" + addr
		return g, nil
	case err := <-g.done:
		cancel()
		f.Close()
		return nil, fmt.Errorf("bench: the gateway did not start (its log: %s): %w", f.Name(), err)
	case <-time.After(time.Minute):
		cancel()
		return nil, fmt.Errorf("bench: the gateway did not start within a minute (its log: %s)", f.Name())
	}
}

// gatewayConfig is o.Config with the bench's server, store and platforms.
// The handoff rules are off: every question must get exactly one answer.
func gatewayConfig(o Options, dir string, noSync bool, adminToken string, drivers []driver) (*config.Config, error) {
	var cfg config.Config
	if o.Config != nil {
		cfg = *o.Config
	} else {
		def, err := config.Load("", func(string) (string, bool) { return "", false })
		if err != nil {
			return nil, err
		}
		cfg = *def
	}
	cfg.Server.Addr, cfg.Server.AdminToken = "127.0.0.1:0", adminToken
	cfg.Store.Path, cfg.Store.NoSync = filepath.Join(dir, "switchboard.db"), noSync
	cfg.Handoff.AfterFallbacks, cfg.Handoff.OnNegativeSentiment = 0, false
	cfg.Web.Enabled, cfg.Slack.Enabled, cfg.Telegram.Enabled, cfg.Discord.Enabled, cfg.WeChat.Enabled = false, false, false, false, false
	// The load comes from one address and reuses conversations: lift the
	// per-client and per-conversation limits so that they do not shape the
	// figures. The security checks run on a gateway with the defaults.
	cfg.Web.SessionsPerMinute = max(cfg.Web.SessionsPerMinute, o.WebSessions*10)
	cfg.Web.SessionBurst = max(cfg.Web.SessionBurst, o.WebSessions*2)
	cfg.Web.MaxStreamsPerClient = max(cfg.Web.MaxStreamsPerClient, o.WebSessions*2)
	cfg.Web.MaxStreams = max(cfg.Web.MaxStreams, o.WebSessions*2)
	cfg.Limits.Messages = 0
	for _, d := range drivers {
		d.configure(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bench: gateway configuration: %w", err)
	}
	return &cfg, nil
}

// stop shuts the gateway down (once) and returns serve's error.
func (g *gateway) stop() error {
	g.once.Do(func() {
		g.cancel()
		select {
		case err := <-g.done:
			if err != nil {
				g.err = fmt.Errorf("bench: the gateway stopped with an error: %w", err)
			}
		case <-time.After(time.Minute):
			g.err = errors.New("bench: the gateway did not stop within a minute")
		}
		g.logFile.Close()
	})
	return g.err
}

// outboxLen asks the admin API how many replies are still in the outbox;
// -1 when it cannot tell.
func (g *gateway) outboxLen(ctx context.Context, token string) int {
	c := &http.Client{Timeout: 5 * time.Second}
	status, body, err := send(ctx, c, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.base+"/admin/outbox", nil)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return req, err
	})
	var v struct {
		Pending int `json:"pending"`
	}
	if err != nil || status != http.StatusOK || json.Unmarshal(body, &v) != nil {
		return -1
	}
	return v.Pending
}
