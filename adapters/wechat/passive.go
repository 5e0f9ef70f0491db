package wechat

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// The passive-reply claim.
//
// A push's handler may answer in its HTTP response (a passive reply) only
// until its budget runs out, but the reply is sent by the outbox Dispatcher,
// which calls Send after Engine.Handle committed it. The two meet here:
//
//  1. Before calling Handle, the handler registers a waiter under the
//     message ID, with its deadline.
//  2. Send, for a reply whose InReplyTo has a waiter before its deadline,
//     claims the waiter (removing it, under the hub's lock), hands it an
//     offer with the reply's text, and waits for the result.
//  3. The handler takes the offer, writes the passive response and reports
//     how much of the reply it carried; Send returns nil, and the outbox
//     entry is deleted. If the write failed, Send sends by the
//     customer-service API instead.
//  4. When the budget runs out first, the handler removes its waiter (under
//     the same lock) and answers "success". A Send that comes later finds no
//     waiter and uses the customer-service API. If Send claimed the waiter
//     just before, the handler sees that and takes the offer after all.
//
// So exactly one of the two paths delivers each reply. A retry of the same
// push that arrives while a waiter exists evicts it: WeChat has given up on
// the first connection, so a passive reply written there would be lost.

// errNoPassive tells Send that the handler could not reply passively.
var errNoPassive = errors.New("wechat: the webhook request ended without a passive reply")

// passiveHub holds the waiting handlers and the IDs of replies that went out
// inside another reply's passive response. It is safe for concurrent use.
type passiveHub struct {
	mu        sync.Mutex
	waiting   map[string]*waiter   // by inbound message ID
	delivered map[string]time.Time // reply ID → when it went out passively
}

// waiter is one handler waiting for its reply.
type waiter struct {
	id       string
	deadline time.Time
	offers   chan *offer // capacity 1: the one claim never blocks
	claimed  bool        // guarded by passiveHub.mu
}

// offer is a reply handed from Send to a waiting handler.
type offer struct {
	reply core.Reply
	parts []string           // the reply's text split for WeChat
	done  chan passiveResult // capacity 1
}

// passiveResult is what the handler did with an offer: parts is how many
// leading parts of the reply it carried (0 when it wrote nothing).
type passiveResult struct {
	parts int
	err   error
}

func newPassiveHub() *passiveHub {
	return &passiveHub{waiting: make(map[string]*waiter), delivered: make(map[string]time.Time)}
}

// register adds a waiter for message id. An earlier waiter for the same id
// (WeChat's retry of a push whose connection it gave up on) is evicted: it
// can no longer be claimed, and its handler answers "success".
func (h *passiveHub) register(id string, deadline time.Time) *waiter {
	w := &waiter{id: id, deadline: deadline, offers: make(chan *offer, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.waiting[id] = w
	return w
}

// claim removes and returns the waiter for message id if there is one whose
// deadline is after now; nil otherwise.
func (h *passiveHub) claim(id string, now time.Time) *waiter {
	h.mu.Lock()
	defer h.mu.Unlock()
	w := h.waiting[id]
	if w == nil || !now.Before(w.deadline) {
		return nil
	}
	delete(h.waiting, id)
	w.claimed = true
	return w
}

// release ends w's wait. It returns nil when no Send claimed w (none will
// now), or the offer of the Send that did, which the caller must answer.
func (h *passiveHub) release(w *waiter) *offer {
	h.mu.Lock()
	if h.waiting[w.id] == w {
		delete(h.waiting, w.id)
	}
	claimed := w.claimed
	h.mu.Unlock()
	if !claimed {
		return nil
	}
	return <-w.offers // the claimer sends right after claiming
}

// abandon releases w when the handler will not reply passively at all.
func (h *passiveHub) abandon(w *waiter) {
	if o := h.release(w); o != nil {
		o.done <- passiveResult{err: errNoPassive}
	}
}

// hand gives the reply to the claimed waiter w and waits until its handler
// has written the response (or failed to).
func (w *waiter) hand(ctx context.Context, r core.Reply, parts []string) passiveResult {
	o := &offer{reply: r, parts: parts, done: make(chan passiveResult, 1)}
	w.offers <- o
	select {
	case res := <-o.done:
		return res
	case <-ctx.Done():
		return passiveResult{err: ctx.Err()}
	}
}

// deliveredTTL bounds how long a reply ID marked delivered is remembered
// when its Send never comes (another process sent it).
const deliveredTTL = 10 * time.Minute

// markDelivered records reply IDs that went out inside a passive response,
// so that their own Send does not send them again.
func (h *passiveHub) markDelivered(ids []string, now time.Time) {
	if len(ids) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, at := range h.delivered {
		if now.Sub(at) > deliveredTTL {
			delete(h.delivered, id)
		}
	}
	for _, id := range ids {
		h.delivered[id] = now
	}
}

// unmarkDelivered undoes markDelivered after a failed write.
func (h *passiveHub) unmarkDelivered(ids []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		delete(h.delivered, id)
	}
}

// takeDelivered reports whether reply id went out passively, and forgets it.
func (h *passiveHub) takeDelivered(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.delivered[id]
	delete(h.delivered, id)
	return ok
}

// waiters returns how many handlers are waiting (for tests and metrics).
func (h *passiveHub) waiters() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.waiting)
}
