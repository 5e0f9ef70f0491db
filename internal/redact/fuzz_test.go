package redact

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRedact checks, for any input, with every built-in kind and an owner
// pattern: no panic, valid UTF-8 out, idempotence (masking twice changes
// nothing more), and that text without digits and '@' (ASCII or
// full-width) is left alone.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		message,
		"手机13812345678，身份证11010519491231002X，卡号6221 2345 6789 0123 450",
		"+44 (0)20 7946 0958 / +1 (415) 555-0100 / +86 138 1234 5678",
		"IBAN DE89 3704 0044 0532 0130 00 and GB82WEST12345698765432",
		"13812345678@qq.com a@b.co4111111111111111",
		"order AB123456 VIP-1234",
		"[card ****1111][email]",
	} {
		f.Add(s)
	}
	builtins, err := New(Config{Kinds: Kinds()})
	if err != nil {
		f.Fatal(err)
	}
	withPattern, err := New(Config{Kinds: Kinds(), Patterns: []string{`(?i)vip-[0-9]{4}`}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range []*Redactor{builtins, withPattern} {
			out := r.Redact(s)
			if !utf8.ValidString(out) {
				t.Fatalf("Redact(%q) = %q: invalid UTF-8", s, out)
			}
			if again := r.Redact(out); again != out {
				t.Fatalf("not idempotent:\n in    %q\n once  %q\n twice %q", s, out, again)
			}
		}
		if utf8.ValidString(s) && !strings.ContainsAny(s, "0123456789@０１２３４５６７８９＠") {
			if out := builtins.Redact(s); out != s {
				t.Fatalf("Redact(%q) = %q: text without digits or '@' changed", s, out)
			}
		}
	})
}
