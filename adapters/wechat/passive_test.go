package wechat

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// TestPassiveClaimExactlyOnce races Send's claim against the handler's
// deadline many times: every reply is delivered by exactly one path.
func TestPassiveClaimExactlyOnce(t *testing.T) {
	hub := newPassiveHub()
	var passive, custom atomic.Int32
	const rounds = 2000
	var wg sync.WaitGroup
	for i := range rounds {
		id := "m" + string(rune('a'+i%26)) + time.Now().String()
		// Budgets and delays of up to 10 ms, in waves of 100 rounds: on a
		// loaded machine (CI runs packages in parallel) smaller windows
		// made every claim come after its deadline, so only one path was
		// ever taken.
		if i%100 == 0 {
			wg.Wait()
		}
		budget := time.Duration(rand.IntN(10000)) * time.Microsecond
		w := hub.register(id, time.Now().Add(budget))
		wg.Add(2)
		go func() { // the handler
			defer wg.Done()
			timer := time.NewTimer(budget)
			defer timer.Stop()
			var o *offer
			select {
			case o = <-w.offers:
			case <-timer.C:
				o = hub.release(w)
			}
			if o != nil {
				passive.Add(1)
				o.done <- passiveResult{parts: len(o.parts)}
			}
		}()
		go func() { // the Dispatcher's Send
			defer wg.Done()
			time.Sleep(time.Duration(rand.IntN(10000)) * time.Microsecond)
			if w := hub.claim(id, time.Now()); w != nil {
				if res := w.hand(context.Background(), core.Reply{}, []string{"x"}); res.parts == 1 {
					return
				}
			}
			custom.Add(1)
		}()
	}
	wg.Wait()
	if got := passive.Load() + custom.Load(); got != rounds {
		t.Errorf("%d deliveries for %d replies (passive %d, custom %d)", got, rounds, passive.Load(), custom.Load())
	}
	if passive.Load() == 0 || custom.Load() == 0 {
		t.Errorf("only one path taken (passive %d, custom %d): the race was not exercised", passive.Load(), custom.Load())
	}
	t.Logf("passive %d, custom %d", passive.Load(), custom.Load())
	if hub.waiters() != 0 {
		t.Errorf("%d waiters left", hub.waiters())
	}
}

func TestPassiveRetryEvicts(t *testing.T) {
	hub := newPassiveHub()
	first := hub.register("m1", time.Now().Add(time.Hour))
	second := hub.register("m1", time.Now().Add(time.Hour))
	if o := hub.release(first); o != nil {
		t.Fatal("the evicted waiter got an offer")
	}
	if w := hub.claim("m1", time.Now()); w != second {
		t.Fatal("claim did not find the retry's waiter")
	}
	if w := hub.claim("m1", time.Now()); w != nil {
		t.Fatal("a waiter was claimed twice")
	}
}

func TestPassiveDeadline(t *testing.T) {
	hub := newPassiveHub()
	w := hub.register("m1", time.Now().Add(-time.Millisecond))
	if hub.claim("m1", time.Now()) != nil {
		t.Fatal("claimed after the deadline")
	}
	if hub.release(w) != nil {
		t.Fatal("release after the deadline returned an offer")
	}
}

func TestDeliveredExpires(t *testing.T) {
	hub := newPassiveHub()
	t0 := time.Now()
	hub.markDelivered([]string{"r1"}, t0)
	hub.markDelivered([]string{"r2"}, t0.Add(deliveredTTL+time.Second)) // prunes r1
	if hub.takeDelivered("r1") {
		t.Error("r1 should have expired")
	}
	if !hub.takeDelivered("r2") || hub.takeDelivered("r2") {
		t.Error("r2 should be taken exactly once")
	}
}
