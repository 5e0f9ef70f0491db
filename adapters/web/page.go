package web

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

//go:embed static/index.html
var pageTemplate string

//go:embed static/widget.js
var widgetTemplate string

// Placeholders of the page and widget templates.
const (
	titlePlaceholder   = "{{TITLE}}"   // the HTML-escaped Branding.Title
	colorPlaceholder   = "{{PRIMARY}}" // the validated primary colour
	configPlaceholder  = "{{CONFIG}}"  // the page's JSON configuration
	widgetPlaceholder  = "__SWITCHBOARD_CONFIG__"
	avatarPath         = "/web/avatar"
	pageAvatarRelative = "web/avatar"
)

// asset is one rendered, cacheable response body.
type asset struct {
	body  []byte
	etag  string
	ctype string
}

func newAsset(body []byte, ctype string) asset {
	sum := sha256.Sum256(body)
	return asset{body: body, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: ctype}
}

// page is the rendered chat page and widget with their security policy.
type page struct {
	html    asset
	csp     string
	framing bool // some origins may frame the page
	widget  asset
	avatar  *asset
}

// pageConfig is what the page's script learns from the configuration.
type pageConfig struct {
	Title        string                       `json:"title"`
	BotName      string                       `json:"bot_name"`
	Avatar       string                       `json:"avatar,omitempty"`
	Logo         string                       `json:"logo,omitempty"`
	Strings      map[string]map[string]string `json:"strings"`
	QuickReplies map[string][]string          `json:"quick_replies,omitempty"`
	Prechat      []string                     `json:"prechat,omitempty"`
	Origins      []string                     `json:"origins,omitempty"`
}

// widgetConfig is what widget.js learns from the configuration.
type widgetConfig struct {
	Title   string                       `json:"title"`
	Color   string                       `json:"color"`
	Strings map[string]map[string]string `json:"strings"`
}

// newPage renders the embedded page and widget for b (with defaults
// applied). The page's Content-Security-Policy allows exactly its own inline
// script and style (by hash), same-origin requests, images from itself and
// the configured avatar and logo hosts, and framing by AllowedOrigins only.
// An unreadable AvatarFile is left out (Validate reports it).
func newPage(b Branding) page {
	var p page
	cfg := pageConfig{Title: b.Title, BotName: b.BotName, Logo: b.LogoURL, Strings: b.strings(),
		QuickReplies: b.QuickReplies, Prechat: b.Prechat, Origins: b.origins()}
	imgSrc := []string{"'self'", "data:"}
	if b.AvatarURL != "" {
		cfg.Avatar = b.AvatarURL
	} else if b.AvatarFile != "" {
		if body, ctype, err := readAvatar(b.AvatarFile); err == nil {
			a := newAsset(body, ctype)
			p.avatar = &a
			cfg.Avatar = pageAvatarRelative
		}
	}
	for _, u := range []string{cfg.Avatar, cfg.Logo} {
		if pu, err := url.Parse(u); err == nil && pu.Host != "" {
			if src := pu.Scheme + "://" + pu.Host; !slices.Contains(imgSrc, src) {
				imgSrc = append(imgSrc, src)
			}
		}
	}
	conf, _ := json.Marshal(cfg) // escapes <, > and &, so it cannot end the script element
	body := strings.ReplaceAll(pageTemplate, titlePlaceholder, html.EscapeString(b.Title))
	body = strings.ReplaceAll(body, colorPlaceholder, b.PrimaryColor)
	body = strings.ReplaceAll(body, configPlaceholder, string(conf))
	frame := "'none'"
	if len(cfg.Origins) > 0 {
		frame = strings.Join(cfg.Origins, " ")
		p.framing = true
	}
	p.csp = strings.Join([]string{
		"default-src 'none'",
		"script-src " + inlineHashes(body, "script"),
		"style-src " + inlineHashes(body, "style"),
		"connect-src 'self'",
		"img-src " + strings.Join(imgSrc, " "),
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors " + frame,
	}, "; ")
	p.html = newAsset([]byte(body), "text/html; charset=utf-8")

	wstr := map[string]map[string]string{}
	for l, m := range cfg.Strings {
		wstr[l] = map[string]string{"open": m["open"], "close": m["close"], "unread": m["unread"]}
	}
	wconf, _ := json.Marshal(widgetConfig{Title: b.Title, Color: b.PrimaryColor, Strings: wstr})
	p.widget = newAsset([]byte(strings.Replace(widgetTemplate, widgetPlaceholder, string(wconf), 1)),
		"text/javascript; charset=utf-8")
	return p
}

// inlineHashes returns the CSP source list ('sha256-…' for each) of the
// contents of every <tag>…</tag> element in doc, or 'none' when there is none.
func inlineHashes(doc, tag string) string {
	open, end := "<"+tag+">", "</"+tag+">"
	var srcs []string
	for {
		i := strings.Index(doc, open)
		if i < 0 {
			break
		}
		doc = doc[i+len(open):]
		j := strings.Index(doc, end)
		if j < 0 {
			break
		}
		sum := sha256.Sum256([]byte(doc[:j]))
		srcs = append(srcs, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
		doc = doc[j+len(end):]
	}
	if len(srcs) == 0 {
		return "'none'"
	}
	return strings.Join(srcs, " ")
}

// serveAsset serves a (GET and HEAD, with ETag revalidation).
func serveAsset(w http.ResponseWriter, r *http.Request, a asset, cache string) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", cache)
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// servePage serves the chat page. ?embed=1 is the same page in the widget's
// iframe; the script reads the query itself.
func (a *Adapter) servePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", a.page.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if !a.page.framing {
		h.Set("X-Frame-Options", "DENY") // for browsers without frame-ancestors
	}
	serveAsset(w, r, a.page.html, "no-cache")
}

// serveWidget serves widget.js, the launcher that embeds the chat on
// another site. It is public: any page may load it, but only the
// AllowedOrigins may frame the chat it opens.
func (a *Adapter) serveWidget(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	a.corsHeaders(w, r)
	serveAsset(w, r, a.page.widget, "public, max-age=300")
}

// serveAvatar serves Branding.AvatarFile, or 404 when there is none.
func (a *Adapter) serveAvatar(w http.ResponseWriter, r *http.Request) {
	if a.page.avatar == nil {
		writeError(w, http.StatusNotFound, "no avatar is configured")
		return
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
	serveAsset(w, r, *a.page.avatar, "public, max-age=3600")
}

// allowedOrigin returns the request's Origin header when it is one of
// AllowedOrigins, else "".
func (a *Adapter) allowedOrigin(r *http.Request) string {
	o := strings.ToLower(r.Header.Get("Origin"))
	if o != "" && slices.Contains(a.origins, o) {
		return o
	}
	return ""
}

// corsHeaders lets an allowed origin read the response.
func (a *Adapter) corsHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Origin")
	if o := a.allowedOrigin(r); o != "" {
		h.Set("Access-Control-Allow-Origin", o)
		h.Set("Access-Control-Expose-Headers", "Retry-After")
	}
}

// servePreflight answers a CORS preflight: 204 with the allowed methods and
// headers for an allowed origin, 403 for any other.
func (a *Adapter) servePreflight(w http.ResponseWriter, r *http.Request, allow string) {
	o := a.allowedOrigin(r)
	if o == "" || r.Header.Get("Access-Control-Request-Method") == "" {
		writeError(w, http.StatusForbidden, "this origin may not use the web chat API; see web.allowed_origins")
		return
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Allow-Origin", o)
	h.Set("Access-Control-Allow-Methods", allow)
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}
