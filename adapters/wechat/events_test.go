package wechat

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/intents"
	wechatfake "github.com/switchboard-gw/switchboard/internal/fakes/wechat"
)

// eventFiles are the recorded pushes under testdata/events, multi-line and
// indented as WeChat sends them, and what each asks of the bot: "" means
// acknowledged only.
var eventFiles = map[string]struct{ command, text string }{
	"subscribe.xml":                 {"start", "welcome!"},
	"subscribe_scene.xml":           {"start", "welcome!"},
	"scan.xml":                      {"start", "welcome!"},
	"click_intent.xml":              {"opening_hours", "/opening_hours"},
	"text_multiline.xml":            {"", "你好\n我的订单 AB123456 到哪了？"},
	"click_other.xml":               {},
	"unsubscribe.xml":               {},
	"view.xml":                      {},
	"location.xml":                  {},
	"scancode_push.xml":             {},
	"scancode_waitmsg.xml":          {},
	"pic_sysphoto.xml":              {},
	"pic_photo_or_album.xml":        {},
	"pic_weixin.xml":                {},
	"location_select.xml":           {},
	"view_miniprogram.xml":          {},
	"kf_create_session.xml":         {},
	"kf_close_session.xml":          {},
	"kf_switch_session.xml":         {},
	"templatesendjobfinish.xml":     {},
	"masssendjobfinish.xml":         {},
	"publishjobfinish.xml":          {},
	"subscribe_msg_popup_event.xml": {},
	"device_text.xml":               {},
	"device_event.xml":              {},
}

func readEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNormalizeEvents(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("testdata", "events"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(eventFiles) {
		t.Fatalf("%d files under testdata/events, %d in the table", len(entries), len(eventFiles))
	}
	isCommand := func(k string) bool { return k == "opening_hours" }
	for name, want := range eventFiles {
		t.Run(name, func(t *testing.T) {
			m, err := parseMessageXML(readEvent(t, name))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := normalize(m, "welcome!", isCommand)
			if ok != (want.text != "") {
				t.Fatalf("answered %v, want %v (%+v)", ok, want.text != "", got)
			}
			if ok && (got.Command != want.command || got.Text != want.text || got.Key.User != "oFJ8v6Fh2Tq0lZ3vXvK9mEw_abcd" ||
				len(got.DedupeKeys) != 1) {
				t.Errorf("got %+v, want command %q text %q", got, want.command, want.text)
			}
		})
	}
}

// Through the signed webhook, the engine and the sample bot: a QR-code
// scan is greeted with the welcome, a menu button naming an intent gets its
// answer, and the other events get "success" and nothing else.
func TestE2EEvents(t *testing.T) {
	ctx := context.Background()
	bot, err := intents.Load(intents.Sample(), ".")
	if err != nil {
		t.Fatal(err)
	}
	u, err := intents.New(ctx, bot, intents.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOpts{u: u, mode: wechatfake.Plain, opts: []Option{WithCommands(u.IsCommand)}})
	push := func(name string) (int, []byte) {
		req, err := h.pusher.PushRaw(ctx, h.url(), readEvent(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return h.do(req)
	}
	mustContain(t, h.passive(push("scan.xml")), "欢迎光临 Example Shop")
	mustContain(t, h.passive(push("click_intent.xml")), "营业")
	for name, want := range eventFiles {
		if want.text != "" || strings.HasPrefix(name, "subscribe") && name != "subscribe_msg_popup_event.xml" {
			continue
		}
		h.acked(push(name))
	}
	h.drain()
	if n := len(h.fake.Sent()); n != 0 {
		t.Errorf("%d customer-service messages, want none", n)
	}
}
