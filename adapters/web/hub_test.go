package web

import (
	"fmt"
	"sync"
	"testing"
)

// recv returns the next frame of s without blocking, and whether the channel
// is still open.
func recv(t *testing.T, s *subscriber) (frame string, open bool) {
	t.Helper()
	select {
	case f, ok := <-s.ch:
		return string(f), ok
	default:
		t.Fatal("no frame and channel not closed")
		return "", false
	}
}

func TestHub(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, h *hub)
	}{
		{"publish reaches only the key's streams", func(t *testing.T, h *hub) {
			a1, a2, b := h.subscribe("a"), h.subscribe("a"), h.subscribe("b")
			if n := h.publish("a", []byte("x")); n != 2 {
				t.Fatalf("publish delivered to %d streams, want 2", n)
			}
			for _, s := range []*subscriber{a1, a2} {
				if f, ok := recv(t, s); !ok || f != "x" {
					t.Fatalf("got %q open=%v, want \"x\" open", f, ok)
				}
			}
			if len(b.ch) != 0 {
				t.Fatal("stream of key b received an event of key a")
			}
		}},
		{"publish without streams delivers nothing", func(t *testing.T, h *hub) {
			if n := h.publish("nobody", []byte("x")); n != 0 {
				t.Fatalf("publish = %d, want 0", n)
			}
		}},
		{"slow stream is dropped", func(t *testing.T, h *hub) {
			s := h.subscribe("a") // buffer 2
			for i := range 3 {
				h.publish("a", fmt.Appendf(nil, "%d", i))
			}
			for _, want := range []string{"0", "1"} {
				if f, ok := recv(t, s); !ok || f != want {
					t.Fatalf("got %q open=%v, want %q", f, ok, want)
				}
			}
			if _, ok := recv(t, s); ok {
				t.Fatal("slow stream still open after overflowing its buffer")
			}
			if n := h.count("a"); n != 0 {
				t.Fatalf("count = %d after drop, want 0", n)
			}
		}},
		{"too many streams close the oldest", func(t *testing.T, h *hub) {
			s1, s2, s3 := h.subscribe("a"), h.subscribe("a"), h.subscribe("a") // max 2
			if _, ok := recv(t, s1); ok {
				t.Fatal("oldest stream not closed")
			}
			h.publish("a", []byte("x"))
			for _, s := range []*subscriber{s2, s3} {
				if f, ok := recv(t, s); !ok || f != "x" {
					t.Fatalf("got %q open=%v, want \"x\"", f, ok)
				}
			}
			h.unsubscribe("a", s1) // the handler of the dropped stream still unsubscribes
			if n := h.count("a"); n != 2 {
				t.Fatalf("count = %d, want 2", n)
			}
		}},
		{"unsubscribe twice is harmless", func(t *testing.T, h *hub) {
			s := h.subscribe("a")
			h.unsubscribe("a", s)
			h.unsubscribe("a", s)
			if _, ok := <-s.ch; ok {
				t.Fatal("channel open after unsubscribe")
			}
			if n := h.count("a"); n != 0 {
				t.Fatalf("count = %d, want 0", n)
			}
		}},
		{"close ends streams and refuses new ones", func(t *testing.T, h *hub) {
			s := h.subscribe("a")
			h.close()
			if _, ok := <-s.ch; ok {
				t.Fatal("channel open after close")
			}
			if h.subscribe("a") != nil {
				t.Fatal("subscribe after close returned a stream")
			}
			if n := h.publish("a", []byte("x")); n != 0 {
				t.Fatalf("publish after close = %d, want 0", n)
			}
			h.close()
			h.unsubscribe("a", s)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newHub(2, 2)) })
	}
}

// TestHubConcurrent exercises publish, subscribe, unsubscribe and close at
// once; run with -race.
func TestHubConcurrent(t *testing.T) {
	h := newHub(4, 3)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			key := fmt.Sprint(i % 2)
			for range 200 {
				s := h.subscribe(key)
				if s == nil {
					return
				}
				h.publish(key, []byte("x"))
				select {
				case <-s.ch:
				default:
				}
				h.unsubscribe(key, s)
			}
		})
	}
	wg.Wait()
	h.close()
	for _, k := range []string{"0", "1"} {
		if n := h.count(k); n != 0 {
			t.Errorf("count(%s) = %d after everyone left, want 0", k, n)
		}
	}
}
