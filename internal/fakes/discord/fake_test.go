package discord

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func post(t *testing.T, s *Server, path, auth, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/v10/"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	_ = json.Unmarshal(buf.Bytes(), &out)
	return resp, out
}

func TestRateLimitShape(t *testing.T) {
	s := Start("tok", "42")
	defer s.Close()
	s.Fail(RouteMessages, 1, Failure{Status: 429, RetryAfter: 1.5})
	resp, out := post(t, s, "channels/7/messages", "Bot tok", `{"content":"hi"}`)
	h := resp.Header
	if resp.StatusCode != 429 || out["message"] != "You are being rate limited." || out["retry_after"] != 1.5 ||
		out["global"] != false || h.Get("Retry-After") != "2" || h.Get("X-RateLimit-Remaining") != "0" ||
		h.Get("X-RateLimit-Reset-After") != "1.500" || h.Get("X-RateLimit-Scope") != "user" || h.Get("X-RateLimit-Bucket") == "" {
		t.Fatalf("429: %d %v %v", resp.StatusCode, out, h)
	}
	if resp, _ := post(t, s, "channels/7/messages", "Bot other", `{"content":"hi"}`); resp.StatusCode != 401 {
		t.Fatalf("wrong token: %d", resp.StatusCode)
	}
}

func TestNonceDedupe(t *testing.T) {
	s := Start("tok", "42")
	defer s.Close()
	body := `{"content":"hi","nonce":"n-1","enforce_nonce":true}`
	_, first := post(t, s, "channels/7/messages", "Bot tok", body)
	_, again := post(t, s, "channels/7/messages", "Bot tok", body)
	_, other := post(t, s, "channels/8/messages", "Bot tok", body) // nonces are per channel
	if first["id"] != again["id"] || first["id"] == other["id"] || len(s.Sent()) != 2 || s.NonceHits() != 1 {
		t.Fatalf("ids %v %v %v, sent %d, hits %d", first["id"], again["id"], other["id"], len(s.Sent()), s.NonceHits())
	}
	if resp, _ := post(t, s, "channels/7/messages", "Bot tok", `{"content":"`+strings.Repeat("a", 2001)+`"}`); resp.StatusCode != 400 {
		t.Fatalf("2,001 characters accepted: %d", resp.StatusCode)
	}
}

func TestFollowupNeedsAcknowledgedInteraction(t *testing.T) {
	s := Start("tok", "42")
	defer s.Close()
	it := s.Ask(Where{ChannelID: "7"}, User{ID: "9", Username: "u"}, "q")
	if resp, out := post(t, s, "webhooks/42/"+it.Token, "", `{"content":"a"}`); resp.StatusCode != 404 || out["code"] != 10015.0 {
		t.Fatalf("before ack: %d %v", resp.StatusCode, out)
	}
	endpoint := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"type":5}`)) })
	ep := httptest.NewServer(endpoint)
	defer ep.Close()
	if resp, err := s.Deliver(t.Context(), nil, ep.URL, NewSigner(), it); err != nil || resp.Type != 5 {
		t.Fatalf("deliver: %+v %v", resp, err)
	}
	if resp, _ := post(t, s, "webhooks/42/"+it.Token, "", `{"content":"a"}`); resp.StatusCode != 204 {
		t.Fatalf("after ack: %d", resp.StatusCode)
	}
	s.Expire(it.Token)
	if resp, out := post(t, s, "webhooks/42/"+it.Token, "", `{"content":"b"}`); resp.StatusCode != 401 || out["code"] != 50027.0 {
		t.Fatalf("expired: %d %v", resp.StatusCode, out)
	}
	if sent := s.Sent(); len(sent) != 1 || sent[0].Kind != "followup" || sent[0].InteractionID != it.ID {
		t.Fatalf("sent %+v", sent)
	}
}
