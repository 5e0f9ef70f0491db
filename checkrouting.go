package main

import (
	"strings"

	"github.com/switchboard-gw/switchboard/intents"
	"github.com/switchboard-gw/switchboard/internal/config"
)

// withFile is a configuration problem as check prints it: problems that
// know their line (handoff.teams and handoff.routes) start with
// "file:line:" already, the others get the file in front.
func withFile(cfg *config.Config, problem string) string {
	if f := orDefaults(cfg.File); strings.HasPrefix(problem, f+":") {
		return problem
	}
	return orDefaults(cfg.File) + ": " + problem
}

// botKnows tells whether the bot has an intent or FAQ id ("faq:" prefix
// or not).
func botKnows(bot *intents.Bot) func(string) bool {
	known := map[string]bool{}
	for _, in := range bot.Intents {
		known[in.Name] = true
	}
	for _, f := range bot.FAQs {
		known[f.ID] = true
	}
	return func(name string) bool { return known[strings.TrimPrefix(name, "faq:")] }
}
