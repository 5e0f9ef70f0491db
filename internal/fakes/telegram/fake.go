// Package telegram is a fake Telegram Bot API for tests and for
// `switchboard bench`: an http.Handler that answers like api.telegram.org
// for the methods Switchboard uses (getMe, sendMessage, editMessageText,
// answerCallbackQuery, setWebhook, deleteWebhook, getWebhookInfo,
// getUpdates), with the same URL layout (/bot<token>/<method>), parameter
// encodings (query, form, multipart, JSON), validation (text length,
// callback_data size) and error shape
//
//	{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}
//
// It records every accepted message so that callers can count lost and
// duplicated replies, can be told to fail the next calls of a method with a
// given status, and serves queued updates to getUpdates with Telegram's
// offset semantics. Builders for realistic Update payloads are in
// updates.go. Everything is safe for concurrent use.
package telegram

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Sent is one message the fake accepted with sendMessage.
type Sent struct {
	MessageID        int
	ChatID           int64
	Text             string
	ParseMode        string
	ReplyToMessageID int // from reply_parameters or reply_to_message_id
	Buttons          [][]Button
	At               time.Time
}

// Button is one inline keyboard button.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
}

// Failure describes how a call fails.
type Failure struct {
	// Status is the HTTP status and error_code, e.g. 429, 403, 400, 500.
	Status int
	// Description; empty means Telegram's usual text for Status.
	Description string
	// RetryAfter is parameters.retry_after in seconds (429).
	RetryAfter int
	// RawBody, when set, is sent as is instead of the JSON error (e.g. a
	// proxy's HTML 502 page).
	RawBody string
}

// Webhook is the webhook registered with setWebhook.
type Webhook struct {
	URL            string
	SecretToken    string
	AllowedUpdates []string
}

// API is the fake Bot API for one bot token.
type API struct {
	token string
	bot   User

	mu        sync.Mutex
	sent      []Sent
	edits     []Sent // editMessageText calls that changed a message
	nextMsgID int
	callbacks []string
	webhook   Webhook
	queue     []queued // unconfirmed updates, by update_id
	confirmed int      // highest offset a getUpdates call confirmed
	failures  map[string][]Failure
	chats     map[int64]Failure
	calls     map[string]int
	wake      chan struct{} // closed and replaced when an update is queued
}

type queued struct {
	id   int
	body json.RawMessage
}

// NewAPI returns a fake for the bot token (e.g. "123456:TEST"). The bot's
// own user is {ID: the token's numeric prefix, UserName: "switchboard_test_bot"}.
func NewAPI(token string) *API {
	id, _, _ := strings.Cut(token, ":")
	n, _ := strconv.ParseInt(id, 10, 64)
	return &API{
		token:     token,
		bot:       User{ID: n, IsBot: true, FirstName: "Switchboard", UserName: "switchboard_test_bot"},
		nextMsgID: 1000,
		failures:  make(map[string][]Failure),
		chats:     make(map[int64]Failure),
		calls:     make(map[string]int),
		wake:      make(chan struct{}),
	}
}

// Server is a started fake: an httptest.Server serving an API. Its URL is
// the api_url to configure.
type Server struct {
	*httptest.Server
	*API
}

// Start starts a fake Bot API for token on a local port. Close it when done.
func Start(token string) *Server {
	api := NewAPI(token)
	return &Server{Server: httptest.NewServer(api), API: api}
}

// Bot returns the bot's own user, as getMe reports it.
func (a *API) Bot() User { return a.bot }

// Sent returns every message accepted so far, in order.
func (a *API) Sent() []Sent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.sent)
}

// AnsweredCallbacks returns the callback_query_id of every answerCallbackQuery call.
func (a *API) AnsweredCallbacks() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.callbacks)
}

// Webhook returns the registered webhook (zero when none).
func (a *API) Webhook() Webhook {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.webhook
}

// Calls returns how many requests for method arrived (failed ones included).
func (a *API) Calls(method string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[method]
}

// Confirmed returns the highest offset a getUpdates call has sent, i.e. all
// updates below it are confirmed.
func (a *API) Confirmed() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.confirmed
}

// Fail makes the next n calls of method fail with f. Calls queue up: a
// zero Failure lets its call through, so Fail(m, 1, Failure{}) followed by
// Fail(m, 1, Failure{Status: 500}) fails the second call of m.
func (a *API) Fail(method string, n int, f Failure) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for range n {
		a.failures[method] = append(a.failures[method], f)
	}
}

// FailChat makes every sendMessage to chat fail with f (e.g. 403 "bot was
// blocked by the user"); a zero Failure clears it.
func (a *API) FailChat(chat int64, f Failure) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if f.Status == 0 {
		delete(a.chats, chat)
		return
	}
	a.chats[chat] = f
}

// Queue adds an update (a JSON Update, e.g. from TextUpdate) for getUpdates.
// It returns an error when update has no update_id.
func (a *API) Queue(update []byte) error {
	var probe struct {
		UpdateID *int `json:"update_id"`
	}
	if err := json.Unmarshal(update, &probe); err != nil || probe.UpdateID == nil {
		return fmt.Errorf("fake telegram: queue: not an update with update_id")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.queue = append(a.queue, queued{id: *probe.UpdateID, body: slices.Clone(update)})
	slices.SortStableFunc(a.queue, func(x, y queued) int { return x.id - y.id })
	close(a.wake)
	a.wake = make(chan struct{})
	return nil
}

// ServeHTTP implements the Bot API.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, method, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/bot"), "/")
	if !strings.HasPrefix(r.URL.Path, "/bot") || !ok || token != a.token {
		writeError(w, Failure{Status: http.StatusUnauthorized})
		return
	}
	a.mu.Lock()
	a.calls[method]++
	var fail *Failure
	if fs := a.failures[method]; len(fs) > 0 {
		fail, a.failures[method] = &fs[0], fs[1:]
	}
	a.mu.Unlock()
	if fail != nil && fail.Status != 0 {
		writeError(w, *fail)
		return
	}
	p, err := params(r)
	if err != nil {
		writeError(w, Failure{Status: 400, Description: "Bad Request: " + err.Error()})
		return
	}
	switch method {
	case "getMe":
		writeOK(w, a.bot)
	case "sendMessage":
		a.sendMessage(w, p)
	case "editMessageText":
		a.editMessageText(w, p)
	case "answerCallbackQuery":
		if p["callback_query_id"] == "" {
			writeError(w, Failure{Status: 400, Description: "Bad Request: query is too old and response timeout expired or query ID is invalid"})
			return
		}
		a.mu.Lock()
		a.callbacks = append(a.callbacks, p["callback_query_id"])
		a.mu.Unlock()
		writeOK(w, true)
	case "setWebhook":
		a.setWebhook(w, p)
	case "deleteWebhook":
		a.mu.Lock()
		a.webhook = Webhook{}
		a.mu.Unlock()
		writeOK(w, true)
	case "getWebhookInfo":
		a.mu.Lock()
		info := map[string]any{"url": a.webhook.URL, "has_custom_certificate": false,
			"pending_update_count": len(a.queue)}
		a.mu.Unlock()
		writeOK(w, info)
	case "getUpdates":
		a.getUpdates(w, r, p)
	default:
		writeError(w, Failure{Status: http.StatusNotFound})
	}
}

// Edits returns the successful editMessageText calls: each with the
// message's id, chat and new text.
func (a *API) Edits() []Sent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.edits)
}

// editMessageText changes the text of a message the bot sent, as Telegram
// does: 400 "message to edit not found" for an unknown message, 400
// "message is not modified" when the text is the same.
func (a *API) editMessageText(w http.ResponseWriter, p map[string]string) {
	chat, err1 := strconv.ParseInt(p["chat_id"], 10, 64)
	id, err2 := strconv.Atoi(p["message_id"])
	text := p["text"]
	switch {
	case err1 != nil || err2 != nil:
		writeError(w, Failure{Status: 400, Description: "Bad Request: message to edit not found"})
		return
	case strings.TrimSpace(text) == "":
		writeError(w, Failure{Status: 400, Description: "Bad Request: message text is empty"})
		return
	case utf16Len(text) > 4096:
		writeError(w, Failure{Status: 400, Description: "Bad Request: MESSAGE_TOO_LONG"})
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.sent {
		m := &a.sent[i]
		if m.ChatID != chat || m.MessageID != id {
			continue
		}
		if m.Text == text {
			writeError(w, Failure{Status: 400, Description: "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"})
			return
		}
		m.Text = text
		a.edits = append(a.edits, Sent{MessageID: id, ChatID: chat, Text: text, At: time.Now()})
		writeOK(w, map[string]any{"message_id": id, "date": time.Now().Unix(), "edit_date": time.Now().Unix(),
			"chat": map[string]any{"id": chat, "type": "private"}, "text": text})
		return
	}
	writeError(w, Failure{Status: 400, Description: "Bad Request: message to edit not found"})
}

func (a *API) sendMessage(w http.ResponseWriter, p map[string]string) {
	chat, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil {
		writeError(w, Failure{Status: 400, Description: "Bad Request: chat not found"})
		return
	}
	text := p["text"]
	switch {
	case strings.TrimSpace(text) == "":
		writeError(w, Failure{Status: 400, Description: "Bad Request: message text is empty"})
		return
	case !utf8.ValidString(text):
		writeError(w, Failure{Status: 400, Description: "Bad Request: text must be encoded in UTF-8"})
		return
	case utf16Len(text) > 4096:
		writeError(w, Failure{Status: 400, Description: "Bad Request: message is too long"})
		return
	}
	switch p["parse_mode"] {
	case "", "MarkdownV2", "HTML", "Markdown":
	default:
		writeError(w, Failure{Status: 400, Description: "Bad Request: unsupported parse_mode"})
		return
	}
	s := Sent{ChatID: chat, Text: text, ParseMode: p["parse_mode"], At: time.Now()}
	if v := p["reply_to_message_id"]; v != "" {
		s.ReplyToMessageID, _ = strconv.Atoi(v)
	}
	if v := p["reply_parameters"]; v != "" {
		var rp struct {
			MessageID int `json:"message_id"`
		}
		if json.Unmarshal([]byte(v), &rp) != nil || rp.MessageID == 0 {
			writeError(w, Failure{Status: 400, Description: "Bad Request: can't parse reply parameters JSON object"})
			return
		}
		s.ReplyToMessageID = rp.MessageID
	}
	if v := p["reply_markup"]; v != "" {
		var kb struct {
			InlineKeyboard [][]Button `json:"inline_keyboard"`
		}
		if json.Unmarshal([]byte(v), &kb) != nil {
			writeError(w, Failure{Status: 400, Description: "Bad Request: can't parse reply keyboard markup JSON object"})
			return
		}
		for _, row := range kb.InlineKeyboard {
			for _, b := range row {
				if b.Text == "" {
					writeError(w, Failure{Status: 400, Description: "Bad Request: text buttons are unallowed in the inline keyboard"})
					return
				}
				if n := len(b.CallbackData); n == 0 || n > 64 {
					writeError(w, Failure{Status: 400, Description: "Bad Request: BUTTON_DATA_INVALID"})
					return
				}
			}
		}
		s.Buttons = kb.InlineKeyboard
	}
	a.mu.Lock()
	if f, ok := a.chats[chat]; ok {
		a.mu.Unlock()
		writeError(w, f)
		return
	}
	a.nextMsgID++
	s.MessageID = a.nextMsgID
	a.sent = append(a.sent, s)
	a.mu.Unlock()
	chatType := "private"
	if chat < 0 {
		chatType = "supergroup"
	}
	msg := map[string]any{
		"message_id": s.MessageID, "date": s.At.Unix(), "text": s.Text,
		"from": a.bot, "chat": map[string]any{"id": chat, "type": chatType},
	}
	if s.Buttons != nil {
		msg["reply_markup"] = map[string]any{"inline_keyboard": s.Buttons}
	}
	writeOK(w, msg)
}

func (a *API) setWebhook(w http.ResponseWriter, p map[string]string) {
	wh := Webhook{URL: p["url"], SecretToken: p["secret_token"]}
	if wh.URL == "" {
		writeError(w, Failure{Status: 400, Description: "Bad Request: bad webhook: an HTTPS URL must be provided for webhook"})
		return
	}
	if len(wh.SecretToken) > 256 || strings.Trim(wh.SecretToken,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
		writeError(w, Failure{Status: 400, Description: "Bad Request: secret token contains unallowed characters"})
		return
	}
	if v := p["allowed_updates"]; v != "" {
		if json.Unmarshal([]byte(v), &wh.AllowedUpdates) != nil {
			writeError(w, Failure{Status: 400, Description: "Bad Request: can't parse allowed updates"})
			return
		}
	}
	a.mu.Lock()
	a.webhook = wh
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": true, "description": "Webhook was set"})
}

func (a *API) getUpdates(w http.ResponseWriter, r *http.Request, p map[string]string) {
	offset, _ := strconv.Atoi(p["offset"])
	limit, _ := strconv.Atoi(p["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(p["timeout"])
	deadline := time.Now().Add(time.Duration(timeout) * time.Second)
	for {
		a.mu.Lock()
		if a.webhook.URL != "" {
			a.mu.Unlock()
			writeError(w, Failure{Status: http.StatusConflict,
				Description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"})
			return
		}
		if offset > 0 {
			// Confirm everything below offset.
			a.queue = slices.DeleteFunc(a.queue, func(q queued) bool { return q.id < offset })
			a.confirmed = max(a.confirmed, offset)
		}
		var out []json.RawMessage
		for _, q := range a.queue {
			if len(out) == limit {
				break
			}
			out = append(out, q.body)
		}
		wake := a.wake
		a.mu.Unlock()
		if len(out) > 0 || !time.Now().Before(deadline) {
			if out == nil {
				out = []json.RawMessage{}
			}
			writeOK(w, out)
			return
		}
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-wake:
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
		t.Stop()
	}
}
