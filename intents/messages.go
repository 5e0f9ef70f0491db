package intents

import (
	"strings"

	"github.com/switchboard-gw/switchboard/core"
)

// Words that cancel a flow or retry a failed action, besides the bot's own
// cancel_button and retry_button texts. A message counts when, folded like
// examples are, it is one of these with at most "please"/请 around it.
var (
	cancelPhrases = []string{"cancel", "stop", "never mind", "nevermind", "forget it", "quit", "exit", "abort",
		"cancel that", "cancel it", "stop it", "取消", "算了", "不要了", "不用了", "退出", "停止", "不办了", "取消吧"}
	retryPhrases = []string{"retry", "try again", "again", "yes", "ok", "okay", "重试", "再试", "再试一次", "是", "好", "好的"}
	politeWords  = []string{"please", "ok", "okay", "just", "oh", "then", "请"}
)

// initMessages parses the built-in texts of the bot's own moments and the
// cancel and retry words.
func (u *Understander) initMessages() {
	u.defaults = map[string]Localized{}
	for key, langs := range joinMaps(defaultMessages, smallTalkReplies) {
		l := Localized{}
		for lang, src := range langs {
			t, err := ParseTemplate(src)
			if err != nil {
				continue // the built-in texts are plain text
			}
			l[lang] = []*Template{t}
		}
		u.defaults[key] = l
	}
	u.cancelWords, u.retryWords = map[string]bool{}, map[string]bool{}
	for _, p := range cancelPhrases {
		u.cancelWords[normalizePhrase(p)] = true
	}
	for _, p := range retryPhrases {
		u.retryWords[normalizePhrase(p)] = true
	}
	for _, key := range []string{MsgCancelButton, MsgRetry} {
		words := u.cancelWords
		if key == MsgRetry {
			words = u.retryWords
		}
		for _, l := range []Localized{u.bot.Messages[key], u.defaults[key]} {
			for _, vs := range l {
				for _, t := range vs {
					if text, err := t.Execute(Data{}); err == nil {
						words[normalizePhrase(text)] = true
					}
				}
			}
		}
	}
}

func joinMaps[V any](a, b map[string]V) map[string]V {
	m := make(map[string]V, len(a)+len(b))
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

// messageText renders the bot's (or the built-in) text for key in lang.
func (u *Understander) messageText(key, lang string) string {
	l := u.bot.Messages[key]
	if len(l) == 0 {
		l = u.defaults[key]
	}
	_, vs := l.Lookup(lang, u.defaultLang)
	if len(vs) == 0 {
		return ""
	}
	text, _ := vs[0].Execute(Data{Language: lang})
	return text
}

func (u *Understander) isCancel(text string) bool { return u.cancelWords[stripPolite(text)] }
func (u *Understander) isRetry(text string) bool  { return u.retryWords[stripPolite(text)] }

// stripPolite folds text and drops polite words around the message.
func stripPolite(text string) string {
	words := strings.Fields(normalizePhrase(text))
	for len(words) > 1 && contains(politeWords, words[0]) {
		words = words[1:]
	}
	for len(words) > 1 && contains(politeWords, words[len(words)-1]) {
		words = words[:len(words)-1]
	}
	s := strings.Join(words, " ")
	if r := []rune(s); len(r) > 1 && r[0] == '请' {
		s = string(r[1:])
	}
	return strings.TrimSuffix(s, "吧")
}

// slotQuickReplies returns the buttons offered with a slot's prompt: the
// slot's own, else the values it accepts for list entities, else yes/no.
func (u *Understander) slotQuickReplies(s *Slot) map[string][]string {
	if len(s.QuickReplies) > 0 {
		return s.QuickReplies
	}
	e := u.bot.entity(s.Entity)
	switch {
	case e == nil:
		return nil
	case e.List != nil:
		values := s.Validate.Values
		if len(values) == 0 {
			values = e.List.Values()
		}
		m := map[string][]string{}
		for _, lang := range append(u.bot.Languages(), u.defaultLang) {
			m[lang] = values
		}
		return m
	case e.Name == "yes_no":
		return map[string][]string{"en": {"Yes", "No"}, "zh": {"是", "否"}}
	}
	return nil
}

// Notice implements core.Notices: the bot owner's text for a moment the
// engine decides itself: the top-level handoff message, and
// responses.returned, responses.unavailable and responses.no_text. It
// returns false to let
// the engine use its built-in text.
func (u *Understander) Notice(kind string, in core.Input) (core.ReplyText, bool) {
	switch kind {
	case core.NoticeAfterHours, core.NoticeQueue, core.NoticeTransferred:
		return u.routingNotice(kind, in) // responses.after_hours, queue, transferred
	case core.NoticeHandoff:
		return u.HandoffReply(in)
	case core.NoticeReturned, core.NoticeUnavailable, core.NoticeNoText:
		l := u.bot.Messages[kind]
		if len(l) == 0 {
			return core.ReplyText{}, false
		}
		text, _, err := l.Render(u.rng(in), u.language(in), u.defaultLang, Data{UserName: in.State.UserName})
		if err != nil {
			return core.ReplyText{}, false
		}
		return core.ReplyText{Text: text}, true
	}
	return core.ReplyText{}, false
}
