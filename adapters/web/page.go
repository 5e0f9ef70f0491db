package web

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"html"
	"net/http"
	"strings"
	"time"
)

//go:embed static/index.html
var pageTemplate string

// titlePlaceholder is replaced by the HTML-escaped Config.Title.
const titlePlaceholder = "{{TITLE}}"

// page is the rendered chat page with its validators and security policy.
type page struct {
	body []byte
	etag string
	csp  string
}

// newPage renders the embedded page for title. Its Content-Security-Policy
// allows exactly the page's own inline script and style (by hash) and
// same-origin requests, nothing else.
func newPage(title string) page {
	body := strings.ReplaceAll(pageTemplate, titlePlaceholder, html.EscapeString(title))
	sum := sha256.Sum256([]byte(body))
	csp := strings.Join([]string{
		"default-src 'none'",
		"script-src " + inlineHashes(body, "script"),
		"style-src " + inlineHashes(body, "style"),
		"connect-src 'self'",
		"img-src 'self' data:",
		"base-uri 'none'",
		"form-action 'none'",
	}, "; ")
	return page{body: []byte(body), etag: `"` + hex.EncodeToString(sum[:8]) + `"`, csp: csp}
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

// servePage serves the chat page (GET and HEAD, with ETag revalidation).
func (a *Adapter) servePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", a.page.csp+"; "+a.frame.directive)
	if a.frame.xfo != "" {
		h.Set("X-Frame-Options", a.frame.xfo)
	}
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", a.page.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.page.body))
}
