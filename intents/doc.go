// Package intents is the bot owner's side of Switchboard: the YAML files that
// say what the bot understands and answers, their validation with
// file:line messages, response templates, and the Understander that answers
// customer messages with a classifier (package intents/nlu) trained on the
// owner's examples at start-up.
//
// # Bot files
//
// A bot is a directory (config key bot.intents, default "intents/") of
// *.yaml and *.yml files, read in name order; subdirectories (such as
// tests/, the conversation tests) are not read.
// The files are merged: each may hold any of the top-level keys below, so a
// bot can be split per topic. Every key not described here is an error, as
// are YAML anchors and aliases. A file may hold several YAML documents
// separated by "---". Sample returns the sample bot of this directory
// (shop.yaml, faq.yaml and flows.yaml), an online shop in English and
// Chinese with order-status, return and address-change flows.
//
//	settings:
//	  default_language: en        # answers when the customer's language has none; default en
//	  session_timeout: 30m        # idle time after which slots and the active flow are forgotten;
//	                              # default 30m, at least 1m, 0 = never
//	  time_zone: Europe/Berlin    # IANA zone for relative dates ("tomorrow"); default UTC
//	  date_order: mdy             # 12/3 is December 3 (mdy, default) or 12 March (dmy)
//	  small_talk: on              # built-in small talk (bot identity, ok/thanks, greetings,
//	                              # goodbyes, never mind); on (default) or off
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
// label per intent and one per FAQ entry (its questions are its examples);
// an FAQ entry scores the higher of its probability and the cosine
// similarity of its closest question when that reaches FAQMinCosine. When
// the two best candidates are close and both plausible (see the rule under
// Understanding) the bot asks which one is meant, offering one phrase of
// each as quick replies (message key clarify).
//
// # Small talk
//
// Unless settings.small_talk is off, the bot also knows, in English and
// Chinese, the small talk customers expect of a brand: "are you a bot"
// (label smalltalk:bot_identity), acknowledgements such as "ok", "got it",
// 好的 (smalltalk:acknowledge: no fallback, the fallback count is reset),
// greetings, goodbyes and thanks (smalltalk:greeting, smalltalk:goodbye,
// smalltalk:thanks). "never mind", "forget it", 算了 outside a flow get a
// short reply (smalltalk:never_mind), inside one they cancel it. An
// owner's intent named bot_identity, acknowledge, greeting, goodbye or
// thanks replaces the built-in one (its examples and responses); the
// responses: keys of the same names (and never_mind) replace only the
// built-in replies.
//
// English messages are also scored by a sentence encoder built into the
// binary (package intents/nlu/encoder, Options.Encoder, config key
// bot.encoder): a second classifier over the embeddings of the English
// examples, whose probabilities are blended with the lexical ones (see
// nlu.Blend). With EncoderAuto it runs only when the lexical top
// probability is below CascadeSkip. Chinese text is scored by the lexical
// model alone. [Understander.Rank] returns every candidate with both
// models' scores, for explanations.
//
// # Entities
//
// Entities are the values a flow asks for. Top-level entities: defines the
// owner's own types; a text is a regular expression (RE2, compiled once at
// load time; its first capturing group, when it has one, is the value), a
// mapping is a list of canonical values with their synonyms (matched
// case-insensitively as whole words; Chinese synonyms anywhere):
//
//	entities:
//	  order_id: '#?\b([A-Z]{2}\d{6})\b'     # "#AB123456" gives AB123456
//	  size: {S: [small, 小号], M: [medium, 中号], L: ~}
//	  voucher: {regex: '\b([a-z]{4}-\d{4})\b', case: upper}  # "abcd-1234" gives ABCD-1234
//
// A regex written as a mapping takes case: upper or lower, which writes the
// value in that case (the regex itself decides what matches: use (?i) or
// [A-Za-z] to accept both).
//
// Built-in types (package intents/entity; they cannot be redefined):
// number ("3", "twenty-five", 三十五), money ("€4.90", "30块" → "4.90 EUR",
// "30.00 CNY"), date (2026-12-03, 12/3, "December 3", 12月3日, "tomorrow",
// "next friday", "in 3 days", 明天, 下周五, 3天后 → ISO 8601, relative to the
// message's time in settings.time_zone), time ("3pm", 下午3点 → 15:00),
// email, phone, url, yes_no ("yes", "sure", 是的 → yes; "no", 不对 → no) and
// text (the whole message, for free text such as an address).
//
// # Flows
//
// A flow is a multi-turn dialogue started by an intent: it asks for its
// slots in order, then answers with a template or calls an action.
//
//	flows:
//	  - name: order_status
//	    intent: order_status        # the intent that starts it (its responses, if any, come first)
//	    slots:
//	      - name: order_id          # letters, digits, _ - . ; not starting with _
//	        entity: order_id        # a built-in type or a name under entities
//	        prompt: {en: "What's your order number?", zh: "请告诉我订单号。"}
//	        reprompt: {en: "That's two letters and six digits, like AB123456."}  # default: prompt
//	        validate: {regex: "^A", values: [S, M], min: 1, max: 10}  # each optional;
//	                                # min/max for number and money only
//	        quick_replies: {en: [Small, Large]}  # default: a list entity's values, Yes/No for yes_no
//	        reask_on_no: [address]  # yes_no slots only: "no" asks these earlier slots again
//	    max_attempts: 3             # failed answers to one prompt before on_failure; default 3
//	    on_failure: handoff         # or exit (says failure_response); default handoff
//	    failure_response: {en: "Sorry, let's leave it there."}
//	    response: {en: "Order {{.Slots.order_id}} is on its way."}
//	    action:                     # optional: a webhook to the owner's service
//	      url: https://shop.example/hooks/order-status
//	      secret_env: SHOP_HOOK_SECRET   # or secret: "…"; without either requests are unsigned (warning)
//	      timeout: 5s               # default 5s, at most 30s
//	      error_response: {en: "Our order system is not answering. Say \"retry\" or \"cancel\"."}
//	    then: feedback              # optional: the flow to start when this one is complete
//
// Every slot is filled from the customer's answer to its prompt; when the
// flow starts, slots of types other than text and yes_no are also filled
// from the message that started it ("where is my order AB123456" answers at
// once). In a flow the customer can cancel ("cancel", "never mind", 取消,
// 算了), correct a slot filled earlier by giving a new value of its type
// ("actually it's XY123456"), ask an FAQ or another intent (answered, then
// the pending prompt is asked again) or start another flow. An answer that
// gives no valid value is a failed attempt: the reprompt, or after
// max_attempts a handoff (the engine says the handoff message) or an exit.
// Slots stay in the conversation, for later templates, until a flow that
// uses them starts again or the session times out. Flow state lives in
// core.State (Flow, FlowSlot, Attempts, Slots): the Understander stays
// stateless, and a conversation in a flow that a reload removed leaves it
// with the flow_gone message.
//
// An action is called when all slots are filled: a POST of JSON
// (ActionRequest: flow, conversation_id, request_id, language, user_name,
// slots, timestamp) signed with X-Switchboard-Signature: sha256=<hex
// HMAC-SHA256 of the body with the secret> (see Sign and VerifySignature).
// A 2xx reply {"text": "…", "quick_replies": […]} is said to the customer
// (when it has no text, the flow's response is); a timeout, another status
// or a body that is not such JSON says the error response with Retry/Cancel
// buttons and keeps the flow, so "retry" calls the action again (up to
// max_attempts failures, then on_failure). Without an action the response
// is said. Checks: a flow needs an intent (not a handoff intent, one flow
// per intent), slots each with a known entity and a prompt, and a response,
// an action or then; then-chains must not lead back to themselves.
//
// # Responses
//
// The top-level responses: key holds the bot's texts for moments of its
// own, per language (built-in English and Chinese texts otherwise):
// cancelled, flow_gone, slot_updated, action_error, too_many_attempts,
// retry_button, cancel_button (the button labels, also accepted as
// answers), returned and unavailable (core's notices when a conversation
// comes back from a person, and when no person is available), clarify, and
// the small talk replies bot_identity, acknowledge, greeting, goodbye,
// thanks and never_mind.
//
// # Sentiment
//
// Every decision carries Sentiment in [-1, 1] from package
// intents/sentiment (an English and Chinese word list with negation and
// intensifiers). Factual complaint words ("wrong address", "broken",
// 坏了) weigh far less than frustration ("annoyed", 失望) and anger
// ("ridiculous", 垃圾) words, so a reported problem goes to a flow. When
// handoff.on_negative_sentiment is on, the engine hands off by
// sentiment.Angry: one message at or below -0.8 (real anger), or two
// messages in a row each below -0.4 (repeated frustration).
//
// # Conversation tests and reloading
//
// Conversation tests (package intents/convtest) are YAML files in the bot
// directory's tests/ subdirectory, which Load does not read. A Reloader
// serves a bot directory and replaces it when its files change (Watch) or
// on demand (Reload); an invalid version is logged with file:line problems
// and the running one keeps answering.
//
// # Responses
//
// Responses, answers, prompts, the fallback and the handoff message are Go
// text/template templates (https://pkg.go.dev/text/template) executed with
// Data: {{.UserName}} is the customer's display name (may be empty),
// {{.Slots.order_id}} a slot of the conversation (empty when unset), and
// {{.Language}} the language of the reply, and {{.Date .Slots.pickup_date}}
// shows a date slot (stored as 2026-12-18) in the reply's language: "Friday
// 18 December", "12月18日（周五）". For example
// "Hi{{if .UserName}} {{.UserName}}{{end}}!". Output is trimmed. When a
// response has several variants one is picked at random (reproducibly with
// Options.Seed). A template may only use slots that can be set when it is
// said: a flow's templates the slots of the flow and of the flows chained
// before it, other templates the slots of any flow; anything else is a
// file:line error.
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
// core.Understander). Outside a flow a message is answered when its best
// label scores at least the confidence threshold of its language and no
// close second is also plausible; the bot asks which of two labels is meant
// when the two are close, the runner-up reaches half the threshold, the two
// together reach it and the rest trail; otherwise it falls back. The
// threshold is configured or, when 0, calibrated per language to a rate of
// wrong answers: the lowest at which the bot answers at most 15% of a
// built-in set of generic out-of-scope sentences (those unlike the bot's
// examples) and at most a quarter of its answers to its own held-out
// examples (4-fold cross-validation) are wrong. Understander.Explain shows
// the candidates, each model's score, the threshold and the reason;
// CheckWarnings finds intents whose examples overlap. The customer's language is the
// message's hint, else detected from the text, else the conversation's last
// language, else the default language.
package intents
