package discord

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"golang.org/x/time/rate"

	"github.com/switchboard-gw/switchboard/core"
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
	followupGrace = 10 * time.Second // a follow-up may race the deferred response
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
	if !snowflake(r.Key.Chat) {
		return &core.SendError{Platform: Platform, Permanent: true,
			Err: fmt.Errorf("reply %s: %q is not a channel id", r.ID, r.Key.Chat)}
	}
	parts := split(r.DisplayText(), MaxTextLen)
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
				return &core.SendError{Platform: Platform, Status: re.Status, RetryAfter: time.Second,
					Err: fmt.Errorf("follow-up for %s: interaction not acknowledged yet: %w", r.ID, re)}
			}
			a.log.InfoContext(ctx, "discord: interaction token no longer valid, sending to the channel", "reply", r.ID)
		}
		a.progress.forget(r.ID)
	}
	return a.sendError(a.sendChannel(ctx, r, parts, comps), r, "message")
}

func (a *Adapter) sendChannel(ctx context.Context, r core.Reply, parts []string, comps []discordgo.MessageComponent) error {
	endpoint := discordgo.EndpointChannelMessages(r.Key.Chat)
	for i := a.progress.done(r.ID); i < len(parts); i++ {
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
		_, err := a.session.RequestWithBucketID(http.MethodPost, endpoint, body, endpoint, discordgo.WithContext(cctx))
		cancel()
		if err != nil {
			return apiError(err, "")
		}
		a.progress.set(r.ID, i+1, a.now())
	}
	a.progress.forget(r.ID)
	return nil
}

func (a *Adapter) sendFollowups(ctx context.Context, r core.Reply, token string, parts []string, comps []discordgo.MessageComponent) error {
	it := &discordgo.Interaction{AppID: a.cfg.ApplicationID, Token: token}
	for i := a.progress.done(r.ID); i < len(parts); i++ {
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
		a.progress.set(r.ID, i+1, a.now())
	}
	a.progress.forget(r.ID)
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
		a.progress.forget(r.ID)
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

// utf16Len is the length of s in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// split cuts text into parts of at most max UTF-16 code units, on rune
// boundaries, preferring a newline, then a space, in the second half of
// each part. The separator at a cut is dropped; blank parts are left out.
func split(text string, max int) []string {
	var parts []string
	for strings.TrimSpace(text) != "" {
		if utf16Len(text) <= max {
			parts = append(parts, text)
			break
		}
		end, units := 0, 0
		for end < len(text) {
			r, size := utf8.DecodeRuneInString(text[end:])
			u := 1
			if r >= 0x10000 {
				u = 2
			}
			if units+u > max && end > 0 {
				break
			}
			units += u
			end += size
		}
		cut, skip := end, 0
		if text[end] == '\n' {
			skip = 1
		} else if i := strings.LastIndexByte(text[:end], '\n'); i > end/2 {
			cut, skip = i, 1
		} else if c := text[end]; c == ' ' || c == '\t' {
			skip = 1
		} else if i := strings.LastIndexAny(text[:end], " \t"); i > end/2 {
			cut, skip = i, 1
		}
		if p := text[:cut]; strings.TrimSpace(p) != "" {
			parts = append(parts, p)
		}
		text = text[cut+skip:]
	}
	return parts
}

// progress remembers how many parts of a split reply were delivered, so a
// retry sends only the rest. It lives in memory; channel messages are also
// protected across restarts by their nonces.
type progress struct {
	mu sync.Mutex
	m  map[string]sentParts
}

type sentParts struct {
	n  int
	at time.Time
}

func newProgress() *progress { return &progress{m: make(map[string]sentParts)} }

func (p *progress) done(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[id].n
}

func (p *progress) set(id string, n int, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.m) >= 10000 {
		for k, v := range p.m {
			if now.Sub(v.at) > 24*time.Hour {
				delete(p.m, k)
			}
		}
	}
	p.m[id] = sentParts{n: n, at: now}
}

func (p *progress) forget(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, id)
}
