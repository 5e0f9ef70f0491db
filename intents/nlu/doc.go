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
// [Options.Workers] is. The model holds one float32 per feature and label
// (CLINC150: 47k features × 150 labels ≈ 28 MB; a bot with a few thousand
// phrases: well under 1 MB).
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
// FAQ entries are meant to be trained as labels alongside intents (one
// label per entry, its question variants as examples), so one Predict call
// makes intents and FAQs compete on the same probability scale. A caller
// that wants a clarifying question can compare the top two probabilities of
// the same ranking (e.g. ask when they are within a margin of each other).
//
// A [Model] is immutable once trained and safe for concurrent use.
package nlu
