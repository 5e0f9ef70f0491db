package nlu

import (
	"context"
	"math"
	"slices"
	"testing"
)

func TestNearest(t *testing.T) {
	keep := func(l string) bool { return l == "hotel" || l == "card_lost" }
	m, err := Train(context.Background(), toyExamples(), Options{KeepExamples: keep})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		text      string
		k         int
		wantFirst string // label; "" for no neighbour
		wantText  string // text of the first neighbour, when checked
		exact     bool   // the text is a kept example: cosine 1
	}{
		{"kept example", "book a hotel room", 2, "hotel", "book a hotel room", true},
		{"kept example, other case and punctuation", "Book a hotel room!", 2, "hotel", "book a hotel room", true},
		{"paraphrase", "my card got stolen", 2, "card_lost", "my card was stolen", false},
		{"chinese", "我的银行卡丢了", 2, "card_lost", "我的卡丢了", false},
		{"only unkept labels match", "good morning", 2, "", "", false},
		{"unknown words", "zzzz qqqq", 2, "", "", false},
		{"empty", "", 2, "", "", false},
		{"k 0", "book a hotel room", 0, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m.Nearest(tt.text, tt.k)
			if tt.wantFirst == "" {
				// "good morning" shares character n-grams such as " m" with
				// kept examples: a low similarity is fine, a high one is not.
				for _, n := range got {
					if n.Cosine > 0.3 {
						t.Errorf("Nearest(%q) = %+v, want no close neighbour", tt.text, got)
					}
				}
				if tt.k < 1 && got != nil {
					t.Errorf("Nearest(%q, %d) = %+v, want nil", tt.text, tt.k, got)
				}
				return
			}
			if len(got) == 0 || len(got) > tt.k {
				t.Fatalf("Nearest(%q, %d) = %+v", tt.text, tt.k, got)
			}
			if got[0].Label != tt.wantFirst || got[0].Text != tt.wantText {
				t.Errorf("Nearest(%q)[0] = %+v, want %s %q", tt.text, got[0], tt.wantFirst, tt.wantText)
			}
			if tt.exact && math.Abs(got[0].Cosine-1) > 1e-5 {
				t.Errorf("Nearest(%q)[0].Cosine = %v, want 1", tt.text, got[0].Cosine)
			}
			var labels []string
			for i, n := range got {
				if !keep(n.Label) || n.Cosine <= 0 || n.Cosine > 1 || (i > 0 && n.Cosine > got[i-1].Cosine) {
					t.Errorf("Nearest(%q) = %+v: want kept labels, cosines in (0, 1], highest first", tt.text, got)
				}
				labels = append(labels, n.Label)
			}
			slices.Sort(labels)
			if len(slices.Compact(labels)) != len(got) {
				t.Errorf("Nearest(%q) = %+v: a label appears twice", tt.text, got)
			}
		})
	}
	// Unknown words count in the norm, so they lower the similarity.
	known := m.Nearest("book a hotel room", 1)[0].Cosine
	mixed := m.Nearest("book a hotel room xylophone quartz", 1)[0].Cosine
	if !(mixed < known) {
		t.Errorf("unknown words did not lower the cosine: %v (known) vs %v (mixed)", known, mixed)
	}
}

func TestNearestWithoutKeptExamples(t *testing.T) {
	for _, keep := range []func(string) bool{nil, func(string) bool { return false }} {
		m, err := Train(context.Background(), toyExamples(), Options{KeepExamples: keep})
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Nearest("book a hotel room", 3); got != nil {
			t.Errorf("Nearest with no kept example = %+v, want nil", got)
		}
	}
}

func TestSizeBytes(t *testing.T) {
	plain, err := Train(context.Background(), toyExamples(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := Train(context.Background(), toyExamples(), Options{KeepExamples: func(string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	weights := int64(4 * len(plain.w))
	if got := plain.SizeBytes(); got < weights || got > 4*weights {
		t.Errorf("SizeBytes() = %d, want between the weights' %d bytes and 4 times that", got, weights)
	}
	// Each kept example costs at least its text and 8 bytes per feature.
	var extra int64
	for _, e := range toyExamples() {
		x := plain.vocab.vectorize(plain.ext.hashDoc(e.Text))
		extra += int64(len(e.Text) + 8*len(x.idx))
	}
	if got := kept.SizeBytes() - plain.SizeBytes(); got < extra {
		t.Errorf("keeping every example added %d bytes, want at least %d", got, extra)
	}
}

func TestAmbiguous(t *testing.T) {
	p := func(probs ...float64) []Prediction {
		out := make([]Prediction, len(probs))
		for i, x := range probs {
			out[i] = Prediction{Label: string(rune('a' + i)), Prob: x}
		}
		return out
	}
	tests := []struct {
		name              string
		preds             []Prediction
		threshold, margin float64
		want              bool
	}{
		{"close and confident", p(0.45, 0.40, 0.15), 0.3, 0.1, true},
		{"exactly at the margin", p(0.5, 0.25, 0.25), 0.2, 0.25, true},
		{"clear winner", p(0.8, 0.1, 0.1), 0.3, 0.1, false},
		{"second below threshold", p(0.3, 0.25, 0.2), 0.3, 0.1, false},
		{"one label", p(1), 0.3, 0.1, false},
		{"none", nil, 0.3, 0.1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Ambiguous(tt.preds, tt.threshold, tt.margin); got != tt.want {
				t.Errorf("Ambiguous(%v, %v, %v) = %v, want %v", tt.preds, tt.threshold, tt.margin, got, tt.want)
			}
		})
	}
}

func BenchmarkNearest(b *testing.B) {
	m, err := Train(context.Background(), toyExamples(), Options{KeepExamples: func(string) bool { return true }})
	if err != nil {
		b.Fatal(err)
	}
	texts := []string{"hello, I lost my credit card yesterday", "我想订一家酒店", "what's my balance?"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m.Nearest(texts[i%len(texts)], 3)
	}
}
