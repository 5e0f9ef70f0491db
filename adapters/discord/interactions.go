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
	// Message is the customer's message for /ask, other commands, modal
	// submits, context-menu commands and button presses.
	Message *core.Message
	// Autocomplete is set for an autocomplete request (type 4): Typed is
	// what the user has typed so far, Language the client's language. It
	// is answered with type 8 and choices.
	Autocomplete bool
	Typed        string
	Language     string
	// Notice, when Message is nil and Ping and Autocomplete false, is shown
	// to the user (ephemeral) instead: an empty question, an unsupported
	// interaction.
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
	case discordgo.InteractionApplicationCommand, discordgo.InteractionMessageComponent,
		discordgo.InteractionApplicationCommandAutocomplete, discordgo.InteractionModalSubmit:
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
	chat := i.ChannelID
	if chat == "" {
		chat = channelObjectID(body)
	}
	if chat == "" {
		// Older DM shapes carry neither channel_id nor channel: the
		// follow-up goes through the interaction token, later messages to
		// the user's DM channel (see Send).
		if i.GuildID != "" {
			return inbound{}, fmt.Errorf("%w: guild interaction without channel_id", errNotInteraction)
		}
		chat = dmPrefix + user.ID
	}
	lang := primaryLanguage(string(i.Locale))
	var text, cmd string
	switch d := i.Data.(type) {
	case discordgo.ApplicationCommandInteractionData:
		if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
			return inbound{Autocomplete: true, Typed: focusedValue(d.Options), Language: lang}, nil
		}
		switch d.CommandType {
		case discordgo.MessageApplicationCommand:
			// "Apps → Ask the bot" on a message: that message is the question.
			if d.Resolved != nil {
				if m := d.Resolved.Messages[d.TargetID]; m != nil {
					text = m.Content
				}
			}
			if strings.TrimSpace(text) == "" {
				return inbound{Notice: "That message has no text to ask about."}, nil
			}
		case discordgo.UserApplicationCommand:
			// "Apps → …" on a user: say what the bot can do.
			cmd, text = "help", "/help"
		default:
			if d.Name == CommandName {
				if o := d.GetOption(QuestionOption); o != nil {
					text, _ = o.Value.(string)
				}
				break
			}
			// Any other slash command is a bot command: /start, /help or an
			// intent's name; its options are its arguments.
			cmd = strings.ToLower(d.Name)
			text = strings.TrimSpace("/" + d.Name + " " + strings.Join(optionValues(d.Options), " "))
		}
	case discordgo.MessageComponentInteractionData:
		text = buttonLabel(i.Message, d.CustomID)
	case discordgo.ModalSubmitInteractionData:
		text = strings.Join(modalValues(d.Components), "\n")
		if strings.TrimSpace(text) == "" {
			return inbound{Notice: "The form was empty: please write your question."}, nil
		}
	default:
		return inbound{}, fmt.Errorf("%w: no data", errNotInteraction)
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return inbound{Notice: "Please type your question after /ask."}, nil
	}
	m := &core.Message{
		Key:        core.ConversationKey{Platform: Platform, Chat: chat, User: user.ID},
		ID:         i.ID,
		DedupeKeys: []string{"discord:interaction:" + i.ID},
		Text:       text,
		UserName:   displayName(user, i.Member),
		ReplyTo:    interactionTokenPrefix + i.Token,
		Command:    cmd,
	}
	if cmd != "" {
		m.Language = lang
	}
	return inbound{Message: m}, nil
}

// dmPrefix marks a conversation's Chat that is a user id, for DMs whose
// interaction named no channel; Send opens the DM channel.
const dmPrefix = "@"

// channelObjectID returns channel.id of an interaction body (newer shapes
// carry the channel object besides, or instead of, channel_id), or "".
func channelObjectID(body []byte) string {
	var p struct {
		Channel *struct {
			ID string `json:"id"`
		} `json:"channel"`
	}
	if json.Unmarshal(body, &p) != nil || p.Channel == nil || !snowflake(p.Channel.ID) {
		return ""
	}
	return p.Channel.ID
}

// focusedValue returns the text of the option being typed in an
// autocomplete request, searching subcommand options too.
func focusedValue(opts []*discordgo.ApplicationCommandInteractionDataOption) string {
	for _, o := range opts {
		if o == nil {
			continue
		}
		if o.Focused {
			s, _ := o.Value.(string)
			return s
		}
		if v := focusedValue(o.Options); v != "" {
			return v
		}
	}
	return ""
}

// optionValues returns a command's option values as text, in order.
func optionValues(opts []*discordgo.ApplicationCommandInteractionDataOption) []string {
	var out []string
	for _, o := range opts {
		if o == nil {
			continue
		}
		switch v := o.Value.(type) {
		case string:
			out = append(out, v)
		case float64:
			out = append(out, strconv.FormatFloat(v, 'f', -1, 64))
		case bool:
			out = append(out, strconv.FormatBool(v))
		}
		out = append(out, optionValues(o.Options)...)
	}
	return out
}

// modalValues returns the non-empty values of a modal's text inputs.
func modalValues(comps []discordgo.MessageComponent) []string {
	var out []string
	for _, c := range comps {
		switch c := c.(type) {
		case *discordgo.ActionsRow:
			out = append(out, modalValues(c.Components)...)
		case *discordgo.TextInput:
			if v := strings.TrimSpace(c.Value); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// primaryLanguage returns the primary subtag of a Discord locale ("pt-BR"
// gives "pt", "zh-CN" "zh"), or "".
func primaryLanguage(locale string) string {
	l, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(locale)), "-")
	return l
}

func checkIDs(i *discordgo.Interaction) error {
	switch {
	case !snowflake(i.ID):
		return fmt.Errorf("%w: no id", errNotInteraction)
	case i.Token == "" || strings.ContainsAny(i.Token, "/?#% "):
		return fmt.Errorf("%w: no usable token", errNotInteraction)
	case i.ChannelID != "" && !snowflake(i.ChannelID):
		return fmt.Errorf("%w: bad channel_id", errNotInteraction)
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
	case in.Autocomplete:
		writeJSON(w, autocompleteResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: autocompleteData{Choices: a.choices(in.Typed, in.Language)}})
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

// Suggester proposes questions for what a user has typed so far; the
// intents package's Understander implements it. Suggest must be fast (it
// answers inside Discord's 3 s) and safe for concurrent use.
type Suggester interface {
	Suggest(text, lang string, n int) []string
}

// maxChoices is the most choices an autocomplete result may carry.
const maxChoices = 25

// autocompleteResponse is an APPLICATION_COMMAND_AUTOCOMPLETE_RESULT (type
// 8). discordgo's InteractionResponseData would add content, tts and
// components, which this response type does not have.
type autocompleteResponse struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data autocompleteData                  `json:"data"`
}

type autocompleteData struct {
	Choices []*discordgo.ApplicationCommandOptionChoice `json:"choices"`
}

// choices are the autocomplete choices for typed: the suggester's
// questions (names and values at most 100 characters, as Discord requires),
// or none without a suggester.
func (a *Adapter) choices(typed, lang string) []*discordgo.ApplicationCommandOptionChoice {
	out := []*discordgo.ApplicationCommandOptionChoice{}
	if a.suggest == nil {
		return out
	}
	seen := map[string]bool{}
	for _, q := range a.suggest.Suggest(typed, lang, maxChoices) {
		q = truncateRunes(strings.TrimSpace(q), 100)
		if q == "" || seen[q] || len(out) == maxChoices {
			continue
		}
		seen[q] = true
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: q, Value: q})
	}
	return out
}

func writeResponse(w http.ResponseWriter, resp *discordgo.InteractionResponse) { writeJSON(w, resp) }

func writeJSON(w http.ResponseWriter, resp any) {
	b, err := json.Marshal(resp)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// Names of the other commands RegisterCommands registers.
const (
	StartCommand    = "start"
	HelpCommand     = "help"
	AskAboutCommand = "Ask the bot" // message context menu: Apps → Ask the bot
)

// RegisterCommands registers the application's commands, replacing its
// other commands, globally or in Config.GuildID: /ask (with its required
// "question" option, autocompleted from the bot's questions), /start and
// /help, and the message context-menu command "Ask the bot" (the message
// becomes the question). It is idempotent; run it once after set-up and
// after upgrades (`switchboard discord register-commands`).
func (a *Adapter) RegisterCommands(ctx context.Context) error {
	contexts := []discordgo.InteractionContextType{discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM}
	install := []discordgo.ApplicationIntegrationType{discordgo.ApplicationIntegrationGuildInstall}
	cmd := func(c *discordgo.ApplicationCommand) *discordgo.ApplicationCommand {
		c.Contexts, c.IntegrationTypes = &contexts, &install
		return c
	}
	cmds := []*discordgo.ApplicationCommand{
		cmd(&discordgo.ApplicationCommand{
			Name: CommandName, Description: "Ask the support bot a question", Type: discordgo.ChatApplicationCommand,
			Options: []*discordgo.ApplicationCommandOption{{
				Type: discordgo.ApplicationCommandOptionString, Name: QuestionOption,
				Description: "Your question", Required: true, MaxLength: 1000, Autocomplete: true,
			}},
		}),
		cmd(&discordgo.ApplicationCommand{Name: StartCommand, Description: "Start a conversation with the support bot",
			Type: discordgo.ChatApplicationCommand}),
		cmd(&discordgo.ApplicationCommand{Name: HelpCommand, Description: "What the support bot can do",
			Type: discordgo.ChatApplicationCommand}),
		cmd(&discordgo.ApplicationCommand{Name: AskAboutCommand, Type: discordgo.MessageApplicationCommand}),
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.HTTPTimeout)
	defer cancel()
	_, err := a.session.ApplicationCommandBulkOverwrite(a.cfg.ApplicationID, a.cfg.GuildID, cmds, discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("discord: register commands: %w", apiError(err, ""))
	}
	a.log.InfoContext(ctx, "discord: commands registered", "commands", len(cmds), "guild", a.cfg.GuildID)
	return nil
}
