package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// newWebSession creates a web chat session on base and returns its token.
func newWebSession(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Post(base+"/api/web/session", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct{ Token string }
	if resp.StatusCode != 201 || json.NewDecoder(resp.Body).Decode(&s) != nil {
		t.Fatalf("session: %d", resp.StatusCode)
	}
	return s.Token
}

// TestServeConnectionTimeouts: a client that sends its headers or its body
// too slowly is disconnected (server.read_header_timeout,
// server.read_timeout), while an event stream outlives read_timeout.
func TestServeConnectionTimeouts(t *testing.T) {
	cfg := testConfig(t)
	cfg.Server.ReadHeaderTimeout = 300 * time.Millisecond
	cfg.Server.ReadTimeout = 600 * time.Millisecond
	base, _ := startServe(t, cfg)
	addr := strings.TrimPrefix(base, "http://")

	closedWithin := func(name, partial string, d time.Duration) {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, partial); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.Copy(io.Discard, c) // until the server closes the connection
		if took := time.Since(start); took > d {
			t.Errorf("%s: connection held %s, want at most %s", name, took, d)
		}
	}
	closedWithin("slow headers", "GET /healthz HTTP/1.1\r\nHost: x\r\n", 2*time.Second)
	closedWithin("slow body", "POST /api/web/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"te", 2*time.Second)

	// An event stream lives past read_timeout and still delivers.
	tok := newWebSession(t, base)
	req, _ := http.NewRequest("GET", base+"/api/web/events", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	time.Sleep(1200 * time.Millisecond) // twice read_timeout
	post, _ := http.NewRequest("POST", base+"/api/web/messages", strings.NewReader(`{"text":"what are your opening hours"}`))
	post.Header.Set("Authorization", "Bearer "+tok)
	post.Header.Set("Content-Type", "application/json")
	pr, err := http.DefaultClient.Do(post)
	if err != nil {
		t.Fatal(err)
	}
	pr.Body.Close()
	if pr.StatusCode != 202 {
		t.Fatalf("post: %d", pr.StatusCode)
	}
	got := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "event: message") {
				got <- true
				return
			}
		}
		got <- false
	}()
	select {
	case ok := <-got:
		if !ok {
			t.Fatal("the event stream ended after read_timeout")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event on the stream")
	}
}

// TestServeMessageRateLimit: one web token cannot post faster than
// limits.messages per limits.per; the rest get 429 with Retry-After.
func TestServeMessageRateLimit(t *testing.T) {
	cfg := testConfig(t)
	base, _ := startServe(t, cfg)
	tok := newWebSession(t, base)
	accepted, limited := 0, 0
	for i := range 40 {
		req, _ := http.NewRequest("POST", base+"/api/web/messages", strings.NewReader(`{"text":"hello","client_id":"c`+strconv.Itoa(i)+`"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case 202:
			accepted++
		case 429:
			limited++
			if resp.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		default:
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	// The burst, plus at most a token or two refilled while the test ran.
	if accepted < cfg.Limits.Burst || accepted > cfg.Limits.Burst+3 || limited == 0 {
		t.Fatalf("accepted %d, limited %d; want about the burst of %d accepted", accepted, limited, cfg.Limits.Burst)
	}
}

func get(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeMetricsTokenAndAddr: /metrics can require its own token and move
// to its own address; the page forbids framing.
func TestServeMetricsTokenAndAddr(t *testing.T) {
	const tok = "metrics-token-0123456789"
	cfg := testConfig(t)
	cfg.Server.MetricsToken = tok
	base, _ := startServe(t, cfg)
	if code := get(t, base+"/metrics", ""); code != 401 {
		t.Fatalf("/metrics without the token: %d", code)
	}
	if code := get(t, base+"/metrics", tok); code != 200 {
		t.Fatalf("/metrics with the token: %d", code)
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("page X-Frame-Options %q", resp.Header.Get("X-Frame-Options"))
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	maddr := ln.Addr().String()
	ln.Close()
	cfg = testConfig(t)
	cfg.Server.MetricsAddr = maddr
	base, _ = startServe(t, cfg)
	if code := get(t, base+"/metrics", ""); code != 404 && code != 405 {
		t.Fatalf("/metrics on the main address with metrics_addr set: %d", code)
	}
	if code := get(t, "http://"+maddr+"/metrics", ""); code != 200 {
		t.Fatalf("/metrics on metrics_addr: %d", code)
	}
}
