package web

import "strings"

// framing is who may show the chat page in a frame (clickjacking defence).
type framing struct {
	directive string // the CSP frame-ancestors directive
	xfo       string // X-Frame-Options, "" when a list of origins is allowed
}

// newFraming returns the framing policy for origins: none means no page may
// frame the chat (frame-ancestors 'none' and X-Frame-Options: DENY, for
// browsers without CSP 2); otherwise exactly those origins may
// (X-Frame-Options cannot express a list, so it is left out and CSP
// decides). Origins are written as given ("https://shop.example"); an
// origin containing a character that would break the header is dropped.
func newFraming(origins []string) framing {
	var ok []string
	for _, o := range origins {
		o = strings.TrimSpace(o)
		if o == "" || strings.ContainsAny(o, ";,\r\n\"' ") {
			continue
		}
		ok = append(ok, o)
	}
	if len(ok) == 0 {
		return framing{directive: "frame-ancestors 'none'", xfo: "DENY"}
	}
	return framing{directive: "frame-ancestors " + strings.Join(ok, " ")}
}
