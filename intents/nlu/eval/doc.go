// Package eval measures the nlu classifier on public intent data sets
// (CLINC150, BANKING77-style CSV folders, CrossWOZ user turns) and backs
// `switchboard eval`.
//
// [Evaluate] loads a set ([Load]), trains on its train split and scores its
// test split; [Run] also writes the result as a table or as JSON. Nothing is
// ever chosen on test:
//
//   - Out-of-scope thresholds (single-label sets) are picked on val, or on a
//     fifth of train held out from a second model when there is no val. The
//     rule reported first is [Options.Threshold] (larson by default: the
//     best accuracy with out of scope counted as one more class, as Larson
//     et al. 2019 did); mean, calibrate (nlu.Calibrate on train alone) and
//     no threshold follow for comparison.
//   - The PredictAbove threshold of multi-label sets is picked for the best
//     micro-F1 on a fifth of the training dialogues held out.
//   - [Options.HoldOut] scores a held-out part of train instead of test, for
//     tuning; dialogues ([Item.Group]) are never split.
//
// Besides accuracy, macro-F1, out-of-scope recall and precision (or P@1 and
// micro-F1 for multi-label sets), a [Result] records the training time, the
// classify latency p50/p99, the model's size and the peak Go heap sampled
// during the run. [Options.Progress] draws a progress bar while training and
// scoring when it is a terminal.
//
// [Options.Encoder] "on" blends the sentence encoder's classifier into every
// prediction, as a bot with bot.encoder: on. [FewShot] runs the few-shot
// protocol of the sentence-encoder literature (N training examples per
// intent drawn with each seed, the whole in-scope test split, mean and
// spread over the seeds) for the lexical model, the encoder's classifier,
// their blend and the cascaded blend; its Tune option scores val or unseen
// train items instead. Embeddings are cached on disk keyed by text.
package eval
