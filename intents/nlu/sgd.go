package nlu

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// fitSoftmax fits an L2-regularised multinomial logistic regression
//
//	minimise (1/n)·Σᵢ −log softmax(W·xᵢ + b)[yᵢ] + (λ/2)‖W‖²,  λ = 1/(C·n)
//
// by minibatch SGD with a linearly decaying step size. Weight decay is applied
// lazily through a global scale (W = scale·V), so a step only touches the
// features present in its batch.
//
// Each step is parallel in two phases: the forward pass over the batch's
// examples, then the update over disjoint ranges of classes. Every weight is
// updated by the same sequence of floating-point operations whatever the
// number of workers, so the result depends only on the data and the seed.
//
// It returns the weights feature-major (w[f*k+c]) and the biases.
func fitSoftmax(ctx context.Context, xs []sparse, y []int32, k, d int, o Options) ([]float32, []float32, error) {
	n := len(xs)
	v := make([]float32, d*k)
	bias := make([]float64, k)
	scale := 1.0
	lambda := 1 / (o.C * float64(n))
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x9e3779b97f4a7c15))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	bs := min(o.BatchSize, n)
	if o.Epochs == 0 {
		perEpoch := (n + bs - 1) / bs
		o.Epochs = min(max((autoSteps+perEpoch-1)/perEpoch, 6), 100)
	}
	resid := make([]float32, bs*k)
	zbuf := make([]float64, bs*k)
	stepsPerEpoch := (n + bs - 1) / bs
	total := float64(o.Epochs * stepsPerEpoch)
	step := 0
	progressEvery := max(1, o.Epochs*stepsPerEpoch/100)
	for epoch := range o.Epochs {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("nlu: training interrupted at epoch %d: %w", epoch, err)
		}
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		for start := 0; start < n; start += bs {
			batch := order[start:min(start+bs, n)]
			if step%256 == 255 {
				if err := ctx.Err(); err != nil {
					return nil, nil, fmt.Errorf("nlu: training interrupted at epoch %d: %w", epoch, err)
				}
			}
			lr := o.LearningRate * (1 - float64(step)/total)
			step++
			if o.Progress != nil && step%progressEvery == 0 {
				o.Progress(step, int(total))
			}
			// Forward: residuals p − onehot(y) of each example.
			parallelFor(len(batch), o.Workers, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					r := resid[i*k : (i+1)*k]
					x := xs[batch[i]]
					clear(r)
					for j, f := range x.idx {
						axpy(r, v[int(f)*k:int(f+1)*k], x.val[j])
					}
					z := zbuf[i*k : (i+1)*k]
					for c := range r {
						z[c] = scale*float64(r[c]) + bias[c]
					}
					softmaxInPlace(z)
					z[y[batch[i]]] -= 1
					for c := range r {
						if math.Abs(z[c]) < skipResid {
							r[c] = 0
						} else {
							r[c] = float32(z[c])
						}
					}
				}
			})
			// Update, parallel over classes.
			scale *= 1 - lr*lambda
			g := lr / float64(len(batch))
			coef := g / scale
			parallelFor(k, o.Workers, func(c0, c1 int) {
				active := make([]int32, 0, c1-c0)
				for i, ex := range batch {
					r := resid[i*k+c0 : i*k+c1]
					x := xs[ex]
					active = active[:0]
					for c, rc := range r {
						if rc != 0 {
							active = append(active, int32(c))
						}
					}
					// Sparse path when few classes are active; adding the exact
					// zeros of the dense path changes nothing, so the result does
					// not depend on how classes are split among workers.
					if 3*len(active) < len(r) {
						for j, f := range x.idx {
							a := float32(-coef * float64(x.val[j]))
							row := v[int(f)*k+c0 : int(f)*k+c1]
							for _, c := range active {
								row[c] += a * r[c]
							}
						}
						continue
					}
					for j, f := range x.idx {
						axpy(v[int(f)*k+c0:int(f)*k+c1], r, float32(-coef*float64(x.val[j])))
					}
				}
				for c := c0; c < c1; c++ {
					var s float64
					for i := range batch {
						s += float64(resid[i*k+c])
					}
					bias[c] -= g * s
				}
			})
			if scale < 1e-4 {
				for i := range v {
					v[i] = float32(float64(v[i]) * scale)
				}
				scale = 1
			}
		}
		o.Logger.Debug("nlu: epoch done", "epoch", epoch+1, "of", o.Epochs)
	}
	for i := range v {
		v[i] = float32(float64(v[i]) * scale)
	}
	if o.Progress != nil && step%progressEvery != 0 {
		o.Progress(step, int(total))
	}
	b32 := make([]float32, k)
	for c := range bias {
		b32[c] = float32(bias[c])
	}
	return v, b32, nil
}

// skipResid is the magnitude below which a residual p − y is treated as 0:
// the update skips classes that the model already rules out (or already
// predicts with certainty) for an example. On CLINC150 this saved about a
// quarter of the training CPU time and moved no val figure by more than 0.03
// points.
const skipResid = 1e-4

// autoSteps is the number of SGD steps aimed at when Options.Epochs is 0.
//
// 6000 rather than 3000: on CrossWOZ (5-fold cross-validation over the
// training dialogues, seeds 1–3) P@1 rose from 91.15% to 91.36%, and moved
// by at most 0.1 point beyond that up to 18000; on BANKING77 (5-fold over
// train) accuracy rose by 0.2 point, and CLINC150 val did not move beyond
// noise (in-scope 93.07% → 92.97%, larson OOS recall 69% → 68%). On
// CLINC150 it means 7 epochs instead of 6.
const autoSteps = 6000

// parallelFor splits [0, n) into at most workers contiguous ranges and runs
// fn on each, waiting for all. Small n runs inline.
func parallelFor(n, workers int, fn func(lo, hi int)) {
	if workers <= 1 || n < 2 {
		fn(0, n)
		return
	}
	w := min(workers, n)
	var wg sync.WaitGroup
	for i := range w {
		lo, hi := i*n/w, (i+1)*n/w
		if i == w-1 {
			fn(lo, hi)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}

// axpy adds a·x to y; len(x) must be at least len(y).
func axpy(y, x []float32, a float32) {
	x = x[:len(y)]
	i := 0
	for ; i+4 <= len(y); i += 4 {
		y[i] += a * x[i]
		y[i+1] += a * x[i+1]
		y[i+2] += a * x[i+2]
		y[i+3] += a * x[i+3]
	}
	for ; i < len(y); i++ {
		y[i] += a * x[i]
	}
}
