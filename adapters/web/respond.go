package web

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/switchboard-gw/switchboard/core"
)

// writeJSON writes v as a JSON response with the given status. Responses of
// the API are never cached: they belong to one customer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own wire types are written here; they always marshal.
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeError writes {"error": msg} with the given status.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// methodNotAllowed returns a handler answering 405 with the Allow header.
func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed here; use "+allow)
	}
}

// statusFor maps an engine or store error to an HTTP status: 503 when the
// store is closed or the request was cancelled, 500 otherwise.
func statusFor(err error) int {
	switch {
	case errors.Is(err, core.ErrClosed), errors.Is(err, context.Canceled),
		errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// reason returns the client-facing text of a parse error: its message
// without the trailing ": bad request" of errBadRequest.
func reason(err error) string {
	return strings.TrimSuffix(err.Error(), ": "+errBadRequest.Error())
}

// isJSON reports whether a Content-Type header names application/json
// (parameters such as charset are allowed).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}
