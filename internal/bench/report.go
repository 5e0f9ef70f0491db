package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what Run measured. It marshals to the JSON of --json.
type Report struct {
	Mode        string   `json:"mode"` // "in-process" or "target"
	Target      string   `json:"target,omitempty"`
	Platforms   []string `json:"platforms"`
	Connections int      `json:"connections"`
	Rate        float64  `json:"rate,omitempty"` // msgs/s asked for; 0: as fast as possible
	// LoadSeconds is how long the load ran, deliveries in flight included.
	LoadSeconds float64 `json:"load_seconds"`
	// Caps are the msgs/s offered at most to the rate-limited platforms.
	Caps map[string]float64 `json:"caps_msgs_per_sec,omitempty"`
	Slow *Slow              `json:"slow_platform,omitempty"`
	// Rows: one per platform, then the total.
	Rows []Row `json:"rows"`
	// Unmatched replies belong to no message the bench sent.
	Unmatched int `json:"unmatched_replies"`
	// OutboxLeft is what the gateway's outbox still held at the end (-1:
	// unknown, with --target).
	OutboxLeft int       `json:"outbox_left"`
	Security   Security  `json:"security"`
	Fsync      *Fsync    `json:"fsync,omitempty"`
	NoSync     *NoSync   `json:"nosync,omitempty"`
	Dir        string    `json:"kept_dir,omitempty"` // the kept store and log
	At         time.Time `json:"at"`
	// Interrupted is set when the run was cancelled: it did not wait for
	// the replies, so lost and duplicated mean nothing.
	Interrupted bool `json:"interrupted,omitempty"`
}

// Slow describes the --slow-platform faults and how many sends they hit.
type Slow struct {
	Rate     float64          `json:"rate"`
	Latency  Millis           `json:"latency_ms"`
	Sends    map[string]int64 `json:"sends"`
	Injected map[string]int64 `json:"injected_429"`
}

// Security is the result of the forged requests and the log scan.
type Security struct {
	BadRequests []BadRequest `json:"bad_requests"`
	Sent        int          `json:"bad_sent"`
	Refused     int          `json:"bad_refused"`
	// LogLines is how many lines of the gateway's log were scanned; 0 with
	// --target (the log is not the bench's).
	LogLines int    `json:"log_lines"`
	Leaks    []Leak `json:"leaks"`
}

// NoSync compares the run with a run of the same load on a store without fsync.
type NoSync struct {
	Rows []Row `json:"rows"`
	// Ratio is durable msgs/s over no-fsync msgs/s (goal: at least 0.5).
	Ratio float64 `json:"durable_ratio"`
}

func newReport(o Options) *Report {
	r := &Report{Mode: "in-process", Target: o.Target, Platforms: o.Platforms, Connections: o.Connections,
		Rate: o.Rate, At: time.Now().UTC(), Security: Security{Leaks: []Leak{}}}
	if o.Target != "" {
		r.Mode = "target"
	}
	if o.SlowPlatform {
		r.Slow = &Slow{Rate: o.SlowRate, Latency: Millis(o.SlowLatency), Sends: map[string]int64{}, Injected: map[string]int64{}}
	}
	return r
}

func (r *Report) add(res *result) {
	r.LoadSeconds = res.elapsed.Seconds()
	r.Caps = res.caps
	r.Rows = rows(r.Platforms, res.msgs, res.elapsed)
	r.Unmatched, r.OutboxLeft = res.orphans, res.outbox
	if r.Slow != nil {
		for p, s := range res.slow {
			r.Slow.Sends[p], r.Slow.Injected[p] = s[0], s[1]
		}
	}
	r.Security.BadRequests = res.bad
	for _, b := range res.bad {
		if b.Sent {
			r.Security.Sent++
		}
		if b.Refused {
			r.Security.Refused++
		}
	}
	r.Security.LogLines = res.logLines
	if res.leaks != nil {
		r.Security.Leaks = res.leaks
	}
}

func (r *Report) addNoSync(res *result) {
	n := &NoSync{Rows: rows(r.Platforms, res.msgs, res.elapsed)}
	if d, s := r.total().PerSec, n.Rows[len(n.Rows)-1].PerSec; s > 0 {
		n.Ratio = d / s
	}
	r.NoSync = n
}

func (r *Report) total() Row { return r.Rows[len(r.Rows)-1] }

// Problems returns one loud line per thing the gateway got wrong: a secret
// in its log, a forged request it did not refuse, a lost or duplicated
// reply. No problems means the run passed.
func (r *Report) Problems() []string {
	var out []string
	for _, l := range r.Security.Leaks {
		out = append(out, fmt.Sprintf("SECURITY: the gateway's log contains %s (%d lines, the first is line %d)", l.Secret, l.Count, l.Line))
	}
	for _, b := range r.Security.BadRequests {
		if b.Sent && !b.Refused {
			out = append(out, fmt.Sprintf("SECURITY: %s %s request was not refused: status %d, want %s %s",
				b.Platform, b.Kind, b.Status, b.Expect, b.Note))
		}
	}
	if r.Interrupted {
		return append(out, "INTERRUPTED: the run was stopped before the replies were in; lost and dup are not settled")
	}
	check := func(label string, rows []Row) {
		t := rows[len(rows)-1]
		if t.Lost > 0 {
			left := ""
			if r.OutboxLeft > 0 && label == "" {
				left = fmt.Sprintf(" (%d replies were still in the outbox)", r.OutboxLeft)
			}
			out = append(out, fmt.Sprintf("LOST%s: %d acknowledged messages were never answered%s", label, t.Lost, left))
		}
		if t.Duplicated > 0 {
			out = append(out, fmt.Sprintf("DUPLICATED%s: %d messages got the same answer more than once", label, t.Duplicated))
		}
		if t.Acked == 0 {
			out = append(out, fmt.Sprintf("NOTHING ACKNOWLEDGED%s: the gateway acknowledged no message", label))
		}
	}
	check("", r.Rows)
	if r.NoSync != nil {
		check(" (no-fsync run)", r.NoSync.Rows)
	}
	return out
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report for people: the table, then one line each
// for the caps, the slow platform, the security checks, the fsync probe and
// the comparison.
func (r *Report) WriteTable(w io.Writer) error {
	how := "as fast as possible"
	if r.Rate > 0 {
		how = fmt.Sprintf("%g msgs/s", r.Rate)
	}
	where := "in-process gateway"
	if r.Target != "" {
		where = "gateway at " + r.Target
	}
	fmt.Fprintf(w, "switchboard bench: %s, %d connections, %s, %.1fs of load\n\n", where, r.Connections, how, r.LoadSeconds)
	writeRows(w, r.Rows)
	fmt.Fprintf(w, "\nreply: from sending the message to its reply recorded by the fake platform (web: read from the event stream);\n"+
		"lost: acknowledged, never answered; dup: the same answer delivered twice; errors: never acknowledged.\n")
	if len(r.Caps) > 0 {
		var caps []string
		for _, p := range sortedKeys(r.Caps) {
			caps = append(caps, fmt.Sprintf("%s %.0f/s", p, r.Caps[p]))
		}
		fmt.Fprintf(w, "capped: %s (%.0f%% of what the adapter may send there per second; --uncapped lifts it)\n",
			strings.Join(caps, ", "), capShare*100)
	}
	if r.Slow != nil {
		var hits []string
		for _, p := range sortedKeys(r.Slow.Sends) {
			hits = append(hits, fmt.Sprintf("%s %d/%d", p, r.Slow.Injected[p], r.Slow.Sends[p]))
		}
		fmt.Fprintf(w, "slow platform: %.0f%% of sends answered 429 + Retry-After, every send delayed %s (429s/sends: %s)\n",
			r.Slow.Rate*100, r.Slow.Latency, strings.Join(hits, ", "))
	}
	fmt.Fprintf(w, "unmatched replies: %d; outbox at the end: %s\n", r.Unmatched, orUnknown(r.OutboxLeft))
	s := r.Security
	fmt.Fprintf(w, "security: %d forged or malformed requests (unsigned, wrong signature, replayed, oversized), %d refused", s.Sent, s.Refused)
	switch {
	case r.Target != "":
		fmt.Fprintf(w, "; log not scanned (not the bench's gateway)\n")
	case len(s.Leaks) == 0:
		fmt.Fprintf(w, "; %d log lines scanned, no secret found\n", s.LogLines)
	default:
		fmt.Fprintf(w, "; %d log lines scanned, %d SECRETS FOUND\n", s.LogLines, len(s.Leaks))
	}
	if f := r.Fsync; f != nil {
		fmt.Fprintf(w, "fsync (%d × 4 KiB write+fdatasync in %s): p50 %s, p99 %s → %.0f syncs/s on one connection (1/p50), ~%.0f bbolt commits/s (2 syncs each) before group commit\n",
			f.Samples, f.Dir, f.P50, f.P99, f.SyncsPerSec, f.CommitsPerSec)
	}
	if n := r.NoSync; n != nil {
		t := n.Rows[len(n.Rows)-1]
		fmt.Fprintf(w, "durable vs no fsync: %.0f vs %.0f msgs/s acknowledged = %.0f%% (goal ≥ 50%%); no-fsync reply p50 %s, p99 %s, lost %d, dup %d\n",
			r.total().PerSec, t.PerSec, n.Ratio*100, t.ReplyP50, t.ReplyP99, t.Lost, t.Duplicated)
	}
	if r.Dir != "" {
		fmt.Fprintf(w, "kept: %s\n", r.Dir)
	}
	return nil
}

func writeRows(w io.Writer, rows []Row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "platform\tsent\tacked\tmsgs/s\tack p50\tack p99\treply p50\treply p99\treply p99.9\terrors\tretries\tlost\tdup\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t\n", r.Platform, r.Sent, r.Acked, r.PerSec,
			r.AckP50, r.AckP99, r.ReplyP50, r.ReplyP99, r.ReplyP999, r.Errors, r.Retries, r.Lost, r.Duplicated)
	}
	_ = tw.Flush()
}

func orUnknown(n int) string {
	if n < 0 {
		return "unknown"
	}
	return fmt.Sprint(n)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
