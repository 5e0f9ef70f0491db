package discord

import (
	"context"
	"errors"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/switchboard-gw/switchboard/core"
)

// maxHandleAttempts bounds the retries of one gateway message whose Handle
// fails (about a minute with the backoff below). The gateway does not
// redeliver: after that the message is dropped with an error log.
const maxHandleAttempts = 10

// normalize turns a MESSAGE_CREATE into a customer message. It reports
// false for messages the bot must not answer: its own, other bots' and
// webhooks', system messages, guild messages outside channels that do not
// mention the bot, and messages with neither text nor attachments. It does
// no I/O.
func normalize(m *discordgo.MessageCreate, botID string, channels map[string]bool) (core.Message, bool) {
	if m == nil || m.Message == nil || m.Author == nil || !snowflake(m.ID) || !snowflake(m.ChannelID) ||
		!snowflake(m.Author.ID) {
		return core.Message{}, false
	}
	if m.Author.ID == botID || m.Author.Bot || m.WebhookID != "" {
		return core.Message{}, false
	}
	if m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply {
		return core.Message{}, false
	}
	dm := m.GuildID == ""
	if !dm && !channels[m.ChannelID] && !mentions(m.Message, botID) {
		return core.Message{}, false
	}
	text := m.Content
	for _, tag := range []string{"<@" + botID + ">", "<@!" + botID + ">"} {
		text = strings.ReplaceAll(text, tag, "")
	}
	text = strings.TrimSpace(text)
	note := attachmentNote(m.Message)
	if text == "" && note == "" {
		return core.Message{}, false
	}
	msg := core.Message{
		Key:        core.ConversationKey{Platform: Platform, Chat: m.ChannelID, User: m.Author.ID},
		ID:         m.ID,
		DedupeKeys: []string{"discord:msg:" + m.ID},
		Text:       text,
		UserName:   displayName(m.Author, m.Member),
		Note:       note,
	}
	if !dm {
		msg.ReplyTo = m.ID // in a busy channel the answer quotes the question
	}
	return msg, true
}

func mentions(m *discordgo.Message, botID string) bool {
	for _, u := range m.Mentions {
		if u != nil && u.ID == botID {
			return true
		}
	}
	return false
}

// attachmentNote describes attachments and stickers, e.g. "[image] [file: a.pdf]".
func attachmentNote(m *discordgo.Message) string {
	var notes []string
	for _, at := range m.Attachments {
		if at == nil {
			continue
		}
		ct := at.ContentType
		switch {
		case m.Flags&discordgo.MessageFlagsIsVoiceMessage != 0:
			notes = append(notes, "[voice message]")
		case strings.HasPrefix(ct, "image/"):
			notes = append(notes, "[image]")
		case strings.HasPrefix(ct, "video/"):
			notes = append(notes, "[video]")
		case strings.HasPrefix(ct, "audio/"):
			notes = append(notes, "[audio]")
		case at.Filename != "":
			notes = append(notes, "[file: "+at.Filename+"]")
		default:
			notes = append(notes, "[file]")
		}
	}
	for _, s := range m.StickerItems {
		if s != nil {
			notes = append(notes, "[sticker: "+s.Name+"]")
		}
	}
	return strings.Join(notes, " ")
}

// Run connects to the gateway and handles MESSAGE_CREATE events until ctx
// is done, then closes the connection and returns nil. When the first
// connection fails it retries with backoff; later drops are reconnected and
// resumed by discordgo. Messages of one channel are handled in order, those
// of different channels by Config.Workers workers in parallel; a failed
// Handle is retried with backoff (a few times: the gateway does not
// redeliver). Run returns an error when no Handler was given. It must not
// be called twice at once.
func (a *Adapter) Run(ctx context.Context) error {
	if a.h == nil {
		return errors.New("discord: run: no handler")
	}
	queues := make([]chan *discordgo.MessageCreate, a.cfg.Workers)
	var wg sync.WaitGroup
	for i := range queues {
		queues[i] = make(chan *discordgo.MessageCreate, 64)
		wg.Go(func() { a.work(ctx, queues[i]) })
	}
	remove := a.session.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) {
		h := fnv.New32a()
		_, _ = h.Write([]byte(m.ChannelID))
		select {
		case queues[h.Sum32()%uint32(len(queues))] <- m:
		case <-ctx.Done():
		}
	})
	defer func() {
		remove()
		wg.Wait()
	}()
	for attempt := 1; ; attempt++ {
		err := a.session.Open()
		if err == nil {
			break
		}
		wait := backoff(attempt)
		a.log.WarnContext(ctx, "discord: gateway connection failed", "err", apiError(err, ""), "retry_in", wait)
		if !sleep(ctx, wait) {
			return nil
		}
	}
	a.log.InfoContext(ctx, "discord: gateway connected")
	<-ctx.Done()
	if err := a.session.Close(); err != nil {
		a.log.DebugContext(ctx, "discord: closing the gateway", "err", err)
	}
	return nil
}

// work handles the events of one queue until ctx is done.
func (a *Adapter) work(ctx context.Context, q <-chan *discordgo.MessageCreate) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-q:
			m, ok := normalize(ev, a.botID, a.channels)
			if !ok {
				continue
			}
			for attempt := 1; ; attempt++ {
				err := a.handle(ctx, m)
				if err == nil {
					break
				}
				if attempt == maxHandleAttempts {
					a.log.ErrorContext(ctx, "discord: gave up handling a gateway message", "message", m.ID, "err", err)
					break
				}
				if !sleep(ctx, backoff(attempt)) {
					return
				}
			}
		}
	}
}

// backoff is the delay before retry number attempt: 200 ms doubling up to
// 30 s, with jitter in the upper half.
func backoff(attempt int) time.Duration {
	d := 200 * time.Millisecond
	for i := 1; i < attempt && d < 30*time.Second; i++ {
		d *= 2
	}
	d = min(d, 30*time.Second)
	return d/2 + rand.N(d/2+1)
}

// sleep waits for d or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
