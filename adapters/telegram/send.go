package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/time/rate"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/textsplit"
)

// Limits of sendMessage.
const (
	// MaxTextLen is the longest text of one message, in UTF-16 code units
	// (Telegram's documented limit is 4,096 characters; counting UTF-16
	// units, as its entity offsets do, is never more permissive).
	MaxTextLen = 4096
	// MaxCallbackData is the largest callback_data of an inline button, in bytes.
	MaxCallbackData = 64
	// maxButtons is Telegram's limit of buttons in one inline keyboard.
	maxButtons = 100
)

// RateLimits implements core.RateLimited. Per chat Telegram allows about one
// message per second in private chats and 20 per minute in groups; the
// Dispatcher applies one per-chat rule to every chat, so this is the
// stricter group rule: on average one message every 3 s, with bursts of 3
// (a greeting and a question go out at once). Per bot: 30 messages per
// second. A long reply that Send splits counts as one message here.
func (a *Adapter) RateLimits() core.RateLimits {
	return core.RateLimits{
		PerChat: rate.Every(3 * time.Second), PerChatBurst: 3,
		PerPlatform: 30, PerPlatformBurst: 30,
	}
}

// Send delivers r with sendMessage, without a parse mode. Text longer than
// MaxTextLen is split on rune boundaries, preferably at a newline or a
// space; the quick replies become an inline keyboard (one button per row)
// on the last part; when r.ReplyTo is a message id the first part replies
// to it (and is still sent if that message is gone).
//
// Errors are *core.SendError: 429 carries RetryAfter from
// parameters.retry_after; 403 (the customer blocked the bot, the bot was
// removed from the group) and 400 (chat not found, group migrated, …) are
// Permanent; 5xx, 401/404 (a revoked token: fixing the config may help) and
// network errors are temporary. When a split reply fails part-way, the parts
// already delivered are remembered (in memory) and not sent again when the
// Dispatcher retries the same reply. Send is safe for concurrent use.
func (a *Adapter) Send(ctx context.Context, r core.Reply) error {
	if r.Key.Platform != Platform {
		return &core.SendError{Platform: Platform, Permanent: true,
			Err: fmt.Errorf("reply %s is for platform %q", r.ID, r.Key.Platform)}
	}
	chat, err := strconv.ParseInt(r.Key.Chat, 10, 64)
	if err != nil {
		return &core.SendError{Platform: Platform, Permanent: true,
			Err: fmt.Errorf("reply %s: chat %q is not a Telegram chat id", r.ID, r.Key.Chat)}
	}
	if r.Corrects != "" {
		done, err := a.editInPlace(ctx, r)
		if done || err != nil {
			return err
		}
	}
	parts := textsplit.Split(r.DisplayText(), MaxTextLen, textsplit.UTF16Len)
	if len(parts) == 0 {
		return &core.SendError{Platform: Platform, Permanent: true, Err: fmt.Errorf("reply %s has no text", r.ID)}
	}
	kb := keyboard(r.QuickReplies)
	replyTo, _ := strconv.Atoi(r.ReplyTo) // not a message id: no threading
	for i := a.progress.Done(r.ID); i < len(parts); i++ {
		mc := tgbotapi.NewMessage(chat, parts[i])
		if i == 0 && replyTo > 0 {
			mc.ReplyToMessageID = replyTo
			mc.AllowSendingWithoutReply = true
		}
		if i == len(parts)-1 && kb != nil {
			mc.ReplyMarkup = *kb
		}
		cctx, cancel := context.WithTimeout(ctx, a.cfg.HTTPTimeout)
		sent, err := a.api(cctx).Send(mc)
		cancel()
		if err != nil {
			se := sendError(redact(err, a.cfg.Token), chat)
			if se.Permanent {
				a.progress.Forget(r.ID)
			}
			return se
		}
		a.progress.Set(r.ID, i+1, a.now())
		a.log.DebugContext(ctx, "telegram: message sent", "reply", r.ID, "part", i+1, "of", len(parts),
			"message_id", sent.MessageID)
		if len(parts) == 1 && r.From == core.AuthorAgent {
			a.sent.Put(r.ID, strconv.FormatInt(chat, 10)+"/"+strconv.Itoa(sent.MessageID))
		}
	}
	a.progress.Forget(r.ID)
	return nil
}

// editableFor is how long the message of an agent's reply is remembered
// for an in-place correction (bots may edit their messages for 48 hours).
const editableFor = 48 * time.Hour

// editInPlace applies an agent's correction with editMessageText when the
// corrected message is known (sent by this process, in one part). It
// reports done when the message now shows the corrected text; when it
// cannot be edited (unknown, too old, deleted) the caller sends the
// correction as a new message. Errors worth retrying (429, 5xx) are
// returned.
func (a *Adapter) editInPlace(ctx context.Context, r core.Reply) (bool, error) {
	ref, ok := a.sent.Get(r.Corrects)
	if !ok {
		return false, nil
	}
	chatS, idS, _ := strings.Cut(ref, "/")
	chat, _ := strconv.ParseInt(chatS, 10, 64)
	id, _ := strconv.Atoi(idS)
	text := r.EditedText() // the edited message keeps its usual "Ana: …" form
	if textsplit.UTF16Len(text) > MaxTextLen {
		return false, nil
	}
	cctx, cancel := context.WithTimeout(ctx, a.cfg.HTTPTimeout)
	defer cancel()
	_, err := a.api(cctx).Request(tgbotapi.NewEditMessageText(chat, id, text))
	var te *tgbotapi.Error
	switch {
	case err == nil:
		a.log.DebugContext(ctx, "telegram: message corrected in place", "reply", r.ID, "message_id", id)
		return true, nil
	case errors.As(err, &te) && te.Code == 400 && strings.Contains(te.Message, "not modified"):
		return true, nil
	case errors.As(err, &te) && te.Code == 400:
		a.log.InfoContext(ctx, "telegram: cannot edit the corrected message; sending the correction", "reply", r.ID, "reason", te.Message)
		return false, nil
	}
	return false, sendError(redact(err, a.cfg.Token), chat)
}

// sendError classifies a failed sendMessage.
func sendError(err error, chat int64) *core.SendError {
	var te *tgbotapi.Error
	if !errors.As(err, &te) {
		// Transport error, timeout, or a body that is not a Bot API
		// response (a proxy's 502 page): temporary.
		return &core.SendError{Platform: Platform, Err: fmt.Errorf("sendMessage to chat %d: %w", chat, err)}
	}
	se := &core.SendError{Platform: Platform, Status: te.Code,
		Err: fmt.Errorf("sendMessage to chat %d: %s", chat, te.Message)}
	switch {
	case te.Code == 429:
		se.RetryAfter = time.Duration(te.RetryAfter) * time.Second
		if se.RetryAfter <= 0 {
			se.RetryAfter = time.Second
		}
	case te.MigrateToChatID != 0:
		se.Permanent, se.Code = true, "migrated_to_chat_"+strconv.FormatInt(te.MigrateToChatID, 10)
	case te.Code == 400 || te.Code == 403:
		se.Permanent = true
	}
	return se
}

// keyboard builds the inline keyboard of the quick replies, one button per
// row, or nil when there are none. callback_data is the label cut to
// MaxCallbackData bytes (made unique within the keyboard); the parser maps
// it back to the full label through the message's keyboard.
func keyboard(quick []string) *tgbotapi.InlineKeyboardMarkup {
	var rows [][]tgbotapi.InlineKeyboardButton
	used := make(map[string]bool)
	for i, q := range quick {
		q = strings.TrimSpace(q)
		if q == "" || len(rows) == maxButtons {
			continue
		}
		data := truncateBytes(q, MaxCallbackData)
		if used[data] {
			data = truncateBytes(strconv.Itoa(i)+"|"+q, MaxCallbackData)
		}
		used[data] = true
		rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(q, data)))
	}
	if len(rows) == 0 {
		return nil
	}
	kb := tgbotapi.NewInlineKeyboardMarkup(rows...)
	return &kb
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
