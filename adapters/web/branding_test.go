package web

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestContrast(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want float64
	}{
		{"#000000", "#ffffff", 21},
		{"#fff", "#ffffff", 1},
		{"#2563eb", "#ffffff", 5.17}, // the default primary colour
		{"#767676", "#ffffff", 4.54}, // the classic lightest AA grey
		{"#f5a623", "#fff", 2.03},
	} {
		a, okA := parseColor(tc.a)
		b, okB := parseColor(tc.b)
		if !okA || !okB {
			t.Fatalf("parseColor(%q, %q) failed", tc.a, tc.b)
		}
		if got := contrast(a, b); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("contrast(%s, %s) = %.3f, want %.2f", tc.a, tc.b, got, tc.want)
		}
	}
	for _, bad := range []string{"", "red", "#12", "#12345", "#1234567", "#ggg", "2563eb", "#25 3eb"} {
		if _, ok := parseColor(bad); ok {
			t.Errorf("parseColor(%q) accepted", bad)
		}
	}
}

func TestBrandingWarnings(t *testing.T) {
	if w := (Config{Branding: Branding{PrimaryColor: "#2563eb"}}).Warnings(); len(w) != 0 {
		t.Fatalf("default colour warns: %q", w)
	}
	w := (Config{Branding: Branding{PrimaryColor: "#7dd3fc"}}).Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "web.primary_color") || !strings.Contains(w[0], "WCAG AA") {
		t.Fatalf("light colour warnings = %q", w)
	}
}

func TestBrandingValidate(t *testing.T) {
	dir := t.TempDir()
	png := filepath.Join(dir, "bot.png")
	os.WriteFile(png, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 0o600)
	txt := filepath.Join(dir, "bot.png.txt")
	os.WriteFile(txt, []byte("hello"), 0o600)
	big := filepath.Join(dir, "big.svg")
	os.WriteFile(big, []byte("<svg>"+strings.Repeat(" ", MaxAvatarBytes)+"</svg>"), 0o600)
	for _, tc := range []struct {
		name string
		b    Branding
		want string // "" = valid
	}{
		{"zero", Branding{}, ""},
		{"full", Branding{Title: "Acme", BotName: "Bo", AvatarFile: png, LogoURL: "https://x.example/l.svg",
			PrimaryColor: "#123", Welcome: map[string]string{"en": "Hi", "zh-tw": "您好"},
			QuickReplies: map[string][]string{"en": {"Hours"}}, Strings: map[string]map[string]string{"zh": {"send": "发"}},
			AllowedOrigins: []string{"https://Shop.example", "http://localhost:3000"}, Prechat: []string{"email"}}, ""},
		{"avatar not an image", Branding{AvatarFile: txt}, "web.avatar_file: " + txt + " is text/plain"},
		{"avatar too big", Branding{AvatarFile: big}, "larger than 256 KiB"},
		{"avatar missing", Branding{AvatarFile: filepath.Join(dir, "none.png")}, "cannot read the avatar"},
		{"both avatars", Branding{AvatarFile: png, AvatarURL: "https://x.example/a.png"}, "not both"},
		{"blank quick reply", Branding{QuickReplies: map[string][]string{"en": {" "}}}, "web.quick_replies.en[0]: is blank"},
		{"wildcard origin", Branding{AllowedOrigins: []string{"https://*.example"}}, "web.allowed_origins[0]"},
		{"prechat twice", Branding{Prechat: []string{"name", "name"}}, `"name" is listed twice`},
		{"long welcome", Branding{Welcome: map[string]string{"en": strings.Repeat("x", 1001)}}, "web.welcome.en: is longer than 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Config{Branding: tc.b}.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestUIStrings checks that every language has every UI string and that the
// owner's texts override the built-in ones per language.
func TestUIStrings(t *testing.T) {
	for lang, m := range uiStrings {
		for _, k := range UIStringKeys() {
			if strings.TrimSpace(m[k]) == "" {
				t.Errorf("%s has no %q", lang, k)
			}
		}
		if len(m) != len(UIStringKeys()) {
			t.Errorf("%s has %d strings, en has %d", lang, len(m), len(UIStringKeys()))
		}
	}
	b := Branding{Placeholder: map[string]string{"zh": "请描述您的问题"}, Welcome: map[string]string{"fr": "Bonjour !"},
		Strings: map[string]map[string]string{"en": {"send": "Go"}}}
	s := b.strings()
	if s["zh"]["placeholder"] != "请描述您的问题" || s["zh"]["send"] != "发送" {
		t.Errorf("zh = %v", s["zh"])
	}
	if s["en"]["send"] != "Go" || s["en"]["placeholder"] != "Type a message…" {
		t.Errorf("en = %v", s["en"])
	}
	if s["fr"]["welcome"] != "Bonjour !" || s["fr"]["send"] != "Send" {
		t.Errorf("a language the owner adds starts from English: fr = %v", s["fr"])
	}
}
