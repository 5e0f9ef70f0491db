package intents

import (
	"os"
	"testing"
	"testing/fstest"
)

// YAML syntax errors are reported at the line of the offending token, not
// at the start of the enclosing mapping, and a tab in the indentation is
// named as such.
func TestSyntaxErrorLines(t *testing.T) {
	tests := []struct{ file, want string }{
		// Bad indentation on line 27 of a list that starts on line 5
		// (yaml.v3 says line 5).
		{"indent_line27.yaml", "bot.yaml:27: YAML syntax: did not find expected '-' indicator"},
		// The sample faq.yaml with a mistake in its last entry (yaml.v3
		// says line 4, where the list starts).
		{"faq_end.yaml", "bot.yaml:96: YAML syntax: did not find expected '-' indicator"},
		{"unclosed_at_end.yaml", "bot.yaml:14: YAML syntax: did not find expected ',' or ']'"},
		{"tab.yaml", "bot.yaml:4: YAML syntax: " + msgTabIndent},
		{"tab_mid.yaml", "bot.yaml:5: YAML syntax: " + msgTabIndent},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/yamlerrors/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Load(fstest.MapFS{"bot.yaml": {Data: data}}, ".")
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Load = %v\nwant %s", err, tt.want)
			}
		})
	}
}
