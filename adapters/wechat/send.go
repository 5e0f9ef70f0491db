package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
	"golang.org/x/time/rate"

	"github.com/switchboard-gw/switchboard/core"
)

// Store namespaces of the adapter's small records (core.Store Get/Put).
const (
	// partsNamespace: how many parts of a long reply were sent, by reply ID,
	// so that a retried Send does not repeat them.
	partsNamespace = "wechat_parts"
	// quickNamespace: the numbered quick replies last shown to an openid,
	// so that the customer may answer with the number.
	quickNamespace = "wechat_quick"
	partsTTL       = 72 * time.Hour
	quickTTL       = 30 * time.Minute
)

// Send delivers r to the customer: inside the HTTP response of the push it
// answers when that push's handler is still within its budget (a passive
// reply), else through the customer-service message API
// (message/custom/send). A text over MaxTextBytes goes as several messages;
// the parts already sent are recorded in the store, so a retry sends only
// the rest.
//
// Send returns nil once WeChat accepted every part, and a *core.SendError
// otherwise: Permanent for 45015 (the customer did not write within 48
// hours, or unfollowed), 45047 (the per-customer quota of customer-service
// messages is used up), 43004, 40003, 48001 and unknown codes; RetryAfter
// for quota errors 45009 and 45011; temporary for -1, HTTP 5xx, transport
// errors and an access token rejected twice (40001, 40014, 42001 are
// retried once with a refreshed token). The error never contains the
// access token. Send is safe for concurrent use.
func (a *Adapter) Send(ctx context.Context, r core.Reply) error {
	if r.Key.Platform != Platform || r.Key.Chat == "" {
		return &core.SendError{Platform: Platform, Permanent: true,
			Err: fmt.Errorf("reply %s is not for a WeChat openid (platform %q)", r.ID, r.Key.Platform)}
	}
	if a.passive.takeDelivered(r.ID) {
		return nil // it went out inside the passive reply to an earlier reply of the same push
	}
	openID := r.Key.Chat
	parts := splitText(renderText(r), MaxTextBytes)
	if len(parts) == 0 {
		return nil
	}
	start := 0
	if w := a.passive.claim(r.InReplyTo, time.Now()); w != nil {
		res := w.hand(ctx, r, parts)
		if res.err != nil {
			a.log.InfoContext(ctx, "wechat: passive reply failed, using the customer-service API",
				"reply", r.ID, "err", res.err)
		}
		start = res.parts
		if start >= len(parts) {
			return nil
		}
		if start > 0 {
			a.saveProgress(ctx, r.ID, start)
		}
	} else if len(parts) > 1 {
		start = a.loadProgress(ctx, r.ID)
	}
	if len(r.QuickReplies) > 0 {
		a.rememberQuick(ctx, openID, r.QuickReplies)
	}
	for i := start; i < len(parts); i++ {
		if err := a.sendText(ctx, openID, parts[i]); err != nil {
			return err
		}
		if len(parts) > 1 && i+1 < len(parts) {
			a.saveProgress(ctx, r.ID, i+1)
		}
	}
	a.log.DebugContext(ctx, "wechat: customer-service message sent", "reply", r.ID, "parts", len(parts)-start)
	return nil
}

// sendText sends one text by the customer-service API, refreshing the
// access token once if WeChat rejects it.
func (a *Adapter) sendText(ctx context.Context, openID, text string) error {
	for attempt := 0; ; attempt++ {
		tok, err := a.tokens.get(ctx)
		if err != nil {
			return &core.SendError{Platform: Platform, Err: fmt.Errorf("get access token: %w", err)}
		}
		err = a.api.sendCustom(ctx, tok, message.NewCustomerTextMessage(openID, text))
		var ae *apiError
		if errors.As(err, &ae) && isTokenError(ae.code) && attempt == 0 {
			a.log.InfoContext(ctx, "wechat: access token rejected, refreshing", "errcode", ae.code)
			a.tokens.invalidate(tok)
			continue
		}
		return classify(scrub(err, tok, a.cfg.AppSecret))
	}
}

// classify turns an API error into the *core.SendError the Dispatcher acts on.
func classify(err error) error {
	if err == nil {
		return nil
	}
	se := &core.SendError{Platform: Platform, Err: err}
	var ae *apiError
	var st *statusError
	switch {
	case errors.As(err, &ae):
		se.Code = strconv.FormatInt(ae.code, 10)
		switch ae.code {
		case -1: // system busy
		case 40001, 40014, 42001: // token rejected again right after a refresh
		case 45009: // daily API quota reached
			se.RetryAfter = time.Hour
		case 45011: // per-minute API quota reached
			se.RetryAfter = time.Minute
		case 45015:
			se.Permanent = true
			se.Err = fmt.Errorf("the customer has not written to the account in the last 48 hours or has unfollowed it; "+
				"WeChat allows customer-service messages only within 48 hours of the customer's last action: %w", err)
		case 45047:
			se.Permanent = true
			se.Err = fmt.Errorf("WeChat's quota of customer-service messages per customer action is used up "+
				"(a few messages within 48 hours of each message from the customer): %w", err)
		default:
			se.Permanent = true
		}
	case errors.As(err, &st):
		se.Status = st.status
		se.RetryAfter = st.retryAfter
		se.Permanent = st.status >= 400 && st.status < 500 && st.status != 408 && st.status != 429
	}
	return se
}

func (a *Adapter) saveProgress(ctx context.Context, replyID string, sent int) {
	if err := a.store.Put(ctx, partsNamespace, replyID, []byte(strconv.Itoa(sent)), partsTTL); err != nil {
		a.log.WarnContext(ctx, "wechat: recording the parts sent failed; a retry may repeat them", "reply", replyID, "err", err)
	}
}

func (a *Adapter) loadProgress(ctx context.Context, replyID string) int {
	b, err := a.store.Get(ctx, partsNamespace, replyID)
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// rememberQuick stores the quick replies last shown to openID.
func (a *Adapter) rememberQuick(ctx context.Context, openID string, quick []string) {
	b, _ := json.Marshal(quick) // a []string always marshals
	if err := a.store.Put(ctx, quickNamespace, openID, b, quickTTL); err != nil {
		a.log.WarnContext(ctx, "wechat: remembering quick replies failed", "err", err)
	}
}

// pickQuickReply replaces a text that is just the number of a quick reply
// shown to the customer with that reply's text.
func (a *Adapter) pickQuickReply(ctx context.Context, m *core.Message) {
	n, err := strconv.Atoi(m.Text)
	if err != nil || n < 1 || n > 20 {
		return
	}
	b, err := a.store.Get(ctx, quickNamespace, m.Key.Chat)
	if err != nil {
		return
	}
	var quick []string
	if json.Unmarshal(b, &quick) == nil && n <= len(quick) {
		m.Text = quick[n-1]
	}
}

// RateLimits tells the Dispatcher WeChat's limits. WeChat publishes no
// per-second limit for customer-service messages; its limits are a daily
// API quota (45009, honoured with RetryAfter) and a per-customer quota of a
// few messages per customer action within 48 hours (45047, a dead letter).
// Per chat, replies are paced at 2 a second with a burst of 5 so that one
// answer's messages arrive in order without flooding. There is no
// platform-wide limit: passive replies also pass through the Dispatcher,
// and a platform-wide queue would push them past the 5-second window.
func (a *Adapter) RateLimits() core.RateLimits {
	return core.RateLimits{PerChat: rate.Every(500 * time.Millisecond), PerChatBurst: 5}
}
