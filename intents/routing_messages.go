package intents

import (
	"slices"

	"github.com/switchboard-gw/switchboard/core"
)

// Message keys of the routing notices (top-level responses:). Their texts
// see the engine's values as slots: {{.Slots.next_open}},
// {{.Slots.position}} and {{.Slots.wait}}, {{.Slots.team}}.
const (
	MsgAfterHours  = "after_hours" // core.NoticeAfterHours: the team is closed
	MsgQueue       = "queue"       // core.NoticeQueue: every agent is busy
	MsgTransferred = "transferred" // core.NoticeTransferred: an agent moved the case to another team
)

// routingMessageKeys are the routing keys allowed under responses:.
var routingMessageKeys = []string{MsgAfterHours, MsgQueue, MsgTransferred}

// responseKeys are all keys allowed under responses:.
func responseKeys() []string { return append(slices.Clone(messageKeys), routingMessageKeys...) }

// routingNotice renders the owner's text of a routing notice, with the
// engine's values in the slots; false when the bot has none.
func (u *Understander) routingNotice(kind string, in core.Input) (core.ReplyText, bool) {
	l := u.bot.Messages[kind]
	if len(l) == 0 {
		return core.ReplyText{}, false
	}
	text, _, err := l.Render(u.rng(in), u.language(in), u.defaultLang, Data{UserName: in.State.UserName, Slots: in.State.Slots})
	if err != nil {
		return core.ReplyText{}, false
	}
	return core.ReplyText{Text: text}, true
}
