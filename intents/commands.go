package intents

import (
	"strings"

	"github.com/switchboard-gw/switchboard/intents/nlu"
)

// Bot commands. Platforms with commands (Telegram "/start", Discord slash
// commands) mark a message as one (core.Input.Command); it is answered as a
// command, never classified as free text, so that "/start" does not start
// the flow whose examples mention "start":
//
//   - start: the bot's responses.welcome (with the quick replies of an
//     intent named "greeting", if any), else that intent's answer, else a
//     built-in welcome; any open flow ends, fallbacks are
//     reset. A deep-link payload ("/start ref42") does not change that.
//   - help: the bot's responses.help, else a built-in text.
//   - any other name: the intent of that name, or the FAQ entry with that
//     id ("/order_status", "/opening-hours"), answered as if recognised with
//     full confidence; the command's arguments fill the flow's slots. A name
//     that matches nothing gets responses.unknown_command.
//
// Commands are not fallbacks and never count towards a handoff.
const (
	CommandStart = "start"
	CommandHelp  = "help"
)

// commandArgs returns what follows the command word of text: "/start ref42"
// gives "ref42". Text that does not start with '/' is returned trimmed.
func commandArgs(text string) string {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "/") {
		return text
	}
	_, rest, _ := strings.Cut(text, " ")
	return strings.TrimSpace(rest)
}

// command answers the command name (lower case, without '/').
func (t *turn) command(name string) error {
	switch name {
	case CommandStart:
		t.resetFlow()
		t.st.Fallbacks = 0
		if l := t.u.bot.Messages[MsgWelcome]; len(l) > 0 {
			return t.say(l, t.u.answers[greetingIntent].quickReplies)
		}
		if _, ok := t.u.answers[greetingIntent]; ok && t.u.bot.flowFor(greetingIntent) == nil {
			t.recognised(greetingIntent, 1)
			return t.sayAnswer(greetingIntent)
		}
		return t.sayMessage(MsgWelcome, nil)
	case CommandHelp:
		return t.sayMessage(MsgHelp, nil)
	}
	label := t.u.commandLabel(name)
	if label == "" {
		return t.sayMessage(MsgUnknownCommand, nil)
	}
	t.recognised(label, 1)
	if f := t.u.bot.flowFor(label); f != nil {
		if err := t.say(t.u.answers[label].responses, t.u.answers[label].quickReplies); err != nil {
			return err
		}
		return t.startFlow(f, t.in.Text, true)
	}
	t.resetFlow()
	return t.sayAnswer(label)
}

// greetingIntent is the intent whose answer welcomes a customer who sent
// /start, when the bot has no responses.welcome.
const greetingIntent = "greeting"

// commandLabel returns the intent or FAQ label that the command name names,
// or "". Names compare case-insensitively, with '-' and '_' alike (Telegram
// commands allow only '_').
func (u *Understander) commandLabel(name string) string {
	fold := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "-", "_") }
	name = fold(name)
	for _, in := range u.bot.Intents {
		if fold(in.Name) == name {
			return in.Name
		}
	}
	for _, f := range u.bot.FAQs {
		if fold(f.ID) == name {
			return f.Label()
		}
	}
	return ""
}

// CommandNames returns the names a customer can send as commands: start,
// help, then the intents' names and the FAQ ids, in file order. Adapters
// use it to register commands (Discord application commands, Telegram's
// command menu) and to offer autocompletion.
func (u *Understander) CommandNames() []string {
	names := []string{CommandStart, CommandHelp}
	for _, in := range u.bot.Intents {
		names = append(names, in.Name)
	}
	for _, f := range u.bot.FAQs {
		names = append(names, f.ID)
	}
	return names
}

// Suggest proposes up to n questions for text, what a customer has typed
// so far (Discord's autocomplete): first the bot's example phrases and FAQ
// questions in lang that contain text, then one phrase of each intent and
// FAQ entry in the order the classifier ranks them for text; with no text,
// one phrase of each in file order. lang "" is detected from text, else the
// default language. Handoff intents are not proposed. Suggest is safe for
// concurrent use and takes well under a millisecond for a small bot.
func (u *Understander) Suggest(text, lang string, n int) []string {
	if n <= 0 {
		return nil
	}
	text = strings.TrimSpace(text)
	lang = strings.ToLower(strings.TrimSpace(lang))
	if hasWords(text) {
		lang = nlu.DetectLanguage(text)
	}
	if lang == "" {
		lang = u.defaultLang
	}
	var out []string
	seen := map[string]bool{}
	add := func(p string) bool {
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
		return len(out) >= n
	}
	var labels []string
	if text == "" {
		for _, in := range u.bot.Intents {
			labels = append(labels, in.Name)
		}
		for _, f := range u.bot.FAQs {
			labels = append(labels, f.Label())
		}
	} else {
		for _, p := range u.rank(text) {
			labels = append(labels, p.Label)
		}
		needle := strings.ToLower(text)
		for _, label := range labels {
			if u.answers[label].handoff {
				continue
			}
			for _, p := range u.phrases(label, lang) {
				if strings.Contains(strings.ToLower(p), needle) && add(p) {
					return out
				}
			}
		}
	}
	for _, label := range labels {
		if u.answers[label].handoff {
			continue
		}
		if ps := u.phrases(label, lang); len(ps) > 0 && add(ps[0]) {
			return out
		}
	}
	return out
}

// phrases returns the training phrases of label in lang, else in the
// default language.
func (u *Understander) phrases(label, lang string) []string {
	var phrases map[string][]string
	if strings.HasPrefix(label, faqPrefix) {
		for _, f := range u.bot.FAQs {
			if f.Label() == label {
				phrases = f.Questions
			}
		}
	} else {
		for _, in := range u.bot.Intents {
			if in.Name == label {
				phrases = in.Examples
			}
		}
	}
	if p := phrases[lang]; len(p) > 0 {
		return p
	}
	return phrases[u.defaultLang]
}

// IsCommand reports whether name is a command the bot answers: start, help,
// an intent's name or an FAQ id (compared as in commandLabel). WeChat menu
// buttons use it to tell bot commands from other menu keys.
func (u *Understander) IsCommand(name string) bool {
	switch strings.ToLower(strings.TrimPrefix(name, "/")) {
	case CommandStart, CommandHelp:
		return true
	}
	return u.commandLabel(strings.TrimPrefix(name, "/")) != ""
}
