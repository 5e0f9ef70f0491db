package discord

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/gorilla/websocket"
)

// gateway is a minimal Discord gateway: Hello, Identify → READY,
// heartbeat ACKs, Resume → replay of the events after the client's sequence
// → RESUMED, and dispatch of events to every identified connection. One
// session is kept per bot; events dispatched while no connection is open
// are replayed on resume, as Discord does.
type gateway struct {
	api      *API
	upgrader websocket.Upgrader

	mu         sync.Mutex
	conns      map[*gwConn]bool
	events     []gwEvent // the session's dispatches, seq 1..n
	sessionID  string
	intents    int
	identifies int
	resumes    int
}

type gwConn struct {
	ws    *websocket.Conn
	wmu   sync.Mutex
	ready bool
}

type gwEvent struct {
	Op int             `json:"op"`
	T  string          `json:"t,omitempty"`
	S  int             `json:"s,omitempty"`
	D  json.RawMessage `json:"d"`
}

func newGateway(a *API) *gateway {
	return &gateway{api: a, conns: make(map[*gwConn]bool)}
}

// GatewayStats says how the gateway was used.
type GatewayStats struct {
	Identifies  int // Identify (op 2) packets: new sessions
	Resumes     int // Resume (op 6) packets
	Connections int // open, identified or resumed connections
	Intents     int // intents of the last Identify
}

// Gateway returns the gateway's counters.
func (a *API) Gateway() GatewayStats {
	g := a.gw
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for c := range g.conns {
		if c.ready {
			n++
		}
	}
	return GatewayStats{Identifies: g.identifies, Resumes: g.resumes, Connections: n, Intents: g.intents}
}

// Dispatch sends an event (e.g. "MESSAGE_CREATE" with a MessageCreate
// payload) to every ready connection and keeps it for resumes.
func (a *API) Dispatch(eventType string, data []byte) { a.DispatchCount(eventType, data) }

// DispatchCount is Dispatch, and returns to how many ready gateway
// connections the event was written (0: no session was connected; the
// event is kept only for a Resume of the current session).
func (a *API) DispatchCount(eventType string, data []byte) int {
	g := a.gw
	g.mu.Lock()
	ev := gwEvent{Op: 0, T: eventType, S: len(g.events) + 1, D: json.RawMessage(data)}
	g.events = append(g.events, ev)
	var targets []*gwConn
	for c := range g.conns {
		if c.ready {
			targets = append(targets, c)
		}
	}
	g.mu.Unlock()
	for _, c := range targets {
		c.write(ev)
	}
	return len(targets)
}

// DropConnections closes every gateway connection abruptly (no close
// frame), as a network failure would; clients reconnect and resume.
func (a *API) DropConnections() { a.gw.closeAll() }

func (g *gateway) closeAll() {
	g.mu.Lock()
	conns := g.conns
	g.conns = make(map[*gwConn]bool)
	g.mu.Unlock()
	for c := range conns {
		_ = c.ws.Close()
	}
}

func (c *gwConn) write(v any) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.WriteJSON(v)
}

func (g *gateway) serve(w http.ResponseWriter, r *http.Request) {
	ws, err := g.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade wrote the error response
	}
	c := &gwConn{ws: ws}
	g.mu.Lock()
	g.conns[c] = true
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.conns, c)
		g.mu.Unlock()
		_ = ws.Close()
	}()
	c.write(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 41250}})
	for {
		var in struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if err := ws.ReadJSON(&in); err != nil {
			return
		}
		switch in.Op {
		case 1: // heartbeat
			c.write(map[string]any{"op": 11})
		case 2: // identify
			var id struct {
				Token   string `json:"token"`
				Intents int    `json:"intents"`
			}
			_ = json.Unmarshal(in.D, &id)
			if id.Token != "Bot "+g.api.token {
				c.wmu.Lock()
				_ = ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."))
				c.wmu.Unlock()
				return
			}
			g.mu.Lock()
			g.identifies++
			g.intents = id.Intents
			g.sessionID = "fake-session-" + strconv.Itoa(g.identifies)
			g.events = nil
			ready, _ := json.Marshal(map[string]any{
				"v": 9, "user": g.api.bot, "session_id": g.sessionID, "guilds": []any{},
				"resume_gateway_url": "ws://" + r.Host + "/gateway", "application": map[string]any{"id": g.api.appID, "flags": 0},
			})
			ev := gwEvent{Op: 0, T: "READY", S: 1, D: ready}
			g.events = append(g.events, ev)
			c.ready = true
			g.mu.Unlock()
			c.write(ev)
		case 6: // resume
			var res struct {
				SessionID string `json:"session_id"`
				Seq       int    `json:"seq"`
			}
			_ = json.Unmarshal(in.D, &res)
			g.mu.Lock()
			if res.SessionID != g.sessionID {
				g.mu.Unlock()
				c.write(map[string]any{"op": 9, "d": false}) // invalid session
				continue
			}
			g.resumes++
			missed := append([]gwEvent(nil), g.events[min(res.Seq, len(g.events)):]...)
			resumed := gwEvent{Op: 0, T: "RESUMED", S: len(g.events), D: json.RawMessage(`{}`)}
			c.ready = true
			g.mu.Unlock()
			c.write(resumed)
			for _, ev := range missed {
				c.write(ev)
			}
		}
	}
}
