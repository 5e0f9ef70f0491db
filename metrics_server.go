package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/switchboard-gw/switchboard/internal/config"
)

// serveMetrics serves GET /metrics alone on server.metrics_addr (e.g. a
// private interface), with the main server's timeouts, until the returned
// stop is called.
func serveMetrics(cfg *config.Config, h http.Handler, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", cfg.Server.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("server.metrics_addr %s: %w", cfg.Server.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout,
		ReadTimeout:       cfg.Server.ReadTimeout,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       cfg.Server.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	log.Info("metrics served on their own address", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}
