package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/internal/config"
)

// TestCheckWebBranding checks that `check` validates the web.* keys: it
// accepts a full branding, warns about a primary colour below WCAG AA
// contrast with white text, and rejects bad values naming the key.
func TestCheckWebBranding(t *testing.T) {
	write := writeConfig
	t.Run("full branding with a light colour warns", func(t *testing.T) {
		cfg := write(t, `web:
  title: Acme Help
  bot_name: Acme Bot
  logo_url: https://cdn.acme.example/logo.png
  primary_color: "#f5a623"
  welcome: {en: "Hi! How can we help?", zh: "您好！有什么可以帮您？"}
  quick_replies: {en: [Opening hours, Track my order], zh: [营业时间]}
  placeholder: {zh: 请描述您的问题}
  strings: {zh: {send: 发出}, en: {send: Go}}
  allowed_origins: [https://shop.acme.example]
  prechat: [name, email]
`)
		out, errOut, err := runCheck(t, "--config", cfg)
		if err != nil {
			t.Fatalf("check failed: %v\n%s", err, errOut)
		}
		if !strings.Contains(out, "config: "+cfg+": ok") {
			t.Fatalf("stdout:\n%s", out)
		}
		if !strings.Contains(errOut, cfg+": warning: web.primary_color: #f5a623 behind white text has a contrast of 2.03:1, below the 4.5:1 of WCAG AA") {
			t.Fatalf("no contrast warning:\n%s", errOut)
		}
	})
	t.Run("dark enough colour does not warn", func(t *testing.T) {
		cfg := write(t, "web:\n  primary_color: \"#1d4ed8\"\n")
		_, errOut, err := runCheck(t, "--config", cfg)
		if err != nil || strings.Contains(errOut, "warning") {
			t.Fatalf("err = %v, stderr:\n%s", err, errOut)
		}
	})
	for name, tc := range map[string]struct{ yaml, want string }{
		"colour that is not hex": {"web:\n  primary_color: \"red;}body{display:none\"\n", "web.primary_color: must be a hex colour"},
		"unknown UI string":      {"web:\n  strings: {zh: {sned: 发送}}\n", "web.strings.zh.sned: is not a UI string"},
		"origin with a path":     {"web:\n  allowed_origins: [\"https://shop.example/path\"]\n", "web.allowed_origins[0]: must be an origin"},
		"unknown prechat field":  {"web:\n  prechat: [phone]\n", "web.prechat[0]: must be one of name, email"},
		"avatar that is no URL":  {"web:\n  avatar_url: \"javascript:alert(1)\"\n", "web.avatar_url: must be an http(s) URL"},
		"bad language key":       {"web:\n  welcome: {english: hi}\n", `web.welcome: "english" is not a language code`},
		"misspelt web key":       {"web:\n  titel: Acme\n", `unknown key "web.titel"`},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := write(t, tc.yaml)
			_, errOut, err := runCheck(t, "--config", cfg)
			if err == nil || !strings.Contains(errOut, tc.want) {
				t.Fatalf("err = %v, want exit 1 with %q; stderr:\n%s", err, tc.want, errOut)
			}
		})
	}
}

// TestWebConfigWiring checks that every web.* key reaches the adapter: each
// field of config.Web (but Enabled) has a field of the same name, in
// web.Branding or else in web.Config (MaxStreamsPerSession is
// web.Config.MaxSubscribers), with the same value.
func TestWebConfigWiring(t *testing.T) {
	var cfg config.Config
	src := reflect.ValueOf(&cfg.Web).Elem()
	for i := range src.NumField() {
		f := src.Field(i)
		switch f.Kind() {
		case reflect.Int, reflect.Int64: // counts and durations
			f.SetInt(int64(1000 + i))
		case reflect.String:
			f.SetString("v-" + src.Type().Field(i).Name)
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{src.Type().Field(i).Name}))
		case reflect.Map:
			m := reflect.MakeMap(f.Type())
			var v reflect.Value
			switch f.Type().Elem().Kind() {
			case reflect.String:
				v = reflect.ValueOf("x")
			case reflect.Slice:
				v = reflect.ValueOf([]string{"x"})
			default:
				v = reflect.ValueOf(map[string]string{"send": "x"})
			}
			m.SetMapIndex(reflect.ValueOf("en"), v)
			f.Set(m)
		}
	}
	wc := webConfig(&cfg)
	b, top := reflect.ValueOf(wc.Branding), reflect.ValueOf(wc)
	renamed := map[string]string{"MaxStreamsPerSession": "MaxSubscribers"}
	for i := range src.NumField() {
		name := src.Type().Field(i).Name
		if name == "Enabled" {
			continue
		}
		got := b.FieldByName(name)
		if !got.IsValid() {
			alias := name
			if r, ok := renamed[name]; ok {
				alias = r
			}
			got = top.FieldByName(alias)
		}
		if !got.IsValid() {
			t.Errorf("neither web.Branding nor web.Config has a field %s", name)
			continue
		}
		if !reflect.DeepEqual(got.Interface(), src.Field(i).Interface()) {
			t.Errorf("%s: adapter got %v, config has %v", name, got.Interface(), src.Field(i).Interface())
		}
	}
}
