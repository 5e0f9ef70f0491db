package telegram

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func call(t *testing.T, s *Server, token, method string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(s.URL+"/bot"+token+"/"+method, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: body %q is not JSON", method, b)
	}
	return resp.StatusCode, out
}

func TestErrorShapes(t *testing.T) {
	s := Start("1:T")
	defer s.Close()
	if code, out := call(t, s, "1:X", "getMe", nil); code != 401 || out["ok"] != false || out["description"] != "Unauthorized" {
		t.Fatalf("wrong token: %d %v", code, out)
	}
	s.Fail("sendMessage", 1, Failure{Status: 429, RetryAfter: 5})
	code, out := call(t, s, "1:T", "sendMessage", url.Values{"chat_id": {"5"}, "text": {"hi"}})
	params, _ := out["parameters"].(map[string]any)
	if code != 429 || out["error_code"] != 429.0 || out["description"] != "Too Many Requests: retry after 5" || params["retry_after"] != 5.0 {
		t.Fatalf("429: %d %v", code, out)
	}
	if code, out := call(t, s, "1:T", "sendMessage", url.Values{"chat_id": {"5"}, "text": {strings.Repeat("a", 4097)}}); code != 400 ||
		out["description"] != "Bad Request: message is too long" {
		t.Fatalf("too long: %d %v", code, out)
	}
	if code, _ := call(t, s, "1:T", "sendMessage", url.Values{"chat_id": {"5"}, "text": {"ok"},
		"reply_markup": {`{"inline_keyboard":[[{"text":"b","callback_data":"` + strings.Repeat("x", 65) + `"}]]}`}}); code != 400 {
		t.Fatalf("65-byte callback_data accepted: %d", code)
	}
	if len(s.Sent()) != 0 || s.Calls("sendMessage") != 3 {
		t.Fatalf("sent %d, calls %d", len(s.Sent()), s.Calls("sendMessage"))
	}
}

func TestGetUpdatesOffsetSemantics(t *testing.T) {
	s := Start("1:T")
	defer s.Close()
	u := User{ID: 9, FirstName: "A"}
	for i := 1; i <= 3; i++ {
		if err := s.Queue(TextUpdate(100+i, i, Private(u), u, "m")); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(out map[string]any) []int {
		var r []int
		for _, x := range out["result"].([]any) {
			r = append(r, int(x.(map[string]any)["update_id"].(float64)))
		}
		return r
	}
	_, out := call(t, s, "1:T", "getUpdates", url.Values{"limit": {"2"}})
	if got := ids(out); len(got) != 2 || got[0] != 101 {
		t.Fatalf("first poll %v", got)
	}
	_, out = call(t, s, "1:T", "getUpdates", url.Values{"offset": {"102"}}) // confirms 101
	if got := ids(out); len(got) != 2 || got[0] != 102 || s.Confirmed() != 102 {
		t.Fatalf("second poll %v, confirmed %d", got, s.Confirmed())
	}
	// A long poll returns as soon as an update is queued.
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = s.Queue(TextUpdate(104, 4, Private(u), u, "late"))
	}()
	start := time.Now()
	_, out = call(t, s, "1:T", "getUpdates", url.Values{"offset": {"104"}, "timeout": {"5"}})
	if got := ids(out); len(got) != 1 || got[0] != 104 || time.Since(start) > 3*time.Second {
		t.Fatalf("long poll %v after %s", got, time.Since(start))
	}
	// getUpdates conflicts with a webhook.
	call(t, s, "1:T", "setWebhook", url.Values{"url": {"https://x.test/h"}, "secret_token": {"abc"}})
	if code, _ := call(t, s, "1:T", "getUpdates", nil); code != 409 {
		t.Fatalf("getUpdates with a webhook: %d", code)
	}
}
