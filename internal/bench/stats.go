package bench

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// Millis is a duration that reads as milliseconds in JSON.
type Millis time.Duration

// MarshalJSON writes the duration in milliseconds, to the microsecond.
func (m Millis) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(time.Duration(m).Microseconds())/1000, 'f', 3, 64), nil
}

// UnmarshalJSON reads milliseconds, as MarshalJSON writes them.
func (m *Millis) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("bench: duration in milliseconds: %w", err)
	}
	*m = Millis(f * float64(time.Millisecond))
	return nil
}

// String formats the duration for the table: "0.84ms", "12.3ms", "1.52s".
func (m Millis) String() string {
	d := time.Duration(m)
	switch {
	case d <= 0:
		return "-"
	case d < 10*time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + "ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
}

// pcts are the percentiles the report shows.
type pcts struct{ p50, p99, p999 time.Duration }

// percentiles returns the nearest-rank p50, p99 and p99.9 of ds (zero when
// ds is empty); it sorts ds.
func percentiles(ds []time.Duration) pcts {
	if len(ds) == 0 {
		return pcts{}
	}
	slices.Sort(ds)
	at := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(ds)))) - 1 // nearest rank
		return ds[min(max(i, 0), len(ds)-1)]
	}
	return pcts{at(0.50), at(0.99), at(0.999)}
}

// Row is one line of the report: a platform, or the total.
type Row struct {
	Platform string `json:"platform"`
	// Sent is messages sent; Acked those the gateway acknowledged (2xx),
	// after retries; Retries the extra deliveries.
	Sent    int `json:"sent"`
	Acked   int `json:"acked"`
	Retries int `json:"retries"`
	// Errors are messages never acknowledged.
	Errors int `json:"errors"`
	// PerSec is acknowledged messages per second of load.
	PerSec float64 `json:"msgs_per_sec"`
	// AckP50/P99: from sending a message to its acknowledgement.
	AckP50 Millis `json:"ack_p50_ms"`
	AckP99 Millis `json:"ack_p99_ms"`
	// ReplyP50/P99/P999: from sending a message to its first reply
	// recorded by the fake platform (or read from the response or stream).
	ReplyP50  Millis `json:"reply_p50_ms"`
	ReplyP99  Millis `json:"reply_p99_ms"`
	ReplyP999 Millis `json:"reply_p999_ms"`
	// Answered messages got a reply; Lost were acknowledged and never
	// answered; Duplicated got the same answer more than once.
	Answered   int `json:"answered"`
	Lost       int `json:"lost"`
	Duplicated int `json:"duplicated"`
}

// rows computes one row per platform (in order) and the total. The run
// must be over: no worker or collector writes to msgs any more.
func rows(platforms []string, msgs []*message, elapsed time.Duration) []Row {
	idx := map[string]int{}
	out := make([]Row, len(platforms)+1)
	acks := make([][]time.Duration, len(out))
	repl := make([][]time.Duration, len(out))
	for i, p := range platforms {
		idx[p] = i
		out[i].Platform = p
	}
	total := len(platforms)
	out[total].Platform = "total"
	for _, m := range msgs {
		for _, i := range []int{idx[m.platform], total} {
			r := &out[i]
			r.Sent++
			r.Retries += max(m.attempts-1, 0)
			if first, ok := m.firstReply(); ok {
				r.Answered++
				repl[i] = append(repl[i], first.Sub(m.start))
			}
			if m.duplicated() {
				r.Duplicated++
			}
			if !m.acked {
				r.Errors++
				continue
			}
			r.Acked++
			acks[i] = append(acks[i], m.ackAt.Sub(m.start))
			if len(m.replies) == 0 {
				r.Lost++
			}
		}
	}
	for i := range out {
		r := &out[i]
		if elapsed > 0 {
			r.PerSec = float64(r.Acked) / elapsed.Seconds()
		}
		a, p := percentiles(acks[i]), percentiles(repl[i])
		r.AckP50, r.AckP99 = Millis(a.p50), Millis(a.p99)
		r.ReplyP50, r.ReplyP99, r.ReplyP999 = Millis(p.p50), Millis(p.p99), Millis(p.p999)
	}
	return out
}
