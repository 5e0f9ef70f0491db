package nlu

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"english", "Where is my card?", []string{"where", "is", "my", "card"}},
		{"apostrophe", "I don't know what's up", []string{"i", "dont", "know", "whats", "up"}},
		{"curly apostrophe", "can’t log in", []string{"cant", "log", "in"}},
		{"trailing apostrophe", "the users' cards", []string{"the", "users", "cards"}},
		{"numbers", "transfer 1,000.50 to account 42", []string{"transfer", "1,000.50", "to", "account", "42"}},
		{"list comma", "1, 2 and 3.", []string{"1", "2", "and", "3"}},
		{"alphanumeric", "flight UA123 at 5pm", []string{"flight", "ua123", "at", "5pm"}},
		{"currency", "send £20 or $5", []string{"send", "£", "20", "or", "$", "5"}},
		{"chinese", "我想订酒店。", []string{"我", "想", "订", "酒", "店"}},
		{"full-width latin and digits", "ＡＢＣ　１２３！", []string{"abc", "123"}},
		{"full-width punctuation in chinese", "你好，世界！", []string{"你", "好", "世", "界"}},
		{"mixed", "行的，北京工体A. Hotel酒店", []string{"行", "的", "北", "京", "工", "体", "a", "hotel", "酒", "店"}},
		{"japanese kana", "ホテルを予約", []string{"ホ", "テ", "ル", "を", "予", "約"}},
		{"accents", "Café Ünïcode ÉCOLE", []string{"café", "ünïcode", "école"}},
		{"combining accent composed", "cafe\u0301", []string{"café"}},
		{"cyrillic", "Привет мир", []string{"привет", "мир"}},
		{"emoji", "great 👍", []string{"great", "👍"}},
		{"ligature", "ﬁne", []string{"fine"}},
		{"empty", "", nil},
		{"only punctuation", "?!...", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Tokens(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDetectLanguage(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"Where is my card?", "en"},
		{"我的卡在哪里", "zh"},
		{"我想订酒店 please", "zh"},
		{"book a hotel near 天安门", "en"},
		{"北京工体A. Hotel酒店听起来不错", "zh"},
		{"ＡＢＣ", "en"},
		{"12345 👍", "en"},
		{"", "en"},
		{"ホテルを予約", "zh"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := DetectLanguage(tt.in); got != tt.want {
				t.Errorf("DetectLanguage(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzTokens(f *testing.F) {
	for _, s := range []string{"Where is my card?", "我想订酒店。", "ＡＢＣ　１２３！", "don't 1,000.5 £", "cafe\u0301", "\xff\xfe", "'a'b'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := Tokens(s)
		for _, tok := range toks {
			if tok == "" {
				t.Fatalf("Tokens(%q) has an empty token", s)
			}
			if !utf8.ValidString(tok) {
				t.Fatalf("Tokens(%q) has invalid UTF-8 token %q", s, tok)
			}
		}
		// Normalisation is idempotent: tokenising the tokens again gives
		// the same tokens.
		if again := Tokens(strings.Join(toks, " ")); !slices.Equal(again, toks) {
			t.Fatalf("Tokens(%q) = %q, but re-tokenised %q", s, toks, again)
		}
		if lang := DetectLanguage(s); lang != "en" && lang != "zh" {
			t.Fatalf("DetectLanguage(%q) = %q", s, lang)
		}
	})
}
