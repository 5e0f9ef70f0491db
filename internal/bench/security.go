package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// Kinds of forged or malformed requests.
const (
	kindUnsigned  = "unsigned"
	kindWrongSig  = "wrong signature"
	kindReplayed  = "replayed"
	kindOversized = "oversized"
)

// expectation is what the gateway must do with a bad request.
type expectation int

const (
	// expectReject: answer 4xx.
	expectReject expectation = iota
	// expectDedupe: the platform's protocol has nothing that dates the
	// request (Telegram, the web chat), so a replay cannot be told from the
	// platform's own redelivery: acknowledge it, but do not answer the
	// message again.
	expectDedupe
)

func (e expectation) String() string {
	if e == expectDedupe {
		return "acknowledged, not answered again"
	}
	return "4xx"
}

// badRequest is one forged or malformed request.
type badRequest struct {
	platform string
	kind     string
	expect   expectation
	build    func(ctx context.Context) (*http.Request, error)
	target   *message // for expectDedupe: the message that must keep one answer
}

// BadRequest is the outcome of one forged or malformed request.
type BadRequest struct {
	Platform string `json:"platform"`
	Kind     string `json:"kind"`
	Expect   string `json:"expect"`
	Sent     bool   `json:"sent"`
	Status   int    `json:"status"` // 0: no HTTP answer
	Refused  bool   `json:"refused"`
	Note     string `json:"note,omitempty"`
}

// replayOf returns the replay of sample's message, or a request that is
// reported as not sent when no message was acknowledged in time.
func replayOf(platform string, sample *sampled) badRequest {
	if sample == nil {
		return badRequest{platform: platform, kind: kindReplayed}
	}
	return badRequest{platform: platform, kind: kindReplayed, expect: sample.d.expect, build: sample.d.replay, target: sample.m}
}

// oversizedText returns a question padded to n bytes.
func oversizedText(n int) string {
	const q = "what are your opening hours "
	return strings.Repeat(q, n/len(q)+1)
}

// sendBad sends b and records its status; whether a replay was refused is
// settled after the drain, by finishBad.
func sendBad(ctx context.Context, c *http.Client, b badRequest) BadRequest {
	r := BadRequest{Platform: b.platform, Kind: b.kind, Expect: b.expect.String()}
	if b.build == nil {
		r.Note = "not sent: no message of this platform was acknowledged to replay"
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r.Sent = true
	o := do(ctx, c, b.build)
	r.Status = o.status
	switch {
	case o.err != nil:
		r.Note = "no answer: " + o.err.Error()
	case b.expect == expectReject:
		r.Refused = o.status >= 400 && o.status < 500
	default:
		r.Refused = o.status >= 200 && o.status < 300 // and not answered twice: finishBad
	}
	return r
}

// finishBad fails a deduplicated replay whose message was answered twice.
func finishBad(results []BadRequest, sent []badRequest) {
	for i, b := range sent {
		if b.expect == expectDedupe && b.target != nil && results[i].Refused && b.target.duplicated() {
			results[i].Refused = false
			results[i].Note = "the replayed message was answered twice"
		}
	}
}

// Leak is a secret found in the gateway's log.
type Leak struct {
	Secret string `json:"secret"` // its name, never its value
	Count  int    `json:"count"`
	Line   int    `json:"first_line"`
}

// scanLog reads the log at path and counts, per secret, the lines holding
// its value as is or URL-escaped (the generated secrets need no JSON
// escaping). A secret split across the 1 MiB chunks of a longer line is
// missed. It returns the leaks found
// (sorted by name) and the number of lines read.
func scanLog(path string, secrets []secret) ([]Leak, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("scan log: %w", err)
	}
	defer f.Close()
	type needle struct {
		name string
		b    []byte
	}
	var needles []needle
	for _, s := range secrets {
		if len(s.value) < 8 { // too short to search for without false hits
			continue
		}
		forms := map[string]bool{s.value: true, url.QueryEscape(s.value): true, url.PathEscape(s.value): true}
		for v := range forms {
			needles = append(needles, needle{s.name, []byte(v)})
		}
	}
	found := map[string]*Leak{}
	r := bufio.NewReaderSize(f, 1<<20)
	lines := 0
	partial := false          // the last chunk ended inside a line
	seen := map[string]bool{} // secrets found in the current line
	for {
		chunk, err := r.ReadSlice('\n')
		if len(chunk) > 0 {
			if !partial {
				lines++
				clear(seen)
			}
			for _, n := range needles {
				if seen[n.name] || !bytes.Contains(chunk, n.b) {
					continue
				}
				seen[n.name] = true
				l := found[n.name]
				if l == nil {
					l = &Leak{Secret: n.name, Line: lines}
					found[n.name] = l
				}
				l.Count++
			}
		}
		partial = err == bufio.ErrBufferFull
		switch {
		case err == nil || partial:
		case err == io.EOF:
			out := make([]Leak, 0, len(found))
			for _, l := range found {
				out = append(out, *l)
			}
			sort.Slice(out, func(i, j int) bool { return out[i].Secret < out[j].Secret })
			return out, lines, nil
		default:
			return nil, lines, fmt.Errorf("scan log: %w", err)
		}
	}
}
