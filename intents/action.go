package intents

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of an action
// request's body, keyed with the action's secret.
const SignatureHeader = "X-Switchboard-Signature"

// maxActionReply bounds the body of an action's reply.
const maxActionReply = 64 << 10

// ActionRequest is the JSON body POSTed to a flow's action.
type ActionRequest struct {
	Flow string `json:"flow"`
	// ConversationID identifies the conversation (a random id kept in its
	// state for the session).
	ConversationID string `json:"conversation_id"`
	// Conversation is where the customer is: platform, chat and user, as
	// the gateway knows them (empty when unknown, e.g. in unit tests).
	Conversation *ConversationRef `json:"conversation,omitempty"`
	// RequestID is the same when one customer message causes the call
	// twice (the engine retries a turn after a conflicting write), so the
	// owner's service can make the action idempotent.
	RequestID string            `json:"request_id"`
	Language  string            `json:"language"`
	UserName  string            `json:"user_name,omitempty"`
	Slots     map[string]string `json:"slots"`
	Timestamp time.Time         `json:"timestamp"`
}

// ConversationRef names a conversation in an ActionRequest.
type ConversationRef struct {
	Platform string `json:"platform"`
	Chat     string `json:"chat"`
	User     string `json:"user"`
}

// ActionReply is what an action answers: Text is said to the customer.
type ActionReply struct {
	Text         string   `json:"text"`
	QuickReplies []string `json:"quick_replies,omitempty"`
}

// Sign returns the value of SignatureHeader for body and secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature reports whether header is Sign(secret, body), in constant
// time: what the owner's service does with each request.
func VerifySignature(secret string, body []byte, header string) bool {
	return hmac.Equal([]byte(header), []byte(Sign(secret, body)))
}

// callAction POSTs the flow's slots to its action and returns the reply.
// It returns an error (never naming the secret or the URL's query) when the
// host resolves to a refused address (actionnet.go), the request fails,
// times out, the status is not 2xx (a redirect is not followed), the body is
// longer than maxActionReply, or it is not a JSON object with a non-empty
// text. The customer never sees a reply that is not that JSON.
func (u *Understander) callAction(ctx context.Context, f *Flow, key core.ConversationKey, st core.State, lang string) (ActionReply, error) {
	a := f.Action
	req := ActionRequest{Flow: f.Name, ConversationID: st.Slots[conversationSlot], Language: lang,
		UserName: st.UserName, Slots: map[string]string{}, Timestamp: time.Now().UTC()}
	if key.Platform != "" {
		req.Conversation = &ConversationRef{Platform: key.Platform, Chat: key.Chat, User: key.User}
	}
	for k, v := range st.Slots {
		if !strings.HasPrefix(k, "_") {
			req.Slots[k] = v
		}
	}
	req.RequestID = requestID(req, st.Turns)
	body, err := json.Marshal(req)
	if err != nil {
		return ActionReply{}, fmt.Errorf("action %s: encode request: %w", redactURL(a.URL), err)
	}
	ctx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, a.URL, bytes.NewReader(body))
	if err != nil {
		return ActionReply{}, fmt.Errorf("action %s: %w", redactURL(a.URL), err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("User-Agent", "switchboard")
	hreq.Header.Set("X-Switchboard-Request-Id", req.RequestID)
	if a.secret != "" {
		hreq.Header.Set(SignatureHeader, Sign(a.secret, body))
	}
	client := u.client
	if a.AllowPrivate {
		client = u.private
	}
	resp, err := client.Do(hreq)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its message repeats the full URL
		}
		return ActionReply{}, fmt.Errorf("action %s: %w", redactURL(a.URL), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxActionReply+1))
	if err != nil {
		return ActionReply{}, fmt.Errorf("action %s: read reply: %w", redactURL(a.URL), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return ActionReply{}, fmt.Errorf("action %s: status %d", redactURL(a.URL), resp.StatusCode)
	}
	if len(data) > maxActionReply {
		return ActionReply{}, fmt.Errorf("action %s: reply longer than %d bytes", redactURL(a.URL), maxActionReply)
	}
	var reply ActionReply
	if err := json.Unmarshal(data, &reply); err != nil {
		return ActionReply{}, fmt.Errorf("action %s: reply is not a JSON object with a text: %w", redactURL(a.URL), err)
	}
	reply.Text = strings.TrimSpace(reply.Text)
	if reply.Text == "" {
		return ActionReply{}, fmt.Errorf("action %s: reply has no text", redactURL(a.URL))
	}
	return reply, nil
}

// requestID is a hash of what identifies one call: the conversation, the
// turn, the flow and the slots.
func requestID(r ActionRequest, turns int) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%s", r.ConversationID, turns, r.Flow)
	keys := make([]string, 0, len(r.Slots))
	for k := range r.Slots {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "\x00%s=%s", k, r.Slots[k])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// redactURL drops credentials, query and fragment, which may hold tokens.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Scheme + "://" + u.Host + u.Path
}
