package bench

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress writes a one-line status to w every second, overwriting itself
// ("\r"), until stop. A nil w makes it a no-op.
type progress struct {
	w     io.Writer
	l     *loader
	tr    *tracker
	mu    sync.Mutex
	label string
	quit  chan struct{}
	done  chan struct{}
}

func startProgress(w io.Writer, label string, l *loader, tr *tracker) *progress {
	p := &progress{w: w, l: l, tr: tr, label: label, quit: make(chan struct{}), done: make(chan struct{})}
	if w == nil {
		close(p.done)
		return p
	}
	go func() {
		defer close(p.done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		var lastAcked int64
		for {
			select {
			case <-p.quit:
				fmt.Fprintln(p.w)
				return
			case <-t.C:
			}
			acked := p.l.acked.Load()
			replies, answered := p.tr.counts()
			p.mu.Lock()
			label := p.label
			p.mu.Unlock()
			fmt.Fprintf(p.w, "\r%-22s %5.0fs  sent %d  acked %d (%d/s)  errors %d  answered %d  replies %d   ",
				label, time.Since(p.l.started).Seconds(), p.l.sent.Load(), acked, acked-lastAcked,
				p.l.failed.Load(), answered, replies)
			lastAcked = acked
		}
	}()
	return p
}

// phase changes the label at the start of the line.
func (p *progress) phase(label string) {
	p.mu.Lock()
	p.label = label
	p.mu.Unlock()
}

// stop ends the line; it is safe to call more than once.
func (p *progress) stop() {
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
	<-p.done
}
