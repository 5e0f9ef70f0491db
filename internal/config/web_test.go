package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestWebBrandingKeys checks the web.* maps and lists: nested language keys
// are not "unknown", the environment takes a JSON object for a map, and a
// misspelt key is still an error.
func TestWebBrandingKeys(t *testing.T) {
	p := writeFile(t, "c.yaml", `web:
  title: Acme help
  primary_color: "#0f766e"
  welcome: {en: "Hi!", zh-TW: "您好！"}
  quick_replies:
    en: [Opening hours, Track my order]
  strings:
    zh: {send: 发出}
  allowed_origins: [https://shop.example]
  prechat: [name, email]
`)
	cfg, err := Load(p, envMap(map[string]string{"SWITCHBOARD_WEB_PLACEHOLDER": `{"en": "Ask away"}`}))
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.Web
	if w.Title != "Acme help" || w.PrimaryColor != "#0f766e" || w.BotName != "Assistant" {
		t.Errorf("scalars: %+v", w)
	}
	if !reflect.DeepEqual(w.Welcome, map[string]string{"en": "Hi!", "zh-tw": "您好！"}) {
		t.Errorf("welcome = %v (language keys are lowercased)", w.Welcome)
	}
	if !reflect.DeepEqual(w.QuickReplies, map[string][]string{"en": {"Opening hours", "Track my order"}}) {
		t.Errorf("quick_replies = %v", w.QuickReplies)
	}
	if w.Strings["zh"]["send"] != "发出" || w.Placeholder["en"] != "Ask away" {
		t.Errorf("strings = %v, placeholder = %v", w.Strings, w.Placeholder)
	}
	if !reflect.DeepEqual(w.AllowedOrigins, []string{"https://shop.example"}) || !reflect.DeepEqual(w.Prechat, []string{"name", "email"}) {
		t.Errorf("lists: %v %v", w.AllowedOrigins, w.Prechat)
	}

	if _, err := Load(p, envMap(map[string]string{"SWITCHBOARD_WEB_WELCOME": "Hi!"})); err == nil ||
		!strings.Contains(err.Error(), "SWITCHBOARD_WEB_WELCOME must be a JSON object") {
		t.Errorf("a map from a plain env string: err = %v", err)
	}
	bad := writeFile(t, "bad.yaml", "web:\n  titel: Acme\n  welcome: {en: Hi}\n")
	if _, err := Load(bad, envMap(nil)); err == nil || !strings.Contains(err.Error(), `unknown key "web.titel"`) ||
		strings.Contains(err.Error(), "web.welcome.en") {
		t.Errorf("misspelt key: err = %v", err)
	}
}
