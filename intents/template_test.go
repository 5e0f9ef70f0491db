package intents

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func mustTemplates(t *testing.T, srcs ...string) []*Template {
	t.Helper()
	var out []*Template
	for _, s := range srcs {
		tp, err := ParseTemplate(s)
		if err != nil {
			t.Fatalf("ParseTemplate(%q): %v", s, err)
		}
		out = append(out, tp)
	}
	return out
}

func TestTemplateExecute(t *testing.T) {
	tests := []struct {
		src  string
		data Data
		want string
	}{
		{"Hello {{.UserName}}!", Data{UserName: "Ann"}, "Hello Ann!"},
		{"Hi{{if .UserName}} {{.UserName}}{{end}}!", Data{}, "Hi!"},
		{"Order {{.Slots.order_id}} ships today.", Data{Slots: map[string]string{"order_id": "SB-42"}}, "Order SB-42 ships today."},
		{"Order [{{.Slots.order_id}}]", Data{}, "Order []"},                                   // nil map
		{"Order [{{.Slots.order_id}}]", Data{Slots: map[string]string{"x": "y"}}, "Order []"}, // missing key
		{`{{index .Slots "order id"}}`, Data{Slots: map[string]string{"order id": "7"}}, "7"}, // any key
		{"  line one\n  line two\n\n", Data{}, "line one\n  line two"},                        // trimmed
		{"{{.Language}}", Data{Language: "zh"}, "zh"},
		{"<b>{{.UserName}}</b>", Data{UserName: "<script>"}, "<b><script></b>"}, // text, not HTML
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			tp := mustTemplates(t, tt.src)[0]
			got, err := tp.Execute(tt.data)
			if err != nil {
				t.Fatalf("Execute: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if tp.Source() != tt.src {
				t.Errorf("Source() = %q", tp.Source())
			}
		})
	}
}

func TestParseTemplateErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"{{.UserName", `unclosed action`},
		{"{{.Nmae}}", `at <.Nmae>: can't evaluate field Nmae in the template data (UserName, Slots, Language)`},
		{"{{upper .UserName}}", `function "upper" not defined`},
		{"{{end}}", `unexpected {{end}}`},
		{`{{range $i := 100000}}{{printf "%080d" $i}}{{end}}`, `output longer than 65536 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := ParseTemplate(tt.src)
			if err == nil {
				t.Fatal("ParseTemplate succeeded")
			}
			if !strings.HasSuffix(err.Error(), tt.want) || strings.Contains(err.Error(), "template: t:") {
				t.Errorf("error %q, want it to end in %q without text/template's prefix", err, tt.want)
			}
		})
	}
}

func TestLocalizedLookup(t *testing.T) {
	l := Localized{
		"en":      mustTemplates(t, "en"),
		"zh":      mustTemplates(t, "zh"),
		"zh-hant": mustTemplates(t, "zh-hant"),
		"pt-br":   mustTemplates(t, "pt-br"),
		"de":      nil, // no variants: never chosen
	}
	tests := []struct{ lang, def, want string }{
		{"en", "en", "en"},
		{"zh", "en", "zh"},
		{"ZH-Hant", "en", "zh-hant"},
		{"zh-CN", "en", "zh"},    // base language
		{"pt", "en", "pt-br"},    // same base
		{"pt_PT", "en", "pt-br"}, // underscore separator, same base
		{"fr", "en", "en"},       // default language
		{"fr", "zh", "zh"},
		{"", "zh-hant", "zh-hant"},
		{"de", "es", "en"}, // neither: alphabetically first
	}
	for _, tt := range tests {
		if got, vs := l.Lookup(tt.lang, tt.def); got != tt.want || len(vs) != 1 || vs[0].Source() != tt.want {
			t.Errorf("Lookup(%q, %q) = %q, %v; want %q", tt.lang, tt.def, got, vs, tt.want)
		}
	}
	if got, vs := (Localized{}).Lookup("en", "en"); got != "" || vs != nil {
		t.Errorf("empty Lookup = %q, %v", got, vs)
	}
	if _, _, err := (Localized{}).Render(rand.New(rand.NewPCG(1, 1)), "en", "en", Data{}); err == nil {
		t.Error("Render of empty Localized succeeded")
	}
}

func TestRenderDeterministicWithSeed(t *testing.T) {
	l := Localized{"en": mustTemplates(t, "a", "b", "c", "d"), "zh": mustTemplates(t, "甲")}
	pick := func(seed uint64, n int) string {
		rng := rand.New(rand.NewPCG(seed, 99))
		var b strings.Builder
		for range n {
			text, lang, err := l.Render(rng, "en", "en", Data{})
			if err != nil || lang != "en" {
				t.Fatalf("Render = %q, %q, %v", text, lang, err)
			}
			b.WriteString(text)
		}
		return b.String()
	}
	first := pick(7, 40)
	if again := pick(7, 40); again != first {
		t.Errorf("same seed, different choices: %s vs %s", first, again)
	}
	if other := pick(8, 40); other == first {
		t.Errorf("seeds 7 and 8 made the same 40 choices %s", first)
	}
	for _, v := range []string{"a", "b", "c", "d"} {
		if !strings.Contains(first, v) {
			t.Errorf("variant %q never picked in 40 draws: %s", v, first)
		}
	}
	if text, lang, _ := l.Render(rand.New(rand.NewPCG(1, 1)), "zh-TW", "en", Data{}); text != "甲" || lang != "zh" {
		t.Errorf("zh-TW rendered %q in %q, want 甲 in zh", text, lang)
	}
}

func TestRenderSkipsFailingVariant(t *testing.T) {
	// Valid on empty data, fails once a user name is set.
	bad := "{{if .UserName}}{{.UserName.First}}{{end}}"
	l := Localized{"en": mustTemplates(t, bad, "Hi {{.UserName}}")}
	for seed := range uint64(10) {
		text, _, err := l.Render(rand.New(rand.NewPCG(seed, 0)), "en", "en", Data{UserName: "Ann"})
		if err != nil || text != "Hi Ann" {
			t.Fatalf("seed %d: Render = %q, %v; want the working variant", seed, text, err)
		}
	}
	only := Localized{"en": mustTemplates(t, bad)}
	if _, _, err := only.Render(rand.New(rand.NewPCG(1, 1)), "en", "en", Data{UserName: "Ann"}); err == nil ||
		!strings.Contains(err.Error(), "can't evaluate field First") {
		t.Errorf("Render of failing variant: err = %v", err)
	}
}
