package slack

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/slack-go/slack"
)

// The action_ids of the adapter's buttons.
const (
	actionTake       = "switchboard_take"  // case message: the agent takes the conversation
	actionGiveBack   = "switchboard_bot"   // case message: the agent gives it back to the bot
	actionClose      = "switchboard_close" // case message: the agent closes the case
	actionQuickReply = "switchboard_reply" // prefix; a customer's quick-reply button
)

// click is one press of one of the adapter's buttons.
type click struct {
	actionID  string
	value     string
	userID    string
	userName  string
	channel   string
	messageTS string
	threadTS  string
	triggerID string
	actionTS  string
}

// id returns a stable identity of the click for message ids and dedupe
// keys: the trigger id, which Slack makes unique per interaction.
func (c click) id() string {
	if c.triggerID != "" {
		return c.triggerID
	}
	return c.channel + ":" + c.actionTS
}

// parseInteractionForm reads the form-encoded body Slack POSTs to the
// interactivity URL ("payload=<json>").
func parseInteractionForm(body []byte) ([]click, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("slack: interaction body is not a form: %w", err)
	}
	p := form.Get("payload")
	if p == "" {
		return nil, errors.New("slack: interaction body without payload")
	}
	return parseInteraction([]byte(p))
}

// parseInteraction reads an interaction payload (JSON, as in the form's
// payload field or a Socket Mode "interactive" envelope) and returns the
// presses of the adapter's buttons in it. Other interactions give none.
func parseInteraction(payload []byte) ([]click, error) {
	var ic slack.InteractionCallback
	if err := json.Unmarshal(payload, &ic); err != nil {
		return nil, fmt.Errorf("slack: interaction payload: %w", err)
	}
	if ic.Type != slack.InteractionTypeBlockActions {
		return nil, nil
	}
	channel := ic.Channel.ID
	if channel == "" {
		channel = ic.Container.ChannelID
	}
	var out []click
	for _, a := range ic.ActionCallback.BlockActions {
		if a == nil || (a.ActionID != actionTake && a.ActionID != actionGiveBack && !strings.HasPrefix(a.ActionID, actionQuickReply)) {
			continue
		}
		name := ic.User.Name
		if name == "" {
			name = ic.User.Username
		}
		out = append(out, click{
			actionID: a.ActionID, value: a.Value, userID: ic.User.ID, userName: name, channel: channel,
			messageTS: ic.Container.MessageTs, threadTS: ic.Container.ThreadTs,
			triggerID: ic.TriggerID, actionTS: a.ActionTs,
		})
	}
	return out, nil
}
