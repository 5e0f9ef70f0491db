package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-gw/switchboard/core"
)

// Duty is the engine's part that knows teams and who is on duty;
// *core.Engine implements it. Without it the duty commands answer that
// routing is not available.
type Duty interface {
	SetDuty(ctx context.Context, teams []string, agentID, name string, on bool) ([]string, error)
	Teams() []core.Team
}

// isDesk reports whether channel is a desk channel: the support channel
// or a team's channel.
func (a *Adapter) isDesk(channel string) bool {
	return channel != "" && (channel == a.cfg.SupportChannel || slices.Contains(a.cfg.DeskChannels, channel))
}

// deskFor is the support channel to classify a message in channel with:
// the channel itself when it is a team's, else the support channel.
func (a *Adapter) deskFor(channel string) string {
	if a.isDesk(channel) {
		return channel
	}
	return a.cfg.SupportChannel
}

// dutyWord reads "!on" / "!off" (any case, surrounding space allowed).
func dutyWord(text string) (on, ok bool) {
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "!on":
		return true, true
	case "!off":
		return false, true
	}
	return false, false
}

// handleDutyMessage handles "!on" or "!off" typed in a desk channel (at the
// top level or in a thread): the writer goes on or off duty for the
// channel's team and is told privately. It reports whether the message
// was a duty command.
func (a *Adapter) handleDutyMessage(ctx context.Context, sm slackMessage) (bool, error) {
	if !a.isDesk(sm.channel) || sm.botID != "" || sm.user == "" || sm.user == a.self.userID || sm.subtype != "" {
		return false, nil
	}
	on, ok := dutyWord(sm.text)
	if !ok {
		return false, nil
	}
	reply, err := a.setDuty(ctx, sm.channel, sm.user, "", on)
	if err != nil {
		return true, err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sideEffectTimeout)
	defer cancel()
	opts := []slack.MsgOption{slack.MsgOptionText(reply, false)}
	if sm.threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(sm.threadTS))
	}
	if _, err := a.api.PostEphemeralContext(ctx, sm.channel, sm.user, opts...); err != nil {
		a.log.WarnContext(ctx, "slack: duty confirmation failed", "err", sendErr("chat.postEphemeral", err))
	}
	return true, nil
}

// setDuty puts user on or off duty for the named team, else the teams of
// channel, else (outside team channels) every team, and returns what to
// tell them.
func (a *Adapter) setDuty(ctx context.Context, channel, user, team string, on bool) (string, error) {
	d, ok := a.eng.(Duty)
	if !ok {
		return "Duty is not available: this gateway has no teams.", nil
	}
	var teams []string
	switch {
	case team != "":
		known := false
		var names []string
		for _, t := range d.Teams() {
			names = append(names, t.Name)
			known = known || t.Name == team
		}
		if !known {
			return fmt.Sprintf("There is no team %q. Teams: %s.", team, strings.Join(names, ", ")), nil
		}
		teams = []string{team}
	default:
		for _, t := range d.Teams() {
			if t.Channel == channel {
				teams = append(teams, t.Name)
			}
		}
	}
	name := a.names.get(ctx, user)
	changed, err := d.SetDuty(ctx, teams, user, name, on)
	if err != nil {
		return "", fmt.Errorf("slack: duty of %s: %w", user, err)
	}
	a.log.InfoContext(ctx, "slack: duty changed", "user", user, "on", on, "teams", changed)
	if on {
		return "You are on duty for " + strings.Join(changed, ", ") + ": new cases may be assigned to you. Type !off or /switchboard off when you stop.", nil
	}
	return "You are off duty for " + strings.Join(changed, ", ") + ": no new cases will be assigned to you. Your open cases stay yours.", nil
}

// slashCommand is the part of a slash command request the adapter uses.
type slashCommand struct {
	command, text, userID, userName, channelID string
}

// parseSlashCommand reads a slash command's form body with slack-go.
func parseSlashCommand(body []byte) (slashCommand, error) {
	r, err := http.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	if err != nil {
		return slashCommand{}, fmt.Errorf("slack: slash command: %w", err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sc, err := slack.SlashCommandParse(r)
	if err != nil {
		return slashCommand{}, fmt.Errorf("slack: slash command is not a form: %w", err)
	}
	if sc.Command == "" || sc.UserID == "" {
		return slashCommand{}, errors.New("slack: slash command without command or user_id")
	}
	return slashCommand{command: sc.Command, text: sc.Text, userID: sc.UserID, userName: sc.UserName, channelID: sc.ChannelID}, nil
}

// commandHelp answers an unknown /switchboard use.
const commandHelp = "Usage: /switchboard on [team] puts you on duty (new cases may be assigned to you), /switchboard off [team] takes you off. Without a team: the team of this channel, or every team outside team channels. In a team channel !on and !off do the same."

// serveCommands answers a slash command request (POST
// /webhooks/slack/commands): 401 for a bad signature, 400 for a body that
// is not a slash command, 500 when the duty could not be stored, else 200
// with an ephemeral answer for the agent.
func (a *Adapter) serveCommands(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, ok := a.readVerified(w, r)
	if !ok {
		return
	}
	sc, err := parseSlashCommand(body)
	if err != nil {
		a.log.WarnContext(ctx, "slack: bad slash command", "err", err)
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	reply, err := a.dutyCommand(ctx, sc)
	if err != nil {
		a.log.ErrorContext(ctx, "slack: duty not stored", "err", err)
		http.Error(w, "temporarily unavailable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"response_type": "ephemeral", "text": reply})
}

// dutyCommand carries out "/switchboard on|off [team]" and returns the
// answer for the agent (the usage for anything else).
func (a *Adapter) dutyCommand(ctx context.Context, sc slashCommand) (string, error) {
	word, team, _ := strings.Cut(strings.TrimSpace(sc.text), " ")
	switch strings.ToLower(word) {
	case "on", "off":
		return a.setDuty(ctx, sc.channelID, sc.userID, strings.TrimSpace(team), strings.EqualFold(word, "on"))
	}
	return commandHelp, nil
}

// handleSocketCommand handles a slash command that came over Socket Mode
// (its payload is the command as JSON): the answer is posted as an
// ephemeral message, since the envelope's acknowledgement carries none
// here.
func (a *Adapter) handleSocketCommand(ctx context.Context, payload []byte) error {
	var raw slack.SlashCommand
	if err := json.Unmarshal(payload, &raw); err != nil || raw.Command == "" || raw.UserID == "" {
		a.log.WarnContext(ctx, "slack: bad slash command over socket mode", "err", err)
		return nil // it will not parse next time either
	}
	sc := slashCommand{command: raw.Command, text: raw.Text, userID: raw.UserID, userName: raw.UserName, channelID: raw.ChannelID}
	reply, err := a.dutyCommand(ctx, sc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sideEffectTimeout)
	defer cancel()
	if _, err := a.api.PostEphemeralContext(ctx, sc.channelID, sc.userID, slack.MsgOptionText(reply, false)); err != nil {
		a.log.WarnContext(ctx, "slack: slash command answer failed", "err", sendErr("chat.postEphemeral", err))
	}
	return nil
}

// presenceTTL is how long a user's presence is trusted.
const presenceTTL = time.Minute

// presenceCache keeps users' presence for presenceTTL.
type presenceCache struct {
	mu sync.Mutex
	m  map[string]cachedPresence
}

type cachedPresence struct {
	active  bool
	expires time.Time
}

// Present reports whether a user is active in Slack (users.getPresence,
// users:read), cached for a minute per user; an error when Slack does not
// tell. The engine skips agents who are away in teams that follow
// presence.
func (a *Adapter) Present(ctx context.Context, userID string) (bool, error) {
	now := a.cfg.Now()
	a.avail.mu.Lock()
	c, ok := a.avail.m[userID]
	a.avail.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.active, nil
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	p, err := a.api.GetUserPresenceContext(ctx, userID)
	if err != nil {
		return false, sendErr("users.getPresence", err)
	}
	c = cachedPresence{active: p.Presence == "active", expires: now.Add(presenceTTL)}
	a.avail.mu.Lock()
	if len(a.avail.m) >= maxNames {
		clear(a.avail.m)
	}
	a.avail.m[userID] = c
	a.avail.mu.Unlock()
	return c.active, nil
}
