package core_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// BenchmarkEngineHandle measures one webhook-sized message through the whole
// Engine (dedupe check, load, understand, one durable group-committed
// transaction) on store/bolt, with 1 and 64 concurrent conversations.
// The "memory" variants run the same path on an in-memory store, to show
// what durability costs.
func BenchmarkEngineHandle(b *testing.B) {
	for _, backend := range []string{"bolt", "memory"} {
		for _, conc := range []int{1, 64} {
			b.Run(fmt.Sprintf("store=%s/conversations=%d", backend, conc), func(b *testing.B) {
				var st core.Store
				if backend == "bolt" {
					st = openStore(b, b.TempDir())
				} else {
					st = newMemStore(time.Now)
				}
				defer st.Close()
				e := core.NewEngine(st, &echo{}, core.EngineOptions{})
				text := strings.Repeat("where is my order AB123456 ", 8)
				var next atomic.Int64
				handle := func(conv string) {
					id := fmt.Sprint(next.Add(1))
					m := msg(conv, id, text)
					m.DedupeKeys = []string{"test:evt:" + id, "test:" + conv + "/" + id}
					if _, err := e.Handle(context.Background(), m); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				b.ResetTimer()
				if conc == 1 {
					for range b.N {
						handle("conv")
					}
				} else {
					// RunParallel starts parallelism × GOMAXPROCS goroutines.
					b.SetParallelism(max(1, conc/runtime.GOMAXPROCS(0)))
					b.RunParallel(func(pb *testing.PB) {
						conv := fmt.Sprint("conv", next.Add(1))
						for pb.Next() {
							handle(conv)
						}
					})
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}
