package web

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func (s *stack) ticket(t *testing.T, token string) string {
	t.Helper()
	status, _, body := s.do(t, http.MethodPost, "/api/web/ticket", token, "", "")
	if status != http.StatusCreated {
		t.Fatalf("POST /api/web/ticket = %d %s", status, body)
	}
	var r struct {
		Ticket    string `json:"ticket"`
		ExpiresIn int    `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Ticket == "" || r.ExpiresIn != 60 {
		t.Fatalf("ticket response %s (%v)", body, err)
	}
	return r.Ticket
}

// TestEventStreamTicket: the page can open its event stream with a
// one-minute, one-use ticket instead of putting the session token in the
// URL.
func TestEventStreamTicket(t *testing.T) {
	clock := newFakeClock()
	s := newStack(t, Config{Now: clock.now})
	tok := s.newSession(t)
	tk := s.ticket(t, tok)
	if strings.Contains(tk, tok) {
		t.Fatal("the ticket contains the token")
	}
	resp, err := s.srv.Client().Get(s.srv.URL + "/api/web/events?ticket=" + tk)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("stream with a ticket: %d", resp.StatusCode)
	}
	br := bufio.NewReader(resp.Body)
	if line, _ := br.ReadString('\n'); !strings.HasPrefix(line, "retry:") {
		t.Fatalf("first line %q", line)
	}
	s.post(t, tok, "hello", "")
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended before the answer: %v", err)
		}
		if strings.HasPrefix(line, "data: ") && strings.Contains(line, "you said: hello") {
			break
		}
	}

	if status, _, _ := s.do(t, http.MethodGet, "/api/web/events?ticket="+tk, "", "", ""); status != 401 {
		t.Fatalf("a used ticket: %d, want 401", status)
	}
	old := s.ticket(t, tok)
	clock.add(61 * time.Second)
	if status, _, _ := s.do(t, http.MethodGet, "/api/web/events?ticket="+old, "", "", ""); status != 401 {
		t.Fatalf("an expired ticket: %d, want 401", status)
	}
	forged := []byte(s.ticket(t, tok))
	forged[len(forged)-2] ^= 1
	if status, _, _ := s.do(t, http.MethodGet, "/api/web/events?ticket="+string(forged), "", "", ""); status != 401 {
		t.Fatalf("a forged ticket: %d, want 401", status)
	}
	if status, _, _ := s.do(t, http.MethodPost, "/api/web/ticket", "", "", ""); status != 401 {
		t.Fatalf("a ticket without a session: %d, want 401", status)
	}
}
