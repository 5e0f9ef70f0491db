package encoder

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"sort"
	"testing"
	"time"
)

type golden struct {
	Model     string `json:"model"`
	Sentences []struct {
		Text      string    `json:"text"`
		IDs       []int32   `json:"ids"`
		Embedding []float64 `json:"embedding"`
	} `json:"sentences"`
}

func loadGolden(t testing.TB) *golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Sentences) < 150 {
		t.Fatalf("golden.json has %d sentences, want about 200", len(g.Sentences))
	}
	return &g
}

func cosine(a []float32, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * b[i]
		aa += float64(a[i]) * float64(a[i])
		bb += b[i] * b[i]
	}
	return ab / math.Sqrt(aa*bb)
}

func defaultEncoder(t testing.TB) *Encoder {
	t.Helper()
	e, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestTokensMatchReference checks the tokenizer against the ids the
// TensorFlow.js tokenizer produced, piece for piece.
func TestTokensMatchReference(t *testing.T) {
	e := defaultEncoder(t)
	g := loadGolden(t)
	for _, s := range g.Sentences {
		if got := e.Tokens(s.Text); !slices.Equal(got, s.IDs) {
			t.Errorf("Tokens(%q):\n got %v\nwant %v", s.Text, got, s.IDs)
		}
	}
}

// TestGoldenEmbeddings checks every embedding against the reference computed
// by TensorFlow.js on the original float32 weights (testdata/golden.js).
func TestGoldenEmbeddings(t *testing.T) {
	e := defaultEncoder(t)
	g := loadGolden(t)
	texts := make([]string, len(g.Sentences))
	for i, s := range g.Sentences {
		texts[i] = s.Text
	}
	// One at a time and in a batch: both must match.
	batch := e.EncodeBatch(texts)
	worst, sum := 1.0, 0.0
	for i, s := range g.Sentences {
		one := e.Encode(s.Text)
		c := cosine(one, s.Embedding)
		cb := cosine(batch[i], s.Embedding)
		sum += c
		worst = min(worst, c, cb)
		if c < 0.999 || cb < 0.999 {
			t.Errorf("%q: cosine to the reference %.5f alone, %.5f in a batch; want >= 0.999", s.Text, c, cb)
		}
		var norm float64
		for _, v := range one {
			norm += float64(v) * float64(v)
		}
		if math.Abs(norm-1) > 1e-4 {
			t.Errorf("%q: squared norm %v, want 1", s.Text, norm)
		}
	}
	t.Logf("%d sentences: mean cosine %.6f, worst %.6f (%s)", len(g.Sentences), sum/float64(len(g.Sentences)), worst, g.Model)
}

// TestSimilarity checks that the embeddings carry meaning: a paraphrase is
// nearer than an unrelated sentence.
func TestSimilarity(t *testing.T) {
	e := defaultEncoder(t)
	v := e.EncodeBatch([]string{"how long until I get my money back", "when will my refund arrive", "what are your opening hours"})
	d := func(a, b []float32) float64 {
		var s float64
		for i := range a {
			s += float64(a[i]) * float64(b[i])
		}
		return s
	}
	if near, far := d(v[0], v[1]), d(v[0], v[2]); near <= far {
		t.Errorf("refund paraphrase similarity %.3f <= unrelated %.3f", near, far)
	}
}

func TestEmptyAndLong(t *testing.T) {
	e := defaultEncoder(t)
	for _, s := range []string{"", " ", "\u200b"} {
		v := e.Encode(s)
		if len(v) != Dim {
			t.Fatalf("Encode(%q) has %d values", s, len(v))
		}
		for _, x := range v {
			if math.IsNaN(float64(x)) {
				t.Fatalf("Encode(%q) has NaN", s)
			}
		}
	}
	long := ""
	for range 300 {
		long += "word "
	}
	if n := len(e.Tokens(long)); n <= maxPieces {
		t.Fatalf("test text has only %d pieces", n)
	}
	a, b := e.Encode(long), e.Encode(long+" and more words at the end")
	if !slices.Equal(a, b) {
		t.Error("pieces after the 128th changed the embedding")
	}
}

func TestLoadRejectsCorruptFiles(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("SBUSE1\n"), modelFile[:len(modelFile)/2], append(slices.Clone(modelFile), 0)} {
		if _, err := Load(data); err == nil {
			t.Errorf("Load of %d bytes: no error", len(data))
		}
	}
}

// TestEncodeLatency reports single-sentence latency on the golden sentences
// (p50/p99); it asserts only that encoding finishes.
func TestEncodeLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	e := defaultEncoder(t)
	g := loadGolden(t)
	// CPU time of the process per sentence (run with GOMAXPROCS=1 for
	// single-threaded figures): on a shared machine wall time also counts
	// waiting for a CPU.
	var wall, cpu []time.Duration
	for _, s := range g.Sentences {
		st, c := time.Now(), processCPU()
		e.Encode(s.Text)
		wall = append(wall, time.Since(st))
		cpu = append(cpu, processCPU()-c)
	}
	q := func(ds []time.Duration, p float64) time.Duration {
		ds = slices.Clone(ds)
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[int(p*float64(len(ds)-1))].Round(10 * time.Microsecond)
	}
	t.Logf("encode over %d sentences: wall p50 %v p99 %v; process CPU p50 %v p99 %v",
		len(wall), q(wall, 0.5), q(wall, 0.99), q(cpu, 0.5), q(cpu, 0.99))
}

func BenchmarkEncode(b *testing.B) {
	e := defaultEncoder(b)
	texts := []string{"how long until I get my money back", "I ordered a card but it has not arrived. Help please!", "what's the spanish word for pasta"}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		e.Encode(texts[i%len(texts)])
	}
}

func BenchmarkEncodeBatch32(b *testing.B) {
	e := defaultEncoder(b)
	texts := make([]string, 32)
	base := []string{"how long until I get my money back", "I ordered a card but it has not arrived. Help please!", "what's the spanish word for pasta"}
	for i := range texts {
		texts[i] = base[i%3]
	}
	for b.Loop() {
		e.EncodeBatch(texts)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*32)/1e6, "ms/sentence")
}
