package eval

import (
	"fmt"
	"io"
	"os"
	"runtime/metrics"
	"strings"
	"sync"
	"time"
)

// progressBar draws one line, redrawn in place with a carriage return:
//
//	training          [##########..........]  50%
//
// It is used from one goroutine. A nil or disabled bar draws nothing.
type progressBar struct {
	w     io.Writer
	phase string
	pct   int
	last  time.Time
	drawn bool
}

// barWidth is the number of cells of the bar; progressEvery throttles
// redraws within a phase.
const (
	barWidth      = 30
	progressEvery = 100 * time.Millisecond
)

// newProgressBar returns a bar drawing on w when on is set and w is not nil,
// and a bar that draws nothing otherwise.
func newProgressBar(w io.Writer, on bool) *progressBar {
	if w == nil || !on {
		return nil
	}
	return &progressBar{w: w}
}

// isTerminal reports whether w is an *os.File on a character device.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// update shows done of total in phase. It redraws when the phase changes,
// when the work is complete, or at most every progressEvery otherwise.
// Write errors are ignored: the bar is decoration.
func (b *progressBar) update(phase string, done, total int) {
	if b == nil || total <= 0 {
		return
	}
	pct := min(100, 100*done/total)
	now := time.Now()
	if phase == b.phase && (pct == b.pct || (done < total && now.Sub(b.last) < progressEvery)) {
		return
	}
	b.phase, b.pct, b.last = phase, pct, now
	cells := barWidth * pct / 100
	fmt.Fprintf(b.w, "\r%-18s [%s%s] %3d%%", phase, strings.Repeat("#", cells), strings.Repeat(".", barWidth-cells), pct)
	b.drawn = true
}

// clear erases the bar's line, if anything was drawn.
func (b *progressBar) clear() {
	if b == nil || !b.drawn {
		return
	}
	fmt.Fprintf(b.w, "\r%s\r", strings.Repeat(" ", 18+barWidth+8))
	b.drawn = false
	b.phase = ""
}

// heapPeak samples the Go heap in the background and keeps the maximum.
type heapPeak struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

// heapMetric is the bytes of heap objects, live or not yet swept.
const heapMetric = "/memory/classes/heap/objects:bytes"

// startHeapPeak samples the heap every interval until stop is called.
func startHeapPeak(interval time.Duration) *heapPeak {
	h := &heapPeak{done: make(chan struct{})}
	h.sample()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-h.done:
				return
			case <-t.C:
				h.sample()
			}
		}
	}()
	return h
}

func (h *heapPeak) sample() {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		h.peak = max(h.peak, s[0].Value.Uint64())
	}
}

// stop ends the sampling and returns the peak, in bytes.
func (h *heapPeak) stop() uint64 {
	close(h.done)
	h.wg.Wait()
	h.sample()
	return h.peak
}
