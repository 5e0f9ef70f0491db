package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
)

// The API paths the adapter calls, relative to Config.APIURL.
const (
	pathStableToken = "/cgi-bin/stable_token"
	pathCustomSend  = "/cgi-bin/message/custom/send"
)

// maxResponseBytes caps how much of an API response is read.
const maxResponseBytes = 1 << 20

// apiClient makes the two HTTP calls of the adapter. It is hand-written
// around the SDK's types (credential.ResAccessToken, util.CommonError,
// message.CustomerMessage) because the SDK's own calls do not fit: their
// host is a constant that only the process-global util.SetURIModifier or
// util.DefaultHTTPClient can change, message.Manager.Send takes no context,
// its errors are strings (so 45015 cannot be told from 40001 without parsing
// text) and they contain the request URL, access_token included.
type apiClient struct {
	base   string // without trailing slash
	client *http.Client
	appID  string
	secret string
}

// apiError is a WeChat error answer: HTTP 200 with a non-zero errcode.
type apiError struct {
	op   string
	code int64
	msg  string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("wechat: %s: errcode %d: %s", e.op, e.code, e.msg)
}

// statusError is an HTTP status other than 200.
type statusError struct {
	op         string
	status     int
	retryAfter time.Duration
}

func (e *statusError) Error() string {
	return fmt.Sprintf("wechat: %s: HTTP status %d", e.op, e.status)
}

// stableToken calls POST /cgi-bin/stable_token. force asks for a new token
// (WeChat allows that 20 times a day, 30 s apart).
func (a *apiClient) stableToken(ctx context.Context, force bool) (string, time.Duration, error) {
	req := map[string]any{
		"grant_type":    "client_credential",
		"appid":         a.appID,
		"secret":        a.secret,
		"force_refresh": force,
	}
	var res credential.ResAccessToken
	if err := a.post(ctx, "get stable access token", pathStableToken, "", req, &res); err != nil {
		return "", 0, err
	}
	if res.ErrCode != 0 {
		return "", 0, &apiError{op: "get stable access token", code: res.ErrCode, msg: res.ErrMsg}
	}
	if res.AccessToken == "" || res.ExpiresIn <= 0 {
		return "", 0, errors.New("wechat: get stable access token: answer without access_token or expires_in")
	}
	return res.AccessToken, time.Duration(res.ExpiresIn) * time.Second, nil
}

// sendCustom calls POST /cgi-bin/message/custom/send with one message.
func (a *apiClient) sendCustom(ctx context.Context, token string, m *message.CustomerMessage) error {
	var res util.CommonError
	if err := a.post(ctx, "send customer-service message", pathCustomSend, token, m, &res); err != nil {
		return err
	}
	if res.ErrCode != 0 {
		return &apiError{op: "send customer-service message", code: res.ErrCode, msg: res.ErrMsg}
	}
	return nil
}

// post sends in as JSON to path (with access_token in the query when token
// is set) and decodes the JSON answer into out. Its errors never contain the
// token: URLs in them are redacted.
func (a *apiClient) post(ctx context.Context, op, path, token string, in, out any) error {
	u := a.base + path
	if token != "" {
		u += "?access_token=" + url.QueryEscape(token)
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false) // WeChat shows "&" and <a href="..."> as they are
	if err := enc.Encode(in); err != nil {
		return fmt.Errorf("wechat: %s: encode request: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, &body)
	if err != nil {
		return fmt.Errorf("wechat: %s: invalid api_url %s", op, RedactURL(a.base))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("wechat: %s: %w", op, redactURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes))
		return &statusError{op: op, status: resp.StatusCode, retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"))}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("wechat: %s: read response: %w", op, redactURLError(err))
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("wechat: %s: response is not the expected JSON", op)
	}
	return nil
}

func parseRetryAfter(s string) time.Duration {
	var secs int
	if _, err := fmt.Sscanf(s, "%d", &secs); err != nil || secs <= 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}

// redactURLError replaces the URL inside a *url.Error, which net/http puts in
// every transport error, with its redacted form.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: RedactURL(ue.URL), Err: ue.Err}
	}
	return err
}

// secretParams are the query parameters RedactURL hides.
var secretParams = []string{"access_token", "secret", "appsecret", "corpsecret"}

// RedactURL returns raw with the values of access_token and secret query
// parameters, and any user:password, replaced by "REDACTED", for logs and
// errors. An unparsable URL is replaced whole.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "REDACTED-URL"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			for _, s := range secretParams {
				if strings.EqualFold(k, s) {
					q.Set(k, "REDACTED")
				}
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// redacted is an error whose text has a secret removed; Unwrap still gives
// the original, so errors.Is and errors.As keep working.
type redacted struct {
	text string
	err  error
}

func (r *redacted) Error() string { return r.text }
func (r *redacted) Unwrap() error { return r.err }

// scrub returns err with every occurrence of the secrets in its text
// replaced, as a last line of defence behind RedactURL.
func scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	changed := false
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			text = strings.ReplaceAll(text, s, "REDACTED")
			changed = true
		}
	}
	if !changed {
		return err
	}
	return &redacted{text: text, err: err}
}
