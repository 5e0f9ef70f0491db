package web

import (
	"sync"
)

// hub fans live events out to the event streams of each conversation. It is
// in memory only: an event published while a conversation has no stream is
// not kept (the transcript has it). It is safe for concurrent use.
type hub struct {
	buffer int // capacity of each subscriber's channel
	max    int // streams per conversation; the oldest is dropped beyond it

	mu     sync.Mutex
	closed bool
	subs   map[string][]*subscriber // by ConversationKey.String(), oldest first
}

// subscriber is one live event stream. Its channel is closed by the hub when
// the stream is dropped (too slow, too many streams, hub closed) or removed.
type subscriber struct {
	ch     chan []byte
	closed bool // guarded by hub.mu
}

func newHub(buffer, max int) *hub {
	return &hub{buffer: buffer, max: max, subs: make(map[string][]*subscriber)}
}

// subscribe adds a stream to the conversation key and returns it, or nil when
// the hub is closed. The caller must call unsubscribe when it stops reading.
func (h *hub) subscribe(key string) *subscriber {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	s := &subscriber{ch: make(chan []byte, h.buffer)}
	list := append(h.subs[key], s)
	for len(list) > h.max {
		h.closeLocked(list[0])
		list = list[1:]
	}
	h.subs[key] = list
	return s
}

// unsubscribe removes s from key and closes its channel if still open.
// Calling it more than once is harmless.
func (h *hub) unsubscribe(key string, s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(key, s)
	h.closeLocked(s)
}

// publish offers frame to every stream of key without blocking. A stream
// whose buffer is full is dropped: its channel is closed, so its handler ends
// and the page reconnects and re-fetches what it missed. It returns how many
// streams received the frame.
func (h *hub) publish(key string, frame []byte) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, s := range h.subs[key] {
		select {
		case s.ch <- frame:
			n++
		default:
			h.removeLocked(key, s)
			h.closeLocked(s)
		}
	}
	return n
}

// count returns the number of live streams of key.
func (h *hub) count(key string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[key])
}

// close drops every stream and makes later subscribes return nil.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for key, list := range h.subs {
		for _, s := range list {
			h.closeLocked(s)
		}
		delete(h.subs, key)
	}
}

func (h *hub) removeLocked(key string, s *subscriber) {
	list := h.subs[key]
	for i, x := range list {
		if x == s {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(h.subs, key)
	} else {
		h.subs[key] = list
	}
}

func (h *hub) closeLocked(s *subscriber) {
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}
