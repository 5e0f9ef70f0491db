package slack

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kyokomi/emoji/v2"
)

func TestPlainText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"hello", "hello"},
		{"  <@UBOT> hello  ", "hello"},
		{"hi <@UBOT>, are you there", "hi , are you there"},
		{"ask <@U123> or <@U456|bo>", "ask @U123 or @bo"},
		{"see <#C123|general> and <#C456>", "see #general and #C456"},
		{"<https://shop.example/o/42|order 42> and <https://x.example>", "order 42 and https://x.example"},
		{"mail <mailto:a@b.example|a@b.example> or <mailto:c@d.example>", "mail a@b.example or c@d.example"},
		{"<!here> <!channel> <!subteam^S1|@support> <!date^1392734382^{date}|Feb 18>", "@here @channel @support Feb 18"},
		{"a &lt;b&gt; &amp;amp; c", "a <b> &amp; c"},
		{"unclosed <@UBOT and 3 < 4", "unclosed <@UBOT and 3 < 4"},
		{"line one\nline two", "line one\nline two"},
		{"<@UBOT>", ""},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := plainText(c.in, "UBOT"); got != c.want {
				t.Fatalf("plainText(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	if got := escape("<!channel> & <@U1> *hi*"); got != "&lt;!channel&gt; &amp; &lt;@U1&gt; *hi*" {
		t.Fatalf("escape = %q", got)
	}
	if got := plainText(escape("a <b> & c"), ""); got != "a <b> & c" {
		t.Fatalf("round trip = %q", got)
	}
}

func TestSplit(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		limit int
		want  []string
	}{
		{"empty", "", 10, nil},
		{"short", "hello", 10, []string{"hello"}},
		{"exact", "0123456789", 10, []string{"0123456789"}},
		{"at a space", "aaaa bbbb cccc", 10, []string{"aaaa bbbb ", "cccc"}},
		{"at a newline first", "aa\nbbb cc dd", 10, []string{"aa\nbbb cc ", "dd"}},
		{"hard cut", "abcdefghijklmno", 10, []string{"abcdefghij", "klmno"}},
		{"runes, not bytes", "日本語日本語日本語日本", 10, []string{"日本語日本語日本語日", "本"}},
		{"not inside an entity", "abcdefg&amp;xyz", 10, []string{"abcdefg", "&amp;xyz"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := split(c.in, c.limit)
			if strings.Join(got, "|") != strings.Join(c.want, "|") || len(got) != len(c.want) {
				t.Fatalf("split = %q, want %q", got, c.want)
			}
		})
	}
	t.Run("long text", func(t *testing.T) {
		in := strings.Repeat("word & <word> ", 2000)
		pieces := split(escape(in), MaxTextRunes)
		if len(pieces) < 2 {
			t.Fatalf("%d pieces", len(pieces))
		}
		for i, p := range pieces {
			if n := utf8.RuneCountInString(p); n > MaxTextRunes {
				t.Fatalf("piece %d has %d runes", i, n)
			}
		}
		if plainText(strings.Join(pieces, ""), "") != strings.TrimSpace(in) {
			t.Fatal("pieces do not add up to the text")
		}
	})
}

func TestTruncate(t *testing.T) {
	if got := truncate("hello world", 5); got != "hell…" {
		t.Fatalf("truncate = %q", got)
	}
	if got := truncate("héllo", 5); got != "héllo" {
		t.Fatalf("truncate = %q", got)
	}
}

func TestCustomerText(t *testing.T) {
	names := map[string]string{"U123": "Ana", "U456": "@bo", "UNONAME": ""}
	name := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		return id // what the name cache returns when Slack does not tell
	}
	cases := []struct{ name, in, want string }{
		// Links keep their URL.
		{"issue example", "Here is your <https://x/track?id=1&amp;x=2|tracking link>", "Here is your tracking link (https://x/track?id=1&x=2)"},
		{"link without label", "see <https://shop.example/help>", "see https://shop.example/help"},
		{"label equals URL", "<https://shop.example/a?b=1&amp;c=2|https://shop.example/a?b=1&amp;c=2>", "https://shop.example/a?b=1&c=2"},
		{"label is URL without scheme", "go to <http://example.com|example.com>", "go to http://example.com"},
		{"mailto same label", "write to <mailto:a@b.c|a@b.c>", "write to a@b.c"},
		{"mailto other label", "<mailto:help@shop.example|our help desk>", "our help desk (help@shop.example)"},
		{"tel", "call <tel:+4930123|+4930123>", "call +4930123"},
		{"underscores in a URL", "<https://x.example/a_b_c/*d*|https://x.example/a_b_c/*d*>", "https://x.example/a_b_c/*d*"},
		{"bare URL is not unformatted", "open https://x.example/_a_/~b~ now", "open https://x.example/_a_/~b~ now"},
		{"bold link", "*<https://x.example|Track it>*", "Track it (https://x.example)"},
		// Mentions.
		{"user by name", "<@U123> will help you", "@Ana will help you"},
		{"name already with @", "ask <@U456>", "ask @bo"},
		{"unknown user, label", "ask <@U999|carl>", "ask @carl"},
		{"unknown user, no label", "ask <@U999>", "ask @U999"},
		{"empty name, label", "ask <@UNONAME|dee>", "ask @dee"},
		{"bot mention dropped", "thanks <@UBOT> for waiting", "thanks for waiting"},
		{"channel", "see <#C123|general>", "see #general"},
		{"channel without name", "see <#C123>", "see #C123"},
		{"special mentions", "<!here> <!channel> <!subteam^S1|@support>", "@here @channel @support"},
		{"date", "due <!date^1392734382^{date_short}|Feb 18, 2014>", "due Feb 18, 2014"},
		// Entities once.
		{"entities", "a &lt;b&gt; &amp; c", "a <b> & c"},
		{"entities not twice", "type &amp;lt; for &lt;", "type &lt; for <"},
		{"entity in a label", "<https://x.example|Q&amp;A>", "Q&A (https://x.example)"},
		// Emoji.
		{"emoji", "Hi :wave: how can I help? :slightly_smiling_face:", "Hi 👋 how can I help? 🙂"},
		{"emoji with skin tone", ":+1::skin-tone-3:", "👍🏼"},
		{"flag", "shipping to :flag-de:", "shipping to 🇩🇪"},
		{"unknown shortcode", "ship it :shipit_custom:", "ship it :shipit_custom:"},
		{"time not mangled", "we open at 10:30:00 and 9:100:00", "we open at 10:30:00 and 9:100:00"},
		{"emoji between words", "done:white_check_mark:", "done✅"},
		// Formatting.
		{"bold", "your order is *on its way*", "your order is on its way"},
		{"italic and strike", "_really_ ~not~ late", "really not late"},
		{"nested", "*_very important_*", "very important"},
		{"punctuation after", "it is *shipped*, see you", "it is shipped, see you"},
		{"inside words", "use snake_case_name and a*b*c or 2*3*4", "use snake_case_name and a*b*c or 2*3*4"},
		{"lone markers", "5 * 3 = 15 and _ alone", "5 * 3 = 15 and _ alone"},
		{"not across lines", "*start\nend*", "*start\nend*"},
		{"inline code", "type `cancel_order *now*` to stop", "type cancel_order *now* to stop"},
		{"code block", "run:\n```\nx := a*b*c &amp;&amp; _y_\n```\ndone", "run:\nx := a*b*c && _y_\ndone"},
		{"unclosed backtick", "it`s fine", "it`s fine"},
		{"chinese", "您好 :wave: 订单 *已发货*，请查看 <https://x.example/t|物流>", "您好 👋 订单 已发货，请查看 物流 (https://x.example/t)"},
		{"unclosed reference", "3 < 4 and <@U123", "3 < 4 and <@U123"},
		{"empty", "", ""},
	}
	if len(cases) < 25 {
		t.Fatalf("%d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := customerText(c.in, "UBOT", name); got != c.want {
				t.Fatalf("customerText(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
		})
	}
	t.Run("nil name func", func(t *testing.T) {
		if got := customerText("<@U123|ana> and <@U7>", "", nil); got != "@ana and @U7" {
			t.Fatalf("got %q", got)
		}
	})
}

// FuzzCustomerText feeds arbitrary agent texts to customerText: it must
// not panic, must return valid UTF-8 (invalid bytes become U+FFFD), must
// leave a text without any of Slack's special characters as it is, and
// must never make a text longer (in runes) than the agent's: references,
// entities, shortcodes and markers only ever shrink.
func FuzzCustomerText(f *testing.F) {
	name := func(id string) string { return "N" + id }
	f.Fuzz(func(t *testing.T, s string) {
		got := customerText(s, "UBOT", name)
		if !utf8.ValidString(got) {
			t.Fatalf("customerText(%q) = %q: invalid UTF-8", s, got)
		}
		if utf8.ValidString(s) && !strings.ContainsAny(s, "<>&*_~`:") && got != strings.TrimSpace(s) {
			t.Fatalf("customerText(%q) = %q: changed a text without mrkdwn", s, got)
		}
		if n, m := utf8.RuneCountInString(got), utf8.RuneCountInString(s); n > m {
			t.Fatalf("customerText(%q) = %q: %d runes from %d", s, got, n, m)
		}
	})
}

// No emoji is longer than its shortcode, which FuzzCustomerText relies on.
func TestEmojiShorterThanShortcodes(t *testing.T) {
	for code, e := range emoji.CodeMap() {
		if utf8.RuneCountInString(e) > utf8.RuneCountInString(code) {
			t.Errorf("%s → %q is longer", code, e)
		}
	}
}

// Texts as long as Slack allows (40,000 characters) full of unmatched
// markers and brackets are converted in linear time (quadratic scans took
// seconds on these).
func TestCustomerTextLong(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{strings.Repeat("*a ", 13000), strings.TrimSpace(strings.Repeat("*a ", 13000))},
		{strings.Repeat("<", 40000), strings.Repeat("<", 40000)},
		{strings.Repeat("*a* ", 10000), strings.TrimSpace(strings.Repeat("a ", 10000))},
		{strings.Repeat(":nope", 8000), strings.Repeat(":nope", 8000)},
		{strings.Repeat("_x", 20000), strings.Repeat("_x", 20000)},
	} {
		if got := customerText(c.in, "", nil); got != c.want {
			t.Errorf("customerText(%.20q…) = %.20q… (%d bytes), want %.20q… (%d bytes)", c.in, got, len(got), c.want, len(c.want))
		}
	}
}
