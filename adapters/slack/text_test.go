package slack

import (
	"strings"
	"testing"
	"unicode/utf8"
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
