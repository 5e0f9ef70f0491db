package intents

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxSyntaxSearch is how many lines below yaml.v3's line syntaxProblem
// looks for the offending token.
const maxSyntaxSearch = 2000

// msgTabIndent replaces yaml.v3's "found character that cannot start any
// token" when the character is a tab in a line's indentation.
const msgTabIndent = "tabs are not allowed for indentation; indent with spaces"

// syntaxProblem turns a yaml.v3 syntax error of data into a line and a
// message for the bot owner. yaml.v3 reports the line of the enclosing
// construct (its parser's context mark), often far above the mistake (a
// bad indentation on line 27 is reported at the mapping that starts on
// line 9). The line of the offending token is found by parsing ever longer
// prefixes of data, from the reported line on: the first prefix that fails
// with the same problem ends on the line of the token that caused it. A
// tab in the indentation is named as such.
func syntaxProblem(data []byte, err error) (int, string) {
	line, msg := 0, strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLineErr.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if strings.Contains(msg, "cannot start any token") {
		if t := tabIndented(lines); t > 0 {
			return t, msgTabIndent
		}
	}
	if line == 0 {
		return 0, msg // a problem of the whole input (e.g. invalid UTF-8)
	}
	// Bot files are a few hundred lines; the search is bounded so that a
	// huge file still fails fast.
	for k := max(line-1, 1); k <= len(lines) && k < line+maxSyntaxSearch; k++ {
		prefix := bytes.Join(lines[:k], nil)
		if perr := decodeAll(prefix); perr != nil && problemOf(perr) == msg {
			return k, msg
		}
	}
	if parserProblems[msg] {
		line++ // yaml.v3 reports parser errors with 0-based lines
	}
	return line, msg
}

// tabIndented returns the 1-based number of the first line whose
// indentation has a tab, or 0.
func tabIndented(lines [][]byte) int {
	for i, l := range lines {
		indent := l[:len(l)-len(bytes.TrimLeft(l, " \t"))]
		if bytes.IndexByte(indent, '\t') >= 0 && len(bytes.TrimSpace(l)) > 0 {
			return i + 1
		}
	}
	return 0
}

// decodeAll parses every document of data and returns the first error.
func decodeAll(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// problemOf returns the message of a yaml.v3 error without its line.
func problemOf(err error) string {
	if m := yamlLineErr.FindStringSubmatch(err.Error()); m != nil {
		return m[2]
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}
