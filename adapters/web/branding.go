package web

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxAvatarBytes is the largest Branding.AvatarFile accepted.
const MaxAvatarBytes = 256 << 10

// maxUIString is the longest branding text (welcome, UI string) accepted.
const maxUIString = 1000

// PrechatFields are the pre-chat fields Branding.Prechat may ask for.
var PrechatFields = []string{"name", "email"}

// langPattern matches the language keys of the per-language settings:
// a lowercase BCP 47 primary subtag with optional subtags ("en", "zh-tw").
var langPattern = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{2,8})*$`)

// uiStrings are the built-in UI strings of the page and the widget. "{name}",
// "{bot}", "{title}" and "{n}" are filled in by the page.
var uiStrings = map[string]map[string]string{
	"en": {
		"placeholder":     "Type a message…",
		"message_label":   "Message",
		"send":            "Send",
		"connecting":      "connecting…",
		"online":          "online",
		"offline":         "offline",
		"reconnecting":    "reconnecting…",
		"welcome":         "Hi! How can we help you today?",
		"quick_replies":   "Suggested replies",
		"rating":          "{n} of 5 stars",
		"agent":           "Agent",
		"agent_joined":    "{name} joined the conversation",
		"back_with_bot":   "You're back with {bot}",
		"edited":          "edited",
		"typing":          "{bot} is typing…",
		"sending":         "sending…",
		"not_sent":        "not sent",
		"retry":           "tap to retry",
		"error":           "Something went wrong. Please try again.",
		"end":             "End conversation",
		"ended":           "Conversation ended.",
		"start_new":       "Start a new conversation",
		"download":        "Download transcript",
		"sound":           "Sound for new messages",
		"close":           "Close chat",
		"open":            "Open chat",
		"unread":          "{n} unread",
		"new_message":     "New message",
		"you":             "You",
		"prechat_intro":   "Before we start, please tell us who you are.",
		"prechat_name":    "Your name",
		"prechat_email":   "E-mail",
		"prechat_start":   "Start chat",
		"prechat_invalid": "Please fill in every field.",
	},
	"zh": {
		"placeholder":     "请输入消息…",
		"message_label":   "消息",
		"send":            "发送",
		"connecting":      "连接中…",
		"online":          "在线",
		"offline":         "离线",
		"reconnecting":    "正在重新连接…",
		"welcome":         "您好！请问有什么可以帮您？",
		"quick_replies":   "推荐回复",
		"rating":          "{n} 星（满分 5 星）",
		"agent":           "客服",
		"agent_joined":    "{name} 已加入对话",
		"back_with_bot":   "现在由 {bot} 继续为您服务",
		"edited":          "已修改",
		"typing":          "{bot} 正在输入…",
		"sending":         "发送中…",
		"not_sent":        "未发送",
		"retry":           "点击重试",
		"error":           "出错了，请重试。",
		"end":             "结束对话",
		"ended":           "对话已结束。",
		"start_new":       "开始新对话",
		"download":        "下载聊天记录",
		"sound":           "新消息提示音",
		"close":           "关闭聊天",
		"open":            "打开聊天",
		"unread":          "{n} 条未读消息",
		"new_message":     "新消息",
		"you":             "我",
		"prechat_intro":   "开始之前，请告诉我们您的称呼。",
		"prechat_name":    "您的姓名",
		"prechat_email":   "电子邮箱",
		"prechat_start":   "开始聊天",
		"prechat_invalid": "请填写所有字段。",
	},
}

// UIStringKeys returns the names of the UI strings owners can override in
// Branding.Strings, sorted.
func UIStringKeys() []string {
	keys := make([]string, 0, len(uiStrings["en"]))
	for k := range uiStrings["en"] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// strings returns the UI strings of every language the page can show: the
// built-in ones, then the owner's Placeholder, Welcome and Strings on top.
// Languages the owner adds start from English.
func (b Branding) strings() map[string]map[string]string {
	out := make(map[string]map[string]string)
	lang := func(l string) map[string]string {
		if m, ok := out[l]; ok {
			return m
		}
		base := uiStrings[l]
		if base == nil {
			base = uiStrings["en"]
		}
		m := make(map[string]string, len(base))
		for k, v := range base {
			m[k] = v
		}
		out[l] = m
		return m
	}
	for l := range uiStrings {
		lang(l)
	}
	for l, kv := range b.Strings {
		m := lang(l)
		for k, v := range kv {
			m[k] = v
		}
	}
	for l, v := range b.Placeholder {
		lang(l)["placeholder"] = v
	}
	for l, v := range b.Welcome {
		lang(l)["welcome"] = v
	}
	return out
}

func (b Branding) validate() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("web.%s: "+format, append([]any{key}, args...)...))
	}
	text := func(key, v string) {
		switch {
		case !utf8.ValidString(v):
			bad(key, "is not valid UTF-8")
		case utf8.RuneCountInString(v) > maxUIString:
			bad(key, "is longer than %d characters", maxUIString)
		case strings.ContainsAny(v, "\x00"):
			bad(key, "contains a NUL character")
		}
	}
	text("title", b.Title)
	text("bot_name", b.BotName)
	if b.PrimaryColor != "" {
		if _, ok := parseColor(b.PrimaryColor); !ok {
			bad("primary_color", `must be a hex colour such as "#2563eb" or "#25e"; got %q`, b.PrimaryColor)
		}
	}
	for key, v := range map[string]string{"avatar_url": b.AvatarURL, "logo_url": b.LogoURL} {
		if v != "" && !httpURL(v) {
			bad(key, "must be an http(s) URL; got %q", v)
		}
	}
	if b.AvatarURL != "" && b.AvatarFile != "" {
		bad("avatar_file", "set web.avatar_url or web.avatar_file, not both")
	}
	if b.AvatarFile != "" {
		if _, _, err := readAvatar(b.AvatarFile); err != nil {
			bad("avatar_file", "%v", err)
		}
	}
	langs := func(key string, keys []string) {
		for _, l := range keys {
			if !langPattern.MatchString(l) {
				bad(key, "%q is not a language code such as en, zh or zh-tw", l)
			}
		}
	}
	langs("welcome", mapKeys(b.Welcome))
	langs("placeholder", mapKeys(b.Placeholder))
	langs("quick_replies", mapKeys(b.QuickReplies))
	langs("strings", mapKeys(b.Strings))
	for l, v := range b.Welcome {
		text("welcome."+l, v)
	}
	for l, v := range b.Placeholder {
		text("placeholder."+l, v)
	}
	for l, list := range b.QuickReplies {
		for i, q := range list {
			if strings.TrimSpace(q) == "" {
				bad(fmt.Sprintf("quick_replies.%s[%d]", l, i), "is blank")
			}
			text(fmt.Sprintf("quick_replies.%s[%d]", l, i), q)
		}
	}
	known := uiStrings["en"]
	for l, kv := range b.Strings {
		for k, v := range kv {
			if _, ok := known[k]; !ok {
				bad("strings."+l+"."+k, "is not a UI string; known: %s", strings.Join(UIStringKeys(), ", "))
				continue
			}
			text("strings."+l+"."+k, v)
		}
	}
	for i, o := range b.AllowedOrigins {
		if _, err := normalizeOrigin(o); err != nil {
			bad(fmt.Sprintf("allowed_origins[%d]", i), "%v", err)
		}
	}
	seen := map[string]bool{}
	for i, f := range b.Prechat {
		switch {
		case !slices.Contains(PrechatFields, f):
			bad(fmt.Sprintf("prechat[%d]", i), "must be one of %s; got %q", strings.Join(PrechatFields, ", "), f)
		case seen[f]:
			bad(fmt.Sprintf("prechat[%d]", i), "%q is listed twice", f)
		}
		seen[f] = true
	}
	return errs
}

func (b Branding) warnings() []string {
	var out []string
	if rgb, ok := parseColor(b.PrimaryColor); ok && b.PrimaryColor != "" {
		if r := contrast(rgb, [3]uint8{255, 255, 255}); r < 4.5 {
			out = append(out, fmt.Sprintf("web.primary_color: %s behind white text has a contrast of %.2f:1, below the 4.5:1 of WCAG AA; pick a darker colour", b.PrimaryColor, r))
		}
	}
	if len(b.AllowedOrigins) == 0 {
		return out
	}
	for _, o := range b.AllowedOrigins {
		if strings.HasPrefix(o, "http://") && !strings.Contains(o, "://localhost") && !strings.Contains(o, "://127.0.0.1") {
			out = append(out, fmt.Sprintf("web.allowed_origins: %s is not https; the widget on it can be tampered with in transit", o))
		}
	}
	return out
}

func mapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func httpURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// normalizeOrigin checks that o is a web origin, scheme://host[:port] with
// no path, query or fragment, and returns it lowercased.
func normalizeOrigin(o string) (string, error) {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf(`must be an origin such as "https://shop.example"; got %q`, o)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.ContainsAny(u.Host, "*; ") {
		return "", fmt.Errorf(`must be an origin such as "https://shop.example" (no path, query or wildcard); got %q`, o)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// origins returns the normalized AllowedOrigins; invalid entries are left
// out (Validate reports them).
func (b Branding) origins() []string {
	var out []string
	for _, o := range b.AllowedOrigins {
		if n, err := normalizeOrigin(o); err == nil && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// parseColor parses "#rgb" or "#rrggbb".
func parseColor(s string) ([3]uint8, bool) {
	if len(s) != 4 && len(s) != 7 || s[0] != '#' {
		return [3]uint8{}, false
	}
	h := s[1:]
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return [3]uint8{}, false
	}
	return [3]uint8{uint8(v >> 16), uint8(v >> 8), uint8(v)}, true
}

// contrast returns the WCAG 2 contrast ratio of two sRGB colours (1 to 21).
func contrast(a, b [3]uint8) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// luminance is the WCAG 2 relative luminance of an sRGB colour.
func luminance(c [3]uint8) float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c[0]) + 0.7152*lin(c[1]) + 0.0722*lin(c[2])
}

// readAvatar reads and checks an avatar file: its bytes and content type.
func readAvatar(path string) ([]byte, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("cannot read the avatar: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxAvatarBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("cannot read the avatar: %w", err)
	}
	n := len(b)
	if n > MaxAvatarBytes {
		return nil, "", fmt.Errorf("%s is larger than %d KiB", path, MaxAvatarBytes>>10)
	}
	if strings.EqualFold(filepath.Ext(path), ".svg") {
		if !strings.Contains(string(b), "<svg") {
			return nil, "", fmt.Errorf("%s has the .svg extension but no <svg> element", path)
		}
		return b, "image/svg+xml", nil
	}
	switch ct := http.DetectContentType(b); ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return b, ct, nil
	default:
		return nil, "", fmt.Errorf("%s is %s; use a PNG, JPEG, GIF, WebP or SVG image", path, ct)
	}
}
