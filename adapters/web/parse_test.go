package web

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParsePostMessage(t *testing.T) {
	long := `{"text": "` + strings.Repeat("a", MaxBodyBytes) + `"}`
	tests := []struct {
		name    string
		body    string
		want    postMessage
		wantErr string // substring of the reason; "" means success
	}{
		{name: "text only", body: `{"text": "hello"}`, want: postMessage{Text: "hello"}},
		{name: "with client id", body: `{"text":"hi","client_id":"c-1"}`, want: postMessage{Text: "hi", ClientID: "c-1"}},
		{name: "surrounding whitespace", body: " \n{\"text\": \"hi\"}\n ", want: postMessage{Text: "hi"}},
		{name: "keeps inner whitespace", body: `{"text": " two\nlines "}`, want: postMessage{Text: " two\nlines "}},
		{name: "cjk", body: `{"text": "你好，请问营业时间？"}`, want: postMessage{Text: "你好，请问营业时间？"}},
		{name: "null client id", body: `{"text": "hi", "client_id": null}`, want: postMessage{Text: "hi"}},
		{name: "uuid client id", body: `{"text": "hi", "client_id": "0b5f7c4e-8d1a-4c55-9f0e-2f4a8f6a1b2c"}`,
			want: postMessage{Text: "hi", ClientID: "0b5f7c4e-8d1a-4c55-9f0e-2f4a8f6a1b2c"}},
		{name: "empty body", body: ``, wantErr: "empty"},
		{name: "blank body", body: " \n\t", wantErr: "empty"},
		{name: "empty object", body: `{}`, wantErr: `"text" is missing or blank`},
		{name: "empty text", body: `{"text": ""}`, wantErr: `"text" is missing or blank`},
		{name: "whitespace text", body: `{"text": " \n\t\u00a0 "}`, wantErr: `"text" is missing or blank`},
		{name: "null text", body: `{"text": null}`, wantErr: `"text" is missing or blank`},
		{name: "number text", body: `{"text": 42}`, wantErr: `"text" must be a JSON string, not a JSON number`},
		{name: "array body", body: `["hi"]`, wantErr: "must be a JSON object"},
		{name: "string body", body: `"hi"`, wantErr: "must be a JSON object"},
		{name: "invalid json", body: `{"text": hi}`, wantErr: "not valid JSON"},
		{name: "truncated json", body: `{"text": "hi"`, wantErr: "ends too early"},
		{name: "trailing data", body: `{"text": "hi"} {"text": "again"}`, wantErr: "data after the JSON object"},
		{name: "trailing garbage", body: `{"text": "hi"}x`, wantErr: "data after the JSON object"},
		{name: "unknown field", body: `{"text": "hi", "user": "admin"}`, wantErr: `unknown field "user"`},
		{name: "nul in text", body: `{"text": "a\u0000b"}`, wantErr: "NUL"},
		{name: "invalid utf8", body: "{\"text\": \"\xff\xfe\"}", wantErr: "UTF-8"},
		{name: "client id with space", body: `{"text": "hi", "client_id": "a b"}`, wantErr: "client_id"},
		{name: "client id with newline", body: `{"text": "hi", "client_id": "a\nb"}`, wantErr: "client_id"},
		{name: "client id too long", body: `{"text": "hi", "client_id": "` + strings.Repeat("x", MaxClientIDLen+1) + `"}`, wantErr: "longer than"},
		{name: "client id number", body: `{"text": "hi", "client_id": 7}`, wantErr: `"client_id" must be a JSON string`},
		{name: "too large", body: long, wantErr: "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePostMessage([]byte(tt.body))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("parsePostMessage(%q) error = %v, want nil", tt.body, err)
				}
				if got != tt.want {
					t.Fatalf("parsePostMessage(%q) = %+v, want %+v", tt.body, got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("parsePostMessage(%q) = %+v, want error containing %q", tt.body, got, tt.wantErr)
			}
			if !errors.Is(err, errBadRequest) {
				t.Errorf("error %v does not wrap errBadRequest", err)
			}
			if r := reason(err); !strings.Contains(r, tt.wantErr) {
				t.Errorf("reason = %q, want it to contain %q", r, tt.wantErr)
			}
		})
	}
}

// FuzzPostMessage checks that parsePostMessage never panics, that everything
// it accepts satisfies the documented invariants, and that an accepted body
// re-encoded by encoding/json parses to the same value.
func FuzzPostMessage(f *testing.F) {
	for _, s := range []string{
		`{"text": "hello"}`,
		`{"text": "hi", "client_id": "c-1"}`,
		`{"text": " "}`,
		`{"text": "a", "extra": 1}`,
		`{"text": "你好"}`,
		`{"text": "hi", "name": "Ana Li", "email": "ana@example.com"}`,
		`{"text": "hi", "name": "a\u0000b"}`,
		`{"text": "hi", "email": "a@b"}`,
		`[1,2]`,
		`{"text": "x"} trailing`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := parsePostMessage(body)
		if err != nil {
			if !errors.Is(err, errBadRequest) {
				t.Fatalf("error %v does not wrap errBadRequest", err)
			}
			if reason(err) == "" {
				t.Fatalf("empty reason for %q", body)
			}
			return
		}
		if len(body) > MaxBodyBytes {
			t.Fatalf("accepted a body of %d bytes", len(body))
		}
		if strings.TrimSpace(p.Text) == "" || strings.ContainsRune(p.Text, 0) || !utf8.ValidString(p.Text) {
			t.Fatalf("accepted text %q", p.Text)
		}
		if validClientID(p.ClientID) != nil {
			t.Fatalf("accepted client_id %q", p.ClientID)
		}
		if validName(p.Name) != nil || validEmail(p.Email) != nil || p.Name != strings.TrimSpace(p.Name) {
			t.Fatalf("accepted name %q, email %q", p.Name, p.Email)
		}
		if u := p.userName(); strings.ContainsAny(u, "\r\n\x00") {
			t.Fatalf("user name %q has a line break or NUL", u)
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("marshal %+v: %v", p, err)
		}
		if len(again) > MaxBodyBytes {
			return // escaping can grow a body past the limit
		}
		q, err := parsePostMessage(again)
		if err != nil || q != p {
			t.Fatalf("round trip of %q: got %+v, %v; want %+v", again, q, err, p)
		}
	})
}
