package slack

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseEvent feeds arbitrary bodies to the pure inbound path: the Events
// API parser, the classifier, the message builders and the interaction
// parser must never panic, and what they build must be addressable. The
// seed corpus in testdata/fuzz/FuzzParseEvent holds real payload shapes.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(vectors[1].body))
	for _, name := range []string{"event_file_share.json", "event_thread_broadcast.json", "event_mpim.json",
		"event_tokens_revoked.json", "event_app_uninstalled.json", "app_rate_limited.json", "event_other_app_bot_user.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = parseInteraction(body)
		_, _ = parseInteractionForm(body)
		req, err := parseRequest(body)
		if err != nil || req.kind != kindMessage {
			return
		}
		rt, why := classify(req.msg, tdSelf, tdSupport)
		switch rt {
		case routeIgnore:
			if why == "" {
				t.Fatal("ignored without a reason")
			}
		case routeCustomer:
			m := customerMessage(req.eventID, req.msg, tdSelf)
			if m.Key.Platform != Platform || m.Key.Chat == "" || m.Key.User == "" || m.ID == "" {
				t.Fatalf("customer message without address: %+v", m)
			}
			if n := len(m.DedupeKeys); n == 0 || m.DedupeKeys[n-1] != "slack:msg:"+req.msg.channel+":"+req.msg.ts {
				t.Fatalf("dedupe keys %v", m.DedupeKeys)
			}
			if m.Key.Chat == tdSupport {
				t.Fatal("a support-channel message went to the bot")
			}
			checkPieces(t, m.Text)
		case routeAgent:
			if req.msg.channel != tdSupport || req.msg.threadTS == "" || req.msg.botID != "" {
				t.Fatalf("agent message outside a support thread: %+v", req.msg)
			}
			checkPieces(t, agentText(req.msg, tdSelf, func(id string) string { return id }))
		}
	})
}

// checkPieces checks that a text escaped and split for sending stays whole
// and within the limit.
func checkPieces(t *testing.T, text string) {
	esc := escape(text)
	pieces := split(esc, 64)
	if strings.Join(pieces, "") != esc {
		t.Fatalf("split lost text: %q", text)
	}
	for _, p := range pieces {
		if utf8.RuneCountInString(p) > 64 {
			t.Fatalf("piece over the limit: %q", p)
		}
	}
}
