// Package nlu is Switchboard's intent classifier. It is trained at start-up
// in seconds from the bot owner's example phrases, needs no model download,
// and handles English and Chinese alike.
//
// # Features
//
// [Tokens] normalises text (NFKC, so full-width forms become half-width;
// Unicode lower case) and splits it into words for alphabetic scripts and
// one token per CJK character. A phrase becomes a sparse vector of sublinear
// TF-IDF weights in two blocks, each L2-normalised: word 1–2-grams, and
// character 2–4-grams inside word boundaries (words padded with a space,
// like scikit-learn's char_wb; a run of adjacent CJK characters counts as
// one word there, which gives Chinese its character n-grams without a
// segmenter). Features never seen in training still count in the norm, so
// a phrase of mostly unknown words gets a short vector and low confidence.
//
// # Classifier
//
// A multinomial logistic regression (full softmax, L2-regularised) is fitted
// by minibatch SGD, parallel over the examples of a batch and then over
// classes. Training is deterministic for a given [Options.Seed], whatever
// [Options.Workers] is; [Options.Progress] reports the steps done. The model
// holds one float32 per feature and label ([Model.SizeBytes]; CLINC150:
// 47k features × 150 labels, 29.5 MB in all; a bot with a few thousand
// phrases: well under 1 MB). At prediction the biases are scaled like the
// features, by the share of the phrase's norm made of known features: text
// of unknown words gets a flat distribution (low confidence) rather than
// the prior of the labels with the most examples.
//
// # Out of scope, several intents, FAQs
//
// [Model.Predict] returns a probability for every label. A message is out
// of scope when the top probability is below a threshold: [Calibrate] picks
// one from the bot's own examples (no out-of-scope examples needed), and
// package eval picks one on a validation split for benchmarks.
// [Model.PredictAbove] returns every label above a threshold, for messages
// that carry several intents.
//
// FAQ entries are trained as labels alongside intents (one label per entry,
// its question variants as examples). An entry usually has a handful of
// variants against an intent's dozens, so the classifier rarely ranks it
// first; [Options.KeepExamples] keeps the vectors of the FAQ labels'
// examples and [Model.Nearest] returns each label's most similar one, by
// cosine over the same features. Scoring an FAQ label as the larger of its
// probability and that cosine lets intents and FAQs compete in one ranking:
// on BANKING77 (15 labels turned into FAQs of 3 variants, a fifth of train
// held out) it raised accuracy from 75.4% to 81.2% and the FAQs' recall
// from 12% to 42%. [Ambiguous] tells when the top two of such a ranking are
// too close to call, so the bot can ask which one was meant.
//
// [DenseModel] is the same regression over fixed vectors, such as the
// sentence embeddings of package nlu/encoder, and [Blend] combines its
// probabilities with a Model's (a weighted geometric mean).
//
// A [Model] is immutable once trained and safe for concurrent use.
package nlu
