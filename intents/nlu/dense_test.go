package nlu

import (
	"math"
	"testing"
)

func TestTrainDense(t *testing.T) {
	// Two clusters in 4-d with labels b and a (given out of order).
	var vecs [][]float32
	var labels []string
	for i := range 20 {
		f := float32(i%5) * 0.05
		vecs = append(vecs, []float32{1, f, 0, 0}, []float32{0, 0, 1, f})
		labels = append(labels, "b", "a")
	}
	m, err := TrainDense(t.Context(), vecs, labels, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Labels(); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("Labels = %v, want [a b]", got)
	}
	p := m.Probs([]float32{0.9, 0.1, 0, 0})
	if p[1] < 0.9 || math.Abs(p[0]+p[1]-1) > 1e-9 {
		t.Errorf("Probs near b = %v, want b > 0.9 and a sum of 1", p)
	}
	if _, err := TrainDense(t.Context(), vecs[:3], labels, Options{}); err == nil {
		t.Error("mismatched lengths: no error")
	}
	if _, err := TrainDense(t.Context(), [][]float32{{1}, {1, 2}}, []string{"a", "b"}, Options{}); err == nil {
		t.Error("ragged vectors: no error")
	}
	if _, err := TrainDense(t.Context(), vecs[:2], []string{"a", "a"}, Options{}); err == nil {
		t.Error("one label: no error")
	}
}

func TestBlend(t *testing.T) {
	labels := []string{"x", "y", "z"}
	lex := []float64{0.5, 0.3, 0.2}
	enc := []float64{0.1, 0.8, 0.1}
	if got := Blend(labels, lex, enc, 0); got[0].Label != "x" || math.Abs(got[0].Prob-0.5) > 1e-9 {
		t.Errorf("w=0: %v, want the lexical probabilities", got)
	}
	if got := Blend(labels, lex, enc, 1); got[0].Label != "y" || math.Abs(got[0].Prob-0.8) > 1e-9 {
		t.Errorf("w=1: %v, want the encoder probabilities", got)
	}
	got := Blend(labels, lex, enc, 0.5)
	// sqrt(.5*.1)=.224, sqrt(.3*.8)=.490, sqrt(.2*.1)=.141 → y first.
	var sum float64
	for _, p := range got {
		sum += p.Prob
	}
	if got[0].Label != "y" || math.Abs(sum-1) > 1e-9 || math.Abs(got[0].Prob-0.4898/0.8555) > 1e-3 {
		t.Errorf("w=0.5: %v (sum %v)", got, sum)
	}
	if got := Blend(labels, lex[:2], enc, 0.5); len(got) != 2 {
		t.Errorf("short input: %d predictions, want 2", len(got))
	}
}
