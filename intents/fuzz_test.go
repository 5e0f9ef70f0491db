package intents

import (
	"errors"
	"testing"
	"testing/fstest"
)

// FuzzLoad feeds arbitrary bytes as a bot file: Load must not panic and
// must return either a usable Bot or a *ValidationError whose problems all
// name the file (or the directory) with a sane line.
func FuzzLoad(f *testing.F) {
	// Seeds stay small: the fuzzer minimizes every new input it finds, and
	// minimizing mutants of the whole sample bot takes minutes.
	f.Add([]byte(`settings: {default_language: en}
intents:
  - name: greeting
    examples: {en: [hello, hi], zh: [你好]}
    responses:
      en: ["Hi{{if .UserName}} {{.UserName}}{{end}}!"]
      zh: 您好！
    quick_replies: {en: [Opening hours]}
  - name: human
    handoff: true
    examples: {en: [agent]}
faq:
  - id: shipping
    questions: {en: [how much is shipping]}
    answer: {en: Free over €50.}
fallback: {en: [Sorry?]}
handoff: {en: Connecting you.}
`))
	f.Add([]byte(""))
	f.Add([]byte("intents: {}\n"))
	f.Add([]byte("fallback: {en: \"{{.UserName}}\"}\nintents:\n  - name: a\n    examples: {en: [a]}\n    responses: {en: [\"{{.Slots.x}}\"]}\n"))
	f.Add([]byte("a: &x [1]\nb: *x\n---\n- 1\n"))
	f.Add([]byte(`settings: {session_timeout: 30m, time_zone: Asia/Shanghai, date_order: dmy}
entities:
  order_id: '#?\b([A-Z]{2}\d{6})\b'
  size: {S: [small, 小号], L: ~}
fallback: {en: "Sorry?"}
responses: {cancelled: {en: Stopped.}}
intents:
  - name: a
    examples: {en: [where is my order, track it]}
  - name: b
    examples: {en: [hello, hi]}
    responses: {en: "Hi {{.Slots.id}}"}
flows:
  - name: f
    intent: a
    slots:
      - {name: id, entity: order_id, prompt: {en: "Number?"}, validate: {regex: "^[A-Z]"}}
      - {name: n, entity: number, prompt: {en: "How many?"}, validate: {min: 1, max: 9}}
      - {name: ok, entity: yes_no, prompt: {en: "{{.Slots.id}}?"}, reask_on_no: [n]}
    max_attempts: 2
    on_failure: exit
    action: {url: "http://127.0.0.1:9/x", secret: s, timeout: 1s}
    then: g
  - name: g
    intent: b
    slots: [{name: s, entity: size, prompt: {en: "Size?"}}]
    response: {en: "{{.Slots.id}} {{.Slots.s}}"}
`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"bot/a.yaml": {Data: data}}
		bot, err := Load(fsys, "bot")
		if err != nil {
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Load returned %T %v, want *ValidationError", err, err)
			}
			if bot != nil || verr.Errors() == 0 {
				t.Fatalf("bot %v with error %v", bot, err)
			}
			for _, p := range verr.Problems {
				if (p.File != "bot/a.yaml" && p.File != "bot") || p.Line < 0 || p.Msg == "" {
					t.Fatalf("bad problem %+v", p)
				}
			}
			return
		}
		if len(bot.Fallback) == 0 || len(bot.Intents)+len(bot.FAQs) == 0 {
			t.Fatalf("valid bot without fallback or labels: %+v", bot)
		}
		render := func(l Localized) {
			for _, vs := range l {
				for _, v := range vs {
					if _, err := v.Execute(Data{}); err != nil {
						t.Fatalf("loaded template %q fails on empty data: %v", v.Source(), err)
					}
				}
			}
		}
		for _, fl := range bot.Flows {
			if len(fl.Slots) == 0 || bot.flowFor(fl.Intent) == nil || fl.MaxAttempts < 1 {
				t.Fatalf("flow %q: %+v", fl.Name, fl)
			}
			for _, s := range fl.Slots {
				if bot.entity(s.Entity) == nil || len(s.Prompt) == 0 {
					t.Fatalf("flow %q slot %q without entity or prompt", fl.Name, s.Name)
				}
				render(s.Prompt)
			}
			render(fl.Response)
		}
		render(bot.Fallback)
		render(bot.Handoff)
		for _, in := range bot.Intents {
			if len(in.Examples) == 0 || (len(in.Responses) == 0 && !in.Handoff && bot.flowFor(in.Name) == nil) {
				t.Fatalf("intent %q without examples or responses", in.Name)
			}
			render(in.Responses)
		}
		for _, faq := range bot.FAQs {
			if len(faq.Questions) == 0 || len(faq.Answer) == 0 {
				t.Fatalf("faq %q without questions or answer", faq.ID)
			}
			render(faq.Answer)
		}
	})
}
