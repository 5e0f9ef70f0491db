// Package nlu is Switchboard's intent classifier: it is trained at start-up
// in seconds from the bot owner's example phrases, needs no model download,
// and works for English and Chinese alike.
//
// Text is normalised (NFKC, lower case) and split into tokens by [Tokens]:
// words for alphabetic scripts, one token per CJK character. Each phrase
// becomes a sparse vector of sublinear TF-IDF weights over word 1–2-grams
// and character 3–5-grams taken inside word boundaries (words padded with a
// space, like scikit-learn's char_wb); the two blocks are L2-normalised
// separately. A multinomial logistic regression with L2 regularisation is
// fitted by parallel minibatch SGD; training is deterministic for a given
// [Options.Seed], whatever the number of workers.
//
// [Model.Predict] returns a probability for every label. An answer is out of
// scope when the top probability is below a threshold: [Calibrate] picks one
// from the bot's own examples when no out-of-scope examples exist, and the
// eval package picks one on a validation split. [Model.PredictAbove] returns
// every label above a threshold, for messages that carry several intents.
//
// FAQ entries are meant to be trained as labels alongside intents (one label
// per FAQ entry, its question variants as examples), so a single Predict
// call makes intents and FAQs compete on the same probability scale.
package nlu
