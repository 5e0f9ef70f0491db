package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/internal/config"
)

// testLogger discards the gateway's log unless SB_DEBUG is set.
func testLogger() *slog.Logger {
	if os.Getenv("SB_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// startServe runs serve with cfg until the test calls stop (which returns
// serve's error after a graceful shutdown) and returns the base URL.
func startServe(t *testing.T, cfg *config.Config) (base string, stop func() error) {
	t.Helper()
	return startServeWith(t, cfg, serveOptions{})
}

// startServeWith is startServe with a test's clock and sweep interval.
func startServeWith(t *testing.T, cfg *config.Config, so serveOptions) (base string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serveWith(ctx, cfg, testLogger(), ready, so) }()
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not shut down")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	return base, stop
}

// writeConfig writes yaml to a c.yaml in a fresh temp dir and returns its path.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
