// Package intents is the bot owner's side of Switchboard: the YAML files that
// say what the bot understands and answers, their validation with
// file:line messages, response templates, and the Understander that answers
// customer messages with a classifier (package intents/nlu) trained on the
// owner's examples at start-up.
//
// # Bot files
//
// A bot is a directory (config key bot.intents, default "intents/") of
// *.yaml and *.yml files, read in name order; subdirectories are not read.
// The files are merged: each may hold any of the top-level keys below, so a
// bot can be split per topic. Every key not described here is an error, as
// are YAML anchors and aliases. A file may hold several YAML documents
// separated by "---". Sample returns the sample bot of this directory
// (shop.yaml and faq.yaml), an online shop in English and Chinese.
//
//	settings:
//	  default_language: en        # answers when the customer's language has none; default en
//
//	intents:
//	  - name: opening_hours       # letters, digits, _ - . ; unique across files
//	    examples:                 # training phrases per language (10–15 each work well)
//	      en: [what are your opening hours, when are you open]
//	      zh: [你们几点开门, 营业时间是什么]
//	    responses:                # per language: one text or a list of variants,
//	      en: ["We're open Monday to Friday, 9:00–18:00."]   # one picked at random
//	      zh: ["我们周一至周五 9:00–18:00 营业。"]
//	    quick_replies:            # optional buttons, per language
//	      en: [Returns, Shipping]
//	  - name: talk_to_human
//	    handoff: true             # optional: recognising it hands the conversation to a human;
//	    examples:                 # responses may then be left out to use the handoff message
//	      en: [I want to talk to a person, agent]
//
//	faq:
//	  - id: shipping_costs        # unique across files; reported as intent "faq:shipping_costs"
//	    questions: {en: [how much is shipping], zh: [运费多少]}
//	    answer: {en: "Shipping is free over €50.", zh: "满 50 欧元包邮。"}
//	    quick_replies: {en: [Delivery time]}                  # optional
//
//	fallback:                     # required: said when the bot does not understand
//	  en: ["Sorry, I didn't get that. Type \"agent\" to talk to a person."]
//	  zh: ["抱歉，我没有听懂。输入“人工”可以联系客服。"]
//
//	handoff:                      # optional: said when a conversation goes to a human
//	  en: ["I'm passing you to a member of our team."]
//
// Languages are keys such as en, zh, zh-Hant or pt-BR (case does not matter).
// Everywhere a list of texts is expected, a single text is accepted too.
// fallback and handoff may be split across files by language, but each
// language is defined once; default_language is set at most once.
//
// Intents and FAQ entries compete in one ranking: the classifier learns one
// label per intent and one per FAQ entry (its questions are its examples).
// Later versions add top-level entities and flows; today those keys are
// errors like any other unknown key.
//
// # Responses
//
// Responses, answers, the fallback and the handoff message are Go
// text/template templates (https://pkg.go.dev/text/template) executed with
// Data: {{.UserName}} is the customer's display name (may be empty),
// {{.Slots.order_id}} a slot of the conversation (empty when unset), and
// {{.Language}} the language of the reply. For example
// "Hi{{if .UserName}} {{.UserName}}{{end}}!". Output is trimmed.
//
// # Validation
//
// Load checks everything and reports every problem, not just the first, as a
// *ValidationError whose Error prints one "file:line: problem" per line.
// Errors: YAML syntax errors, empty files, unknown or duplicate keys, values
// of the wrong type, invalid names and language codes, duplicate intent names
// and FAQ ids (across files), an intent without examples or without responses
// (unless it is a handoff intent and the bot has a handoff message), an FAQ
// entry without questions or answer, a template that does not parse or does
// not execute on empty Data (e.g. {{.Nmae}}), no fallback, no intents and no
// FAQ entries at all.
//
// Warnings (Bot.Warnings; they do not fail `switchboard check`): an intent
// with responses in a language it has no examples in, or examples in a
// language it has no response in (those customers get the default language),
// fewer than 5 examples in a language, the same phrase under two intents or
// twice under one, and a language with examples but no fallback.
//
// # Understanding
//
// New trains the classifier and returns an Understander (a
// core.Understander). A message whose best label scores below the confidence
// threshold gets the fallback; the threshold is configured or, when 0,
// calibrated from the bot's own examples. The customer's language is the
// message's hint, else detected from the text, else the conversation's last
// language, else the default language.
package intents
