package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/switchboard-gw/switchboard/core"
)

// MaxBodyBytes is the largest interaction body the endpoint reads.
const MaxBodyBytes = 1 << 20

// Names of the slash command and its option.
const (
	CommandName    = "ask"
	QuestionOption = "question"
)

// interactionTokenPrefix marks a ReplyTo that holds an interaction token.
const interactionTokenPrefix = "interaction:"

// quickReplyPrefix starts the custom_id of quick-reply buttons.
const quickReplyPrefix = "qr:"

// errNotInteraction marks a body that is not a usable interaction.
var errNotInteraction = errors.New("not a Discord interaction")

// inbound is what one interaction asks of the adapter.
type inbound struct {
	// Ping is set for PING (answered with PONG).
	Ping bool
	// Message is the customer's message for /ask and button presses.
	Message *core.Message
	// Notice, when Message is nil and Ping false, is shown to the user
	// (ephemeral) instead: an unknown command, an empty question.
	Notice string
}

// parseInteraction decodes and normalizes an interaction body. It returns
// an error wrapping errNotInteraction when body is not a JSON interaction
// with an id, a token and a known shape. It does no I/O.
func parseInteraction(body []byte) (inbound, error) {
	var i discordgo.Interaction
	if err := json.Unmarshal(body, &i); err != nil {
		return inbound{}, fmt.Errorf("%w: %s", errNotInteraction, describeJSONError(err))
	}
	switch i.Type {
	case discordgo.InteractionPing:
		return inbound{Ping: true}, nil
	case discordgo.InteractionApplicationCommand, discordgo.InteractionMessageComponent:
	default:
		return inbound{Notice: "This interaction is not supported."}, checkIDs(&i)
	}
	if err := checkIDs(&i); err != nil {
		return inbound{}, err
	}
	user := i.User
	if i.Member != nil && i.Member.User != nil {
		user = i.Member.User
	}
	if user == nil || !snowflake(user.ID) {
		return inbound{}, fmt.Errorf("%w: no user", errNotInteraction)
	}
	var text string
	switch d := i.Data.(type) {
	case discordgo.ApplicationCommandInteractionData:
		if d.Name != CommandName {
			return inbound{Notice: "Unknown command: /" + d.Name}, nil
		}
		if o := d.GetOption(QuestionOption); o != nil {
			text, _ = o.Value.(string)
		}
	case discordgo.MessageComponentInteractionData:
		text = buttonLabel(i.Message, d.CustomID)
	default:
		return inbound{}, fmt.Errorf("%w: no data", errNotInteraction)
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return inbound{Notice: "Please type your question after /ask."}, nil
	}
	return inbound{Message: &core.Message{
		Key:        core.ConversationKey{Platform: Platform, Chat: i.ChannelID, User: user.ID},
		ID:         i.ID,
		DedupeKeys: []string{"discord:interaction:" + i.ID},
		Text:       text,
		UserName:   displayName(user, i.Member),
		ReplyTo:    interactionTokenPrefix + i.Token,
	}}, nil
}

func checkIDs(i *discordgo.Interaction) error {
	switch {
	case !snowflake(i.ID):
		return fmt.Errorf("%w: no id", errNotInteraction)
	case i.Token == "" || strings.ContainsAny(i.Token, "/?#% "):
		return fmt.Errorf("%w: no usable token", errNotInteraction)
	case !snowflake(i.ChannelID) && i.Type != discordgo.InteractionPing:
		return fmt.Errorf("%w: no channel_id", errNotInteraction)
	}
	return nil
}

// buttonLabel returns the label of the button with customID in m (what the
// customer clicked), or the text encoded in customID when m no longer
// carries it.
func buttonLabel(m *discordgo.Message, customID string) string {
	if m != nil {
		for _, c := range m.Components {
			row, ok := c.(*discordgo.ActionsRow)
			if !ok {
				continue
			}
			for _, b := range row.Components {
				if btn, ok := b.(*discordgo.Button); ok && btn.CustomID == customID && btn.Label != "" {
					return btn.Label
				}
			}
		}
	}
	s := strings.TrimPrefix(customID, quickReplyPrefix)
	if _, rest, ok := strings.Cut(s, ":"); ok {
		return rest
	}
	return s
}

func displayName(u *discordgo.User, m *discordgo.Member) string {
	switch {
	case m != nil && m.Nick != "":
		return m.Nick
	case u.GlobalName != "":
		return u.GlobalName
	}
	return u.Username
}

func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q has the wrong type (JSON %s)", typ.Field, typ.Value)
	default:
		return "invalid JSON"
	}
}

// verify checks the request's Ed25519 signature with discordgo's
// VerifyInteraction and that X-Signature-Timestamp is within the window. It
// leaves the body readable.
func (a *Adapter) verify(r *http.Request) error {
	if !discordgo.VerifyInteraction(r, a.pub) {
		return errors.New("bad signature")
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-Signature-Timestamp"), 10, 64)
	if err != nil {
		return errors.New("bad timestamp")
	}
	if d := a.now().Sub(time.Unix(ts, 0)).Abs(); d > a.cfg.TimestampWindow {
		return fmt.Errorf("timestamp %s off (window %s)", d.Round(time.Second), a.cfg.TimestampWindow)
	}
	return nil
}

func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := a.verify(r); err != nil {
		a.log.WarnContext(ctx, "discord: interaction refused", "reason", err.Error(), "remote", r.RemoteAddr)
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	if a.h == nil {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "could not read body", http.StatusBadRequest)
		return
	}
	in, err := parseInteraction(body)
	if err != nil {
		a.log.WarnContext(ctx, "discord: body is not an interaction", "err", err, "bytes", len(body))
		http.Error(w, "body is not a Discord interaction", http.StatusBadRequest)
		return
	}
	switch {
	case in.Ping:
		writeResponse(w, &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
	case in.Message == nil:
		writeResponse(w, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: in.Notice, Flags: discordgo.MessageFlagsEphemeral},
		})
	default:
		if err := a.handle(ctx, *in.Message); err != nil {
			a.log.ErrorContext(ctx, "discord: handling interaction failed", "interaction", in.Message.ID, "err", err)
			http.Error(w, "could not handle the interaction", http.StatusInternalServerError)
			return
		}
		// The answer follows through the outbox as a follow-up message.
		writeResponse(w, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
	}
}

// handle hands m to the Handler.
func (a *Adapter) handle(ctx context.Context, m core.Message) error {
	res, err := a.h.Handle(ctx, m)
	if err != nil {
		return fmt.Errorf("discord: handle %s: %w", m.ID, err)
	}
	a.log.DebugContext(ctx, "discord: message handled", "message", m.ID, "duplicate", res.Duplicate,
		"replies", len(res.Replies))
	return nil
}

func writeResponse(w http.ResponseWriter, resp *discordgo.InteractionResponse) {
	b, err := json.Marshal(resp)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// RegisterCommands registers the /ask slash command (with its required
// "question" option), replacing the application's other commands, globally
// or in Config.GuildID. It is idempotent; run it once after set-up and after
// upgrades (`switchboard discord register-commands`).
func (a *Adapter) RegisterCommands(ctx context.Context) error {
	contexts := []discordgo.InteractionContextType{discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM}
	install := []discordgo.ApplicationIntegrationType{discordgo.ApplicationIntegrationGuildInstall}
	cmd := &discordgo.ApplicationCommand{
		Name:             CommandName,
		Description:      "Ask the support bot a question",
		Type:             discordgo.ChatApplicationCommand,
		Contexts:         &contexts,
		IntegrationTypes: &install,
		Options: []*discordgo.ApplicationCommandOption{{
			Type: discordgo.ApplicationCommandOptionString, Name: QuestionOption,
			Description: "Your question", Required: true, MaxLength: 1000,
		}},
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.HTTPTimeout)
	defer cancel()
	_, err := a.session.ApplicationCommandBulkOverwrite(a.cfg.ApplicationID, a.cfg.GuildID,
		[]*discordgo.ApplicationCommand{cmd}, discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("discord: register commands: %w", apiError(err, ""))
	}
	a.log.InfoContext(ctx, "discord: /ask registered", "guild", a.cfg.GuildID)
	return nil
}
