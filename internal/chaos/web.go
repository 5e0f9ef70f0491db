package chaos

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// Web chat customers of the Driver. The page creates a session (POST
// /api/web/session, 201 with a token), then POSTs each message with a
// client_id until it is accepted (202), retrying with a growing pause as
// Telegram does; a retried POST carries the same client_id and is
// recognised. The page shows the conversation from GET /api/web/messages
// (and live over the event stream, not used here): the replies a customer
// gets are the bot turns that call returns at the end of the campaign.

// WebOptions enable web chat customers.
type WebOptions struct {
	Lanes   int           // sessions in flight at once (default 8)
	PerChat int           // messages per session before a new one (default 4)
	Timeout time.Duration // the page's wait for a POST (default 2 s)
}

func (o *WebOptions) withDefaults() {
	if o.Lanes <= 0 {
		o.Lanes = 8
	}
	if o.PerChat <= 0 {
		o.PerChat = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
}

// WebReply is a bot turn GET /api/web/messages returned.
type WebReply struct {
	ID, Text string // ID is "<message id>.r<n>"
}

// webKey is the conversation of a session token, as the web adapter
// derives it (hex of the first 16 bytes of the token's SHA-256).
func webKey(token string) core.ConversationKey {
	h := sha256.Sum256([]byte(token))
	chat := hex.EncodeToString(h[:16])
	return core.ConversationKey{Platform: "web", Chat: chat, User: chat}
}

// webMessageID is the id the web adapter gives a message with clientID in chat.
func webMessageID(chat, clientID string) string {
	sum := sha256.Sum256([]byte("web:" + chat + ":" + clientID))
	return "w" + hex.EncodeToString(sum[:16])
}

func (d *Driver) webLane() {
	for {
		token, err := d.webSession(d.produce)
		if err != nil {
			return
		}
		for seq := range d.o.Web.PerChat {
			if d.lims["web"].Wait(d.produce) != nil {
				return
			}
			m := d.NewWeb(token, seq, Questions[randN(len(Questions))])
			if d.Deliver(d.ctx, m) != nil {
				return
			}
		}
	}
}

// webSession creates a session, retrying until the gateway answers 201.
func (d *Driver) webSession(ctx context.Context) (string, error) {
	pause := 50 * time.Millisecond
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.o.BaseURL+"/api/web/session", nil)
		if err != nil {
			return "", err
		}
		status, body, err := d.do(ctx, req, d.o.Web.Timeout)
		if err == nil && status == http.StatusCreated {
			var s struct {
				Token string `json:"token"`
			}
			if json.Unmarshal(body, &s) == nil && s.Token != "" {
				d.mu.Lock()
				d.webSessions = append(d.webSessions, s.Token)
				d.mu.Unlock()
				return s.Token, nil
			}
		}
		if err := sleep(ctx, pause); err != nil {
			return "", err
		}
		pause = min(2*pause, time.Second)
	}
}

// NewWeb records a new message of the session token.
func (d *Driver) NewWeb(token string, seq int, text string) *Msg {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextMsg++
	key := webKey(token)
	client := fmt.Sprintf("chaos-%d", d.nextMsg)
	m := &Msg{Platform: "web", Key: key, Seq: seq, Text: text, WebToken: token, ClientID: client,
		ID: webMessageID(key.Chat, client)}
	d.msgs = append(d.msgs, m)
	return m
}

// postWeb makes one POST of m; 202 with m's id acknowledges it. A 401 says
// the session is gone: the gateway lost a session it had created.
func (d *Driver) postWeb(ctx context.Context, m *Msg) (int, error) {
	body, _ := json.Marshal(map[string]string{"text": m.Text, "client_id": m.ClientID}) // strings only
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.o.BaseURL+"/api/web/messages", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+m.WebToken)
	status, resp, err := d.do(ctx, req, d.o.Web.Timeout)
	if err != nil || status != http.StatusAccepted {
		if status == http.StatusUnauthorized {
			d.mu.Lock()
			m.SessionLost = true
			d.mu.Unlock()
		}
		return status, err
	}
	var r struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(resp, &r); err != nil || r.ID != m.ID {
		return 0, fmt.Errorf("web: POST answered %q, want the id %s: %w", resp, m.ID, errBadAnswer)
	}
	return status, nil
}

// WebTranscripts reads every session's conversation as the page does
// (GET /api/web/messages) and returns its bot turns.
func (d *Driver) WebTranscripts(ctx context.Context) ([]WebReply, error) {
	d.mu.Lock()
	tokens := append([]string(nil), d.webSessions...)
	d.mu.Unlock()
	var out []WebReply
	for _, tok := range tokens {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.o.BaseURL+"/api/web/messages", nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		status, body, err := d.do(ctx, req, 10*time.Second)
		if err != nil {
			return nil, fmt.Errorf("chaos: web transcript: %w", err)
		}
		if status == http.StatusUnauthorized {
			continue // a session lost in a crash; its messages say so
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("chaos: web transcript: HTTP %d: %s", status, body)
		}
		var tr struct {
			Messages []struct {
				ID   string `json:"id"`
				From string `json:"from"`
				Text string `json:"text"`
			} `json:"messages"`
		}
		if err := json.Unmarshal(body, &tr); err != nil {
			return nil, fmt.Errorf("chaos: web transcript: %w", err)
		}
		for _, m := range tr.Messages {
			if m.From != "user" {
				out = append(out, WebReply{ID: m.ID, Text: m.Text})
			}
		}
	}
	return out, nil
}

// messageOfReply returns the message id of reply id "M.r<n>".
func messageOfReply(id string) string {
	if i := strings.LastIndex(id, ".r"); i > 0 {
		return id[:i]
	}
	return id
}
