package bench

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode"

	"github.com/switchboard-gw/switchboard/intents"
)

// Question is one customer question the bench sends.
type Question struct {
	Lang string // "en", "zh", …
	Text string
}

// Questions returns the questions of bot that a customer can ask without
// starting a flow or asking for a person: every FAQ question variant, and
// the examples of the intents that answer at once (they have responses, no
// handoff, and no flow starts from them). They are interleaved by language
// so that any run of the list mixes English and Chinese. It returns nil when
// bot is nil or has no such question.
func Questions(bot *intents.Bot) []Question {
	if bot == nil {
		return nil
	}
	flowIntents := map[string]bool{}
	for _, f := range bot.Flows {
		flowIntents[f.Intent] = true
	}
	byLang := map[string][]string{}
	for _, f := range bot.FAQs {
		for lang, qs := range f.Questions {
			byLang[lang] = append(byLang[lang], qs...)
		}
	}
	for _, in := range bot.Intents {
		if in.Handoff || flowIntents[in.Name] || len(in.Responses) == 0 {
			continue
		}
		for lang, ex := range in.Examples {
			byLang[lang] = append(byLang[lang], ex...)
		}
	}
	langs := make([]string, 0, len(byLang))
	for l := range byLang {
		langs = append(langs, l)
	}
	slices.Sort(langs)
	var out []Question
	for i := 0; ; i++ {
		added := false
		for _, l := range langs {
			if i < len(byLang[l]) {
				out = append(out, Question{Lang: l, Text: byLang[l][i]})
				added = true
			}
		}
		if !added {
			return out
		}
	}
}

// firstNames are the simulated customers' names, English and Chinese.
var firstNames = []string{"Ada", "Ben", "Carla", "Dmitri", "Elif", "Farah", "Gus", "Hana",
	"小明", "丽丽", "王伟", "張敏", "李娜", "陈静", "刘洋", "杨帆"}

// firstName returns the name of customer n.
func firstName(n int) string { return firstNames[n%len(firstNames)] }

// ReadQuestions reads the messages of a text file, one per non-empty line;
// a line with Chinese characters is asked in zh, the others in en. It
// returns an error when the file cannot be read or has no message.
func ReadQuestions(path string) ([]Question, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bench: texts: %w", err)
	}
	var out []Question
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		lang := "en"
		for _, r := range line {
			if unicode.Is(unicode.Han, r) {
				lang = "zh"
				break
			}
		}
		out = append(out, Question{Lang: lang, Text: line})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bench: texts: %s has no message", path)
	}
	return out, nil
}
