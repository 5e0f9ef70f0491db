package discord

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"golang.org/x/time/rate"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/textsplit"
)

// Limits of Discord messages.
const (
	// MaxTextLen is the longest content of one message (2,000 characters;
	// counted in UTF-16 code units here, which is never more permissive).
	MaxTextLen = 2000
	// InteractionTokenTTL is how long an interaction token accepts follow-ups.
	InteractionTokenTTL = 15 * time.Minute
	// maxButtons: 5 action rows of 5 buttons.
	maxButtons    = 25
	maxLabelLen   = 80
	maxCustomID   = 100
	nonceLen      = 25
	followupGrace = 10 * time.Second       // a follow-up may race the deferred response
	followupRetry = 150 * time.Millisecond // how soon a follow-up that raced ahead is tried again
)

// Discord JSON error codes that mean an interaction token is unusable.
const (
	codeUnknownWebhook      = 10015
	codeInvalidWebhookToken = 50027
)

// RateLimits implements core.RateLimited: 5 messages per 5 s per channel
// and 50 requests per second per bot (Discord's global limit).
func (a *Adapter) RateLimits() core.RateLimits {
	return core.RateLimits{PerChat: rate.Every(time.Second), PerChatBurst: 5, PerPlatform: 50, PerPlatformBurst: 50}
}

// messageSend is the body of POST /channels/{id}/messages. discordgo
// v0.29.0's MessageSend has no nonce fields, so they are added here and the
// body is posted with Session.RequestWithBucketID, the same call (and rate
// limit bucket) ChannelMessageSendComplex uses for messages without files.
type messageSend struct {
	*discordgo.MessageSend
	Nonce        string `json:"nonce,omitempty"`
	EnforceNonce bool   `json:"enforce_nonce,omitempty"`
}

// Send delivers r. When r.ReplyTo is "interaction:<token>" and the token is
// still valid, the parts are follow-up messages of that interaction;
// otherwise (and when Discord says the token expired) they are channel
// messages, with a nonce derived from r.ID and enforce_nonce so that
// Discord drops a resend of the same part, and, when r.ReplyTo is a message
// id, a reply reference on the first part. Text over MaxTextLen is split;
// quick replies become buttons on the last part. Mentions never ping.
//
// Errors are *core.SendError: 429 carries RetryAfter from the JSON
// retry_after; 400, 403 and 404 are Permanent; 401, 5xx and network errors
// are temporary. Parts already delivered are remembered (in memory) and not
// sent again when the Dispatcher retries the same reply. Send is safe for
// concurrent use.
func (a *Adapter) Send(ctx context.Context, r core.Reply) error {
	if r.Key.Platform != Platform {
		return &core.SendError{Platform: Platform, Permanent: true,
			Err: fmt.Errorf("reply %s is for platform %q", r.ID, r.Key.Platform)}
	}
	if user, ok := strings.CutPrefix(r.Key.Chat, dmPrefix); ok && snowflake(user) {
		// A DM whose interaction named no channel: the follow-up needs none,
		// a channel message goes to the user's DM channel.
		if strings.HasPrefix(r.ReplyTo, interactionTokenPrefix) && !r.Created.IsZero() &&
			a.now().Sub(r.Created) < InteractionTokenTTL-time.Minute {
			r.Key.Chat = user // only checked below; the follow-up does not use it
		} else {
			ch, err := a.dmChannel(ctx, user)
			if err != nil {
				return a.sendError(err, r, "DM channel")
			}
			r.Key.Chat = ch
		}
	}
	if !snowflake(r.Key.Chat) {
		return &core.SendError{Platform: Platform, Permanent: true,
			Err: fmt.Errorf("reply %s: %q is not a channel id", r.ID, r.Key.Chat)}
	}
	if r.Corrects != "" {
		if done, err := a.editInPlace(ctx, r); done || err != nil {
			return err
		}
	}
	parts := textsplit.Split(r.DisplayText(), MaxTextLen, textsplit.UTF16Len)
	if len(parts) == 0 {
		return &core.SendError{Platform: Platform, Permanent: true, Err: fmt.Errorf("reply %s has no text", r.ID)}
	}
	comps := buttons(r.QuickReplies)
	if token, ok := strings.CutPrefix(r.ReplyTo, interactionTokenPrefix); ok {
		age := a.now().Sub(r.Created)
		if r.Created.IsZero() || age < InteractionTokenTTL-time.Minute {
			err := a.sendFollowups(ctx, r, token, parts, comps)
			var re *restError
			if !errors.As(err, &re) || !tokenUnusable(re) {
				return a.sendError(err, r, "follow-up")
			}
			if age < followupGrace {
				// The deferred response may not have reached Discord yet.
				return &core.SendError{Platform: Platform, Status: re.Status, RetryAfter: followupRetry,
					Err: fmt.Errorf("follow-up for %s: interaction not acknowledged yet: %w", r.ID, re)}
			}
			a.log.InfoContext(ctx, "discord: interaction token no longer valid, sending to the channel", "reply", r.ID)
		}
		a.progress.Forget(r.ID)
	}
	return a.sendError(a.sendChannel(ctx, r, parts, comps), r, "message")
}

func (a *Adapter) sendChannel(ctx context.Context, r core.Reply, parts []string, comps []discordgo.MessageComponent) error {
	endpoint := discordgo.EndpointChannelMessages(r.Key.Chat)
	for i := a.progress.Done(r.ID); i < len(parts); i++ {
		ms := &discordgo.MessageSend{Content: parts[i], AllowedMentions: noMentions()}
		if i == len(parts)-1 {
			ms.Components = comps
		}
		if i == 0 && snowflake(r.ReplyTo) {
			no := false
			ms.Reference = &discordgo.MessageReference{MessageID: r.ReplyTo, ChannelID: r.Key.Chat, FailIfNotExists: &no}
		}
		body := messageSend{MessageSend: ms, Nonce: nonce(r.ID, i), EnforceNonce: true}
		cctx, cancel := context.WithTimeout(ctx, a.cfg.HTTPTimeout)
		resp, err := a.session.RequestWithBucketID(http.MethodPost, endpoint, body, endpoint, discordgo.WithContext(cctx))
		cancel()
		if err != nil {
			return apiError(err, "")
		}
		a.progress.Set(r.ID, i+1, a.now())
		var m struct {
			ID string `json:"id"`
		}
		if len(parts) == 1 && r.From == core.AuthorAgent && json.Unmarshal(resp, &m) == nil && m.ID != "" {
			a.sent.Put(r.ID, r.Key.Chat+"/"+m.ID)
		}
	}
	a.progress.Forget(r.ID)
	return nil
}

func (a *Adapter) sendFollowups(ctx context.Context, r core.Reply, token string, parts []string, comps []discordgo.MessageComponent) error {
	it := &discordgo.Interaction{AppID: a.cfg.ApplicationID, Token: token}
	for i := a.progress.Done(r.ID); i < len(parts); i++ {
		p := &discordgo.WebhookParams{Content: parts[i], AllowedMentions: noMentions()}
		if i == len(parts)-1 {
			p.Components = comps
		}
		cctx, cancel := context.WithTimeout(ctx, a.cfg.HTTPTimeout)
		_, err := a.session.FollowupMessageCreate(it, false, p, discordgo.WithContext(cctx))
		cancel()
		if err != nil {
			return apiError(err, token)
		}
		a.progress.Set(r.ID, i+1, a.now())
	}
	a.progress.Forget(r.ID)
	return nil
}

func tokenUnusable(e *restError) bool {
	return e.Code == codeUnknownWebhook || e.Code == codeInvalidWebhookToken ||
		(e.Code == 0 && (e.Status == http.StatusUnauthorized || e.Status == http.StatusNotFound))
}

// sendError classifies a failed send; nil stays nil.
func (a *Adapter) sendError(err error, r core.Reply, what string) error {
	if err == nil {
		return nil
	}
	var se *core.SendError
	if errors.As(err, &se) {
		return se
	}
	out := &core.SendError{Platform: Platform, Err: fmt.Errorf("%s to channel %s: %w", what, r.Key.Chat, err)}
	var re *restError
	if errors.As(err, &re) {
		out.Status, out.RetryAfter = re.Status, re.RetryAfter
		if re.Code != 0 {
			out.Code = strconv.Itoa(re.Code)
		}
		switch re.Status {
		case http.StatusTooManyRequests:
			if out.RetryAfter <= 0 {
				out.RetryAfter = time.Second
			}
		case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound:
			out.Permanent = true
		}
	}
	if out.Permanent {
		a.progress.Forget(r.ID)
	}
	return out
}

// noMentions keeps relayed text from pinging users, roles or @everyone.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// nonce derives the idempotency nonce of part i of a reply: 25 hex
// characters of SHA-256(reply id, part).
func nonce(replyID string, part int) string {
	sum := sha256.Sum256([]byte(replyID + "\x00" + strconv.Itoa(part)))
	return hex.EncodeToString(sum[:])[:nonceLen]
}

// buttons turns quick replies into action rows of up to 5 buttons. A
// button's custom_id is "qr:<index>:<label>" cut to 100 bytes; the parser
// maps it back to the label.
func buttons(quick []string) []discordgo.MessageComponent {
	var rows []discordgo.MessageComponent
	var row discordgo.ActionsRow
	n := 0
	for i, q := range quick {
		q = strings.TrimSpace(q)
		if q == "" || n == maxButtons {
			continue
		}
		n++
		row.Components = append(row.Components, discordgo.Button{
			Label:    truncateRunes(q, maxLabelLen),
			Style:    discordgo.SecondaryButton,
			CustomID: truncateBytes(quickReplyPrefix+strconv.Itoa(i)+":"+q, maxCustomID),
		})
		if len(row.Components) == 5 {
			rows = append(rows, row)
			row = discordgo.ActionsRow{}
		}
	}
	if len(row.Components) > 0 {
		rows = append(rows, row)
	}
	return rows
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// truncateBytes cuts s to at most n bytes on a rune boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := 0
	for i := range s {
		if i > n {
			break
		}
		cut = i
	}
	return s[:cut]
}

// editInPlace applies an agent's correction by editing the channel message
// it corrects, when this process sent it in one part. It reports done when
// the message shows the corrected text; when it cannot be edited (unknown,
// deleted) the caller sends the correction as a new message. Errors worth
// retrying (429, 5xx) are returned.
func (a *Adapter) editInPlace(ctx context.Context, r core.Reply) (bool, error) {
	ref, ok := a.sent.Get(r.Corrects)
	if !ok {
		return false, nil
	}
	channel, id, _ := strings.Cut(ref, "/")
	text := r.EditedText() // the edited message keeps its usual "Ana: …" form
	if textsplit.UTF16Len(text) > MaxTextLen {
		return false, nil
	}
	cctx, cancel := context.WithTimeout(ctx, a.cfg.HTTPTimeout)
	defer cancel()
	_, err := a.session.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: id, Channel: channel, Content: &text,
		AllowedMentions: noMentions()}, discordgo.WithContext(cctx))
	if err == nil {
		a.log.DebugContext(ctx, "discord: message corrected in place", "reply", r.ID, "message", id)
		return true, nil
	}
	se := a.sendError(apiError(err, ""), r, "edit")
	var e *core.SendError
	if errors.As(se, &e) && e.Permanent {
		a.log.InfoContext(ctx, "discord: cannot edit the corrected message; sending the correction", "reply", r.ID, "err", err)
		return false, nil
	}
	return false, se
}

// dmChannel opens (or finds: Discord returns the existing one) the DM
// channel with user.
func (a *Adapter) dmChannel(ctx context.Context, user string) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, a.cfg.HTTPTimeout)
	defer cancel()
	ch, err := a.session.UserChannelCreate(user, discordgo.WithContext(cctx))
	if err != nil {
		return "", apiError(err, "")
	}
	return ch.ID, nil
}
