package entity

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzExtract runs every extractor on arbitrary text: none may panic, and
// every match must point at its own text inside the input with a non-empty
// value. Date values must be ISO dates and time values HH:MM.
func FuzzExtract(f *testing.F) {
	for _, s := range []string{"tomorrow at 3pm", "下周五下午3点", "12/3/2026 €4.90", "+49 30 1234-5678 ann@example.com",
		"https://example.com/a www.x.org", "二零二七年一月五日 三十块", "yes 不对", "one hundred and five", "\xff\xfe１２／３"} {
		f.Add(s)
	}
	list, err := NewList([]ListValue{{Value: "S", Synonyms: []string{"small", "小号"}}, {Value: "damaged", Synonyms: []string{"broken", "坏了"}}})
	if err != nil {
		f.Fatal(err)
	}
	re, err := NewRegex(`#?\b([A-Z]{2}\d{6})\b`)
	if err != nil {
		f.Fatal(err)
	}
	loc := time.FixedZone("X", 8*3600)
	ctx := Context{Now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), Location: loc}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 4096 {
			return
		}
		extractors := map[string]Extractor{"list": list, "regex": re}
		for _, name := range BuiltinNames() {
			extractors[name], _ = Builtin(name)
		}
		for name, x := range extractors {
			for _, m := range x.Extract(text, ctx) {
				if m.Start < 0 || m.End > len(text) || m.Start > m.End || text[m.Start:m.End] != m.Text {
					t.Fatalf("%s(%q): bad offsets %+v", name, text, m)
				}
				if m.Value == "" || (utf8.ValidString(text) && !utf8.ValidString(m.Value)) {
					t.Fatalf("%s(%q): bad value %+v", name, text, m)
				}
				switch name {
				case "date":
					if _, err := time.Parse("2006-01-02", m.Value); err != nil {
						t.Fatalf("date(%q) = %q: %v", text, m.Value, err)
					}
				case "time":
					if _, err := time.Parse("15:04", m.Value); err != nil {
						t.Fatalf("time(%q) = %q: %v", text, m.Value, err)
					}
				case "yes_no":
					if m.Value != "yes" && m.Value != "no" {
						t.Fatalf("yes_no(%q) = %q", text, m.Value)
					}
				case "money":
					if !strings.Contains(m.Value, " ") {
						t.Fatalf("money(%q) = %q", text, m.Value)
					}
				}
			}
		}
	})
}
