package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxClientIDLen is the longest client_id POST /api/web/messages accepts.
const MaxClientIDLen = 128

// Limits of the pre-chat fields of POST /api/web/messages.
const (
	MaxNameLen  = 100
	MaxEmailLen = 254
)

// postMessage is the validated body of POST /api/web/messages.
type postMessage struct {
	Text     string `json:"text"`
	ClientID string `json:"client_id"`
	// Name and Email are the pre-chat fields (web.prechat), sent with the
	// customer's messages; both optional.
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// userName is the customer's name for the conversation: "Name <email>",
// the name or the e-mail alone, or "" when neither was given.
func (p postMessage) userName() string {
	switch {
	case p.Name != "" && p.Email != "":
		return p.Name + " <" + p.Email + ">"
	case p.Name != "":
		return p.Name
	default:
		return p.Email
	}
}

// errBadRequest marks an error whose message is safe to show the client.
var errBadRequest = errors.New("bad request")

// badRequest returns an error wrapping errBadRequest whose text is the reason.
func badRequest(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), errBadRequest)
}

// parsePostMessage decodes and validates the body of POST /api/web/messages.
// It is strict: the body must be exactly one JSON object with a string "text"
// that is not blank, an optional string "client_id" (at most
// MaxClientIDLen printable characters, no spaces) and the optional pre-chat
// fields "name" and "email" (one line each); unknown fields, trailing
// data and bodies over MaxBodyBytes are rejected. Every error wraps
// errBadRequest and its message says what to fix. It does no I/O.
func parsePostMessage(body []byte) (postMessage, error) {
	if len(body) > MaxBodyBytes {
		return postMessage{}, badRequest("request body is larger than %d bytes", MaxBodyBytes)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return postMessage{}, badRequest(`request body is empty; send {"text": "..."}`)
	}
	if !utf8.Valid(body) {
		return postMessage{}, badRequest("request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var p postMessage
	if err := dec.Decode(&p); err != nil {
		return postMessage{}, badRequest("%s", describeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return postMessage{}, badRequest("request body has data after the JSON object")
	}
	if strings.TrimSpace(p.Text) == "" {
		return postMessage{}, badRequest(`"text" is missing or blank`)
	}
	if strings.ContainsRune(p.Text, 0) {
		return postMessage{}, badRequest(`"text" contains a NUL character`)
	}
	if err := validClientID(p.ClientID); err != nil {
		return postMessage{}, err
	}
	p.Name, p.Email = strings.TrimSpace(p.Name), strings.TrimSpace(p.Email)
	if err := validName(p.Name); err != nil {
		return postMessage{}, err
	}
	if err := validEmail(p.Email); err != nil {
		return postMessage{}, err
	}
	return p, nil
}

// validClientID accepts "" (no idempotency key) or up to MaxClientIDLen
// graphic, non-space characters.
func validClientID(id string) error {
	if len(id) > MaxClientIDLen {
		return badRequest(`"client_id" is longer than %d bytes`, MaxClientIDLen)
	}
	for _, r := range id {
		if !unicode.IsGraphic(r) || unicode.IsSpace(r) {
			return badRequest(`"client_id" may contain only visible characters without spaces`)
		}
	}
	return nil
}

// validName accepts "" or one line of at most MaxNameLen characters.
func validName(name string) error {
	if utf8.RuneCountInString(name) > MaxNameLen {
		return badRequest(`"name" is longer than %d characters`, MaxNameLen)
	}
	for _, r := range name {
		if !unicode.IsGraphic(r) {
			return badRequest(`"name" may contain only visible characters and spaces`)
		}
	}
	return nil
}

// validEmail accepts "" or something shaped like an e-mail address: one @
// with text on both sides, a dot in the domain, no spaces or angle brackets.
func validEmail(email string) error {
	if email == "" {
		return nil
	}
	local, domain, ok := strings.Cut(email, "@")
	if len(email) > MaxEmailLen || !ok || local == "" || !strings.Contains(domain, ".") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.ContainsAny(email, " <>\"\t\r\n,;") || strings.Contains(domain, "@") {
		return badRequest(`"email" is not an e-mail address`)
	}
	for _, r := range email {
		if !unicode.IsGraphic(r) {
			return badRequest(`"email" is not an e-mail address`)
		}
	}
	return nil
}

// describeJSONError turns a decoding error into a short reason for the client.
func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("request body is not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			// Every field of postMessage is a string.
			return fmt.Sprintf("%q must be a JSON string, not a JSON %s", typ.Field, typ.Value)
		}
		return fmt.Sprintf(`request body must be a JSON object like {"text": "..."}, not a JSON %s`, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "request body is not valid JSON (it ends too early)"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Sprintf(`unknown field %s; only "text", "client_id", "name" and "email" are accepted`,
			strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return "request body is not valid JSON"
	}
}
