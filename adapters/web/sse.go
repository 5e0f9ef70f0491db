package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// retryMillis is the reconnect delay the event stream suggests to EventSource.
const retryMillis = 2000

// serveEvents streams the conversation's new bot and agent messages as
// Server-Sent Events until the client goes away, the stream is dropped for
// being too slow or for a newer stream of the same session beyond
// MaxSubscribers, it reaches StreamMaxLife, or the adapter is closed. Every
// event is flushed at once; a comment line is sent every Heartbeat to keep
// idle proxies from closing the stream. A client address with
// MaxStreamsPerClient open streams gets 429, a server with MaxStreams 503.
func (a *Adapter) serveEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var sess authSession
	if t := r.URL.Query().Get("ticket"); t != "" {
		var err error
		if sess, err = a.authTicket(ctx, t); err != nil {
			a.authFailed(w, r, err)
			return
		}
	} else {
		var ok bool
		if sess, ok = a.auth(w, r, false); !ok { // never a token in the URL: it would reach logs and history
			return
		}
	}
	release, why := a.limits.openStream(a.cfg.ClientAddr(r))
	switch why {
	case streamClientFull:
		tooMany(w, 5*time.Second, "too many open event streams from your address")
		return
	case streamServerFull:
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "too many open event streams, please retry")
		return
	}
	defer release()
	// Subscribe before the response starts: anything published after this
	// point reaches the stream, anything before is in the transcript the page
	// fetches once the stream is open, so nothing falls in between.
	conv := sess.key.String()
	sub := a.hub.subscribe(conv)
	if sub == nil {
		writeError(w, http.StatusServiceUnavailable, "the server is shutting down, please retry")
		return
	}
	defer a.hub.unsubscribe(conv, sub)

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // tell nginx not to buffer the stream
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return // the headers are the whole answer; do not hold the connection
	}

	// The deadline covers one write and is renewed before each, so a
	// server-wide WriteTimeout does not cut a long-lived stream while a
	// client that stops reading is still noticed.
	writeTimeout := a.cfg.Heartbeat + 10*time.Second
	write := func(b []byte) error {
		if err := rc.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := write(fmt.Appendf(nil, "retry: %d\n: connected\n\n", retryMillis)); err != nil {
		a.logger.DebugContext(ctx, "web: event stream not started", "err", err)
		return
	}

	tick := time.NewTicker(a.cfg.Heartbeat)
	defer tick.Stop()
	life := time.NewTimer(a.cfg.StreamMaxLife)
	defer life.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case <-life.C:
			return // EventSource reconnects (after retryMillis) and re-authenticates
		case frame, open := <-sub.ch:
			if !open {
				return // dropped (slow or too many streams) or the adapter closed
			}
			err = write(frame)
		case <-tick.C:
			err = write([]byte(": heartbeat\n\n"))
		}
		if err != nil {
			a.logger.DebugContext(ctx, "web: event stream ended", "err", err)
			return
		}
	}
}

// encodeEvent returns the SSE frame of one "message" event. The id line lets
// EventSource report the last id it saw; characters that would break the
// frame (CR, LF, NUL) are dropped from it. The JSON data holds no raw newline.
func encodeEvent(m wireMessage) ([]byte, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("web: encode event %s: %w", m.ID, err)
	}
	id := strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == 0 {
			return -1
		}
		return r
	}, m.ID)
	return fmt.Appendf(nil, "event: message\nid: %s\ndata: %s\n\n", id, data), nil
}
