package telegram

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
)

// params collects a request's parameters from the query string and the
// body (form, multipart form or JSON object; non-string JSON values are kept
// as their JSON text, as Telegram reads them).
func params(r *http.Request) (map[string]string, error) {
	out := make(map[string]string)
	for k, v := range r.URL.Query() {
		out[k] = v[0]
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, fmt.Errorf("can't parse JSON object")
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				out[k] = s
			} else {
				out[k] = string(v)
			}
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return nil, fmt.Errorf("can't parse multipart form")
		}
		for k, v := range r.MultipartForm.Value {
			out[k] = v[0]
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, fmt.Errorf("can't parse form")
		}
		for k, v := range r.PostForm {
			out[k] = v[0]
		}
	}
	return out, nil
}

var descriptions = map[int]string{
	400: "Bad Request: chat not found",
	401: "Unauthorized",
	403: "Forbidden: bot was blocked by the user",
	404: "Not Found",
	409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
	429: "Too Many Requests: retry after %d",
	500: "Internal Server Error",
	502: "Bad Gateway",
}

func writeError(w http.ResponseWriter, f Failure) {
	if f.RawBody != "" {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.RawBody))
		return
	}
	desc := f.Description
	if desc == "" {
		desc = descriptions[f.Status]
		if f.Status == 429 {
			desc = fmt.Sprintf(desc, f.RetryAfter)
		}
	}
	body := map[string]any{"ok": false, "error_code": f.Status, "description": desc}
	if f.RetryAfter > 0 {
		body["parameters"] = map[string]int{"retry_after": f.RetryAfter}
	}
	writeJSON(w, f.Status, body)
}

func writeOK(w http.ResponseWriter, result any) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"ok":false,"error_code":500,"description":"Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
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
