package encoder

import (
	"slices"
	"testing"
	"unicode/utf8"
)

// FuzzTokens checks that the tokenizer ends on any input, returns ids of the
// vocabulary without two unknown pieces in a row, and is deterministic; and
// that encoding does not produce NaN.
func FuzzTokens(f *testing.F) {
	for _, s := range []string{"", "hello world", "are you a bot :)", "我收到的东西坏了", "\xff\xfe", "a\u0301", "\u2581\u2581", "😀 x 😀"} {
		f.Add(s)
	}
	e, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids := e.Tokens(s)
		for i, id := range ids {
			if id < 0 || int(id) >= len(e.tok.pieces) {
				t.Fatalf("id %d out of range", id)
			}
			if i > 0 && id == 0 && ids[i-1] == 0 {
				t.Fatalf("two unknown pieces in a row: %v", ids)
			}
		}
		if !slices.Equal(ids, e.Tokens(s)) {
			t.Fatal("not deterministic")
		}
		if utf8.RuneCountInString(s) <= 64 {
			for _, v := range e.Encode(s) {
				if v != v {
					t.Fatalf("NaN in the embedding of %q", s)
				}
			}
		}
	})
}
