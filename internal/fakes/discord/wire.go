package discord

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// outgoing is the part of a message body the fake reads.
type outgoing struct {
	Content    string          `json:"content"`
	Nonce      json.RawMessage `json:"nonce"`
	Enforce    bool            `json:"enforce_nonce"`
	Components []struct {
		Type       int      `json:"type"`
		Components []Button `json:"components"`
	} `json:"components"`
	Embeds    []json.RawMessage `json:"embeds"`
	Reference *struct {
		MessageID string `json:"message_id"`
	} `json:"message_reference"`
	AllowedMentions *struct {
		Parse []string `json:"parse"`
	} `json:"allowed_mentions"`
}

// decode reads and validates a message body; it writes the error itself.
func decode(w http.ResponseWriter, r *http.Request) (outgoing, Sent, bool) {
	var o outgoing
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeError(w, Failure{Status: 400, Code: 50035, Message: "Invalid Form Body"})
		return o, Sent{}, false
	}
	if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
		writeError(w, Failure{Status: 400, Code: 50109, Message: "The request body contains invalid JSON."})
		return o, Sent{}, false
	}
	s := Sent{Content: o.Content, At: time.Now()}
	if len(o.Nonce) > 0 && string(o.Nonce) != "null" {
		if err := json.Unmarshal(o.Nonce, &s.Nonce); err != nil {
			s.Nonce = string(o.Nonce) // an integer nonce
		}
	}
	for _, row := range o.Components {
		s.Buttons = append(s.Buttons, row.Components)
	}
	if o.Reference != nil {
		s.ReplyTo = o.Reference.MessageID
	}
	if o.AllowedMentions != nil {
		s.AllowedParse = append([]string{}, o.AllowedMentions.Parse...)
	}
	switch {
	case !utf8.ValidString(o.Content):
		writeError(w, Failure{Status: 400, Code: 50035, Message: "Invalid Form Body"})
	case utf16Len(o.Content) > 2000:
		writeError(w, Failure{Status: 400, Code: 50035, Message: "Invalid Form Body (content: Must be 2000 or fewer in length.)"})
	case strings.TrimSpace(o.Content) == "" && len(o.Components) == 0 && len(o.Embeds) == 0:
		writeError(w, Failure{Status: 400, Code: 50006, Message: "Cannot send an empty message"})
	case len(s.Nonce) > 25:
		writeError(w, Failure{Status: 400, Code: 50035, Message: "Invalid Form Body (nonce: Must be 25 or fewer in length.)"})
	case len(o.Components) > 5:
		writeError(w, Failure{Status: 400, Code: 50035, Message: "Invalid Form Body (components: Must be 5 or fewer in length.)"})
	default:
		for _, row := range s.Buttons {
			for _, b := range row {
				if len(row) > 5 || b.Label == "" || utf8.RuneCountInString(b.Label) > 80 || b.CustomID == "" || len(b.CustomID) > 100 {
					writeError(w, Failure{Status: 400, Code: 50035, Message: "Invalid Form Body (components)"})
					return o, s, false
				}
			}
		}
		return o, s, true
	}
	return o, s, false
}

var messages = map[int]string{
	400: "400: Bad Request",
	401: "401: Unauthorized",
	403: "Missing Permissions",
	404: "404: Not Found",
	429: "You are being rate limited.",
	500: "500: Internal Server Error",
	502: "502: Bad Gateway",
}

func writeError(w http.ResponseWriter, f Failure) {
	msg := f.Message
	if msg == "" {
		msg = messages[f.Status]
	}
	if f.Status == 429 {
		h := w.Header()
		scope := "user"
		if f.Global {
			scope = "global"
			h.Set("X-RateLimit-Global", "true")
		}
		h.Set("X-RateLimit-Limit", "5")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(time.Now().UnixMilli())/1000+f.RetryAfter, 'f', 3, 64))
		h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(f.RetryAfter, 'f', 3, 64))
		h.Set("X-RateLimit-Bucket", "abcd1234fake")
		h.Set("X-RateLimit-Scope", scope)
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter))))
		writeJSON(w, 429, map[string]any{"message": msg, "retry_after": f.RetryAfter, "global": f.Global})
		return
	}
	writeJSON(w, f.Status, map[string]any{"message": msg, "code": f.Code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = 500, []byte(fmt.Sprintf(`{"message":%q,"code":0}`, err.Error()))
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if status < 300 {
		h.Set("X-RateLimit-Limit", "5")
		h.Set("X-RateLimit-Remaining", "4")
		h.Set("X-RateLimit-Reset-After", "1.000")
		h.Set("X-RateLimit-Bucket", "abcd1234fake")
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}
