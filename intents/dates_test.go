package intents

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/switchboard-gw/switchboard/intents/entity"
)

func TestDataDate(t *testing.T) {
	tests := []struct{ lang, in, want string }{
		{"en", "2026-12-18", "Friday 18 December"},
		{"en-gb", "2027-01-04", "Monday 4 January"},
		{"zh", "2026-12-18", "12月18日（周五）"},
		{"zh-hant", "2026-12-20", "12月20日（周日）"},
		{"fr", "2026-12-18", "2026-12-18"},
		{"en", "next week", "next week"},
		{"en", "", ""},
	}
	for _, tt := range tests {
		if got := (Data{Language: tt.lang}).Date(tt.in); got != tt.want {
			t.Errorf("Date(%q) in %s = %q, want %q", tt.in, tt.lang, got, tt.want)
		}
	}
	tp, err := ParseTemplate("on {{.Date .Slots.d}}")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := tp.Execute(Data{Language: "en", Slots: map[string]string{"d": "2026-12-18"}}); got != "on Friday 18 December" {
		t.Errorf("template: %q", got)
	}
	if refs, _ := tp.SlotRefs(); len(refs) != 1 || refs[0] != "d" {
		t.Errorf("SlotRefs = %v", refs)
	}
}

func TestRegexEntityCase(t *testing.T) {
	bot, err := Load(Sample(), ".")
	if err != nil {
		t.Fatal(err)
	}
	e := bot.Entities["order_id"]
	for _, text := range []string{"ab123456", "#Ab123456", "it's AB123456"} {
		m := e.Extractor.Extract(text, entity.Context{})
		if len(m) != 1 || m[0].Value != "AB123456" {
			t.Errorf("order_id in %q = %+v, want AB123456", text, m)
		}
	}
	_, err = Load(fstest.MapFS{"b.yaml": {Data: []byte(`
fallback: {en: ["?"]}
entities:
  code: {regex: '[a-z]+\d', case: sideways}
intents:
  - {name: a, examples: {en: [hello there]}, responses: {en: ["A"]}}
  - {name: b, examples: {en: [bye now]}, responses: {en: ["B"]}}
`)}}, ".")
	if err == nil || !strings.Contains(err.Error(), `b.yaml:4: entity "code": case "sideways": want upper or lower`) {
		t.Errorf("bad case: %v", err)
	}
}
