package slack

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/slack-go/slack"

	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
)

// The two published vectors of protocols.md §1.2.
var vectors = []struct {
	name, secret, ts, body, sig string
}{
	{
		name:   "Slack documentation",
		secret: "8f742231b10e8888abcd99yyyzzz85a5",
		ts:     "1531420618",
		body:   "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
		sig:    "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
	},
	{
		name:   "slack-go security_test.go",
		secret: "e6b19c573432dcc6b075501d51b51bb8",
		ts:     "1531431954",
		body:   `{"token":"aF5ynEYQH0dFN9imlgcADxDB","team_id":"XXXXXXXXX","api_app_id":"YYYYYYYYY","event":{"type":"app_mention","user":"AAAAAAAAA","text":"<@EEEEEEEEE> hello world","client_msg_id":"477cc591-ch73-a14z-4db8-g0cd76321bec","ts":"1531431954.000073","channel":"TTTTTTTTT","event_ts":"1531431954.000073"},"type":"event_callback","event_id":"TvBP7LRED7","event_time":1531431954,"authed_users":["EEEEEEEEE"]}`,
		sig:    "v0=adada4ed31709aef585c2580ca3267678c6a8eaeb7e0c1aca3ee57b656886b2c",
	},
}

func header(ts, sig string) http.Header {
	h := http.Header{}
	if ts != "" {
		h.Set("X-Slack-Request-Timestamp", ts)
	}
	if sig != "" {
		h.Set("X-Slack-Signature", sig)
	}
	return h
}

func TestVerifyPublishedVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			sec, _ := strconv.ParseInt(v.ts, 10, 64)
			at := time.Unix(sec, 0)
			cases := []struct {
				name string
				h    http.Header
				body string
				now  time.Time
				want error
			}{
				{"valid", header(v.ts, v.sig), v.body, at.Add(30 * time.Second), nil},
				{"valid at the edge of the window", header(v.ts, v.sig), v.body, at.Add(MaxSkew), nil},
				{"clock behind the sender", header(v.ts, v.sig), v.body, at.Add(-MaxSkew), nil},
				{"stale", header(v.ts, v.sig), v.body, at.Add(MaxSkew + time.Second), errStale},
				{"from the future", header(v.ts, v.sig), v.body, at.Add(-MaxSkew - time.Second), errStale},
				{"body changed", header(v.ts, v.sig), v.body + " ", at, errBadSignature},
				{"timestamp changed", header(strconv.FormatInt(sec+1, 10), v.sig), v.body, at, errBadSignature},
				{"signature upper case hex", header(v.ts, "v0="+string(bytes.ToUpper([]byte(v.sig[3:])))), v.body, at, nil},
				{"no v0 prefix", header(v.ts, v.sig[3:]), v.body, at, errBadSignature},
				{"short signature", header(v.ts, v.sig[:20]), v.body, at, errBadSignature},
				{"no signature", header(v.ts, ""), v.body, at, errMissingHeaders},
				{"no timestamp", header("", v.sig), v.body, at, errMissingHeaders},
				{"timestamp not a number", header("yesterday", v.sig), v.body, at, errBadTimestamp},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					if err := verify(c.h, []byte(c.body), v.secret, c.now); err != c.want {
						t.Fatalf("verify = %v, want %v", err, c.want)
					}
				})
			}
			if err := verify(header(v.ts, v.sig), []byte(v.body), "another secret", at); err != errBadSignature {
				t.Errorf("wrong secret: %v", err)
			}
		})
	}
}

// TestVerifyAgreesWithSlackGo signs fresh requests with the fake's signer
// and checks that slack-go's verifier (which reads the real clock) and ours
// agree on good and tampered ones.
func TestVerifyAgreesWithSlackGo(t *testing.T) {
	secret := "e6b19c573432dcc6b075501d51b51bb8"
	body := []byte(vectors[1].body)
	now := time.Now()
	ts, sig := slackfake.Sign(secret, now, body)
	for _, c := range []struct {
		name string
		body []byte
		ok   bool
	}{
		{"signed", body, true},
		{"tampered", append(append([]byte(nil), body...), '!'), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := header(ts, sig)
			ours := verify(h, c.body, secret, now) == nil
			sv, err := slack.NewSecretsVerifier(h, secret)
			if err != nil {
				t.Fatalf("slack-go verifier: %v", err)
			}
			sv.Write(c.body)
			theirs := sv.Ensure() == nil
			if ours != c.ok || theirs != c.ok {
				t.Fatalf("ours %v, slack-go %v, want %v", ours, theirs, c.ok)
			}
		})
	}
}
