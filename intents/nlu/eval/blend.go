package eval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/switchboard-gw/switchboard/intents/nlu"
	"github.com/switchboard-gw/switchboard/intents/nlu/encoder"
)

// predictor is what scoring needs of a classifier.
type predictor interface {
	Predict(text string) []nlu.Prediction
}

// blended is the lexical model combined with the sentence encoder's
// classifier as a bot with bot.encoder: on computes it (lexical alone for
// Chinese text).
type blended struct {
	lex    *nlu.Model
	dense  *nlu.DenseModel
	vecs   map[string][]float32
	labels []string
	pos    []int // position in dense's labels of each lexical label, or -1
	weight float64
}

func (b *blended) Predict(text string) []nlu.Prediction {
	lex := b.lex.Probs(text)
	v, ok := b.vecs[text]
	if !ok || HasCJK(text) {
		return nlu.Blend(b.labels, lex, lex, 0)
	}
	pe := b.dense.Probs(v)
	enc := make([]float64, len(lex))
	for c := range lex {
		enc[c] = lex[c]
		if p := b.pos[c]; p >= 0 {
			enc[c] = pe[p]
		}
	}
	return nlu.Blend(b.labels, lex, enc, b.weight)
}

// openStore opens the embedding cache named by path, or the default one in
// the user cache directory when path is empty.
func openStore(path string) (*encoder.Store, string, error) {
	enc, err := encoder.Default()
	if err != nil {
		return nil, "", err
	}
	if path == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		path = filepath.Join(dir, "switchboard", "eval-embeddings-"+enc.ID()+".bin")
	}
	s, err := encoder.OpenStore(enc, path)
	return s, path, err
}

// embedAll returns the embeddings of the English texts of the data set.
func (r *run) embedAll(ctx context.Context) error {
	var texts []string
	for _, set := range [][]Item{r.d.Train, r.d.Val, r.d.Test} {
		for _, it := range set {
			if !HasCJK(it.Text) {
				texts = append(texts, it.Text)
			}
		}
	}
	r.log.Info("eval: embedding", "texts", len(texts))
	vecs, err := r.store.EncodeAll(ctx, texts)
	if err != nil {
		return err
	}
	r.vecs = make(map[string][]float32, len(texts))
	for i, t := range texts {
		r.vecs[t] = vecs[i]
	}
	return nil
}

// withEncoder trains the encoder's classifier on ex and returns it blended
// with m, or m itself when the encoder is off.
func (r *run) withEncoder(ctx context.Context, m *nlu.Model, ex []nlu.Example) (predictor, error) {
	if r.store == nil {
		return m, nil
	}
	var vecs [][]float32
	var labels []string
	for _, e := range ex {
		if v, ok := r.vecs[e.Text]; ok {
			vecs = append(vecs, v)
			labels = append(labels, e.Label)
		}
	}
	dense, err := nlu.TrainDense(ctx, vecs, labels, nlu.Options{Seed: r.opts.Seed})
	if err != nil {
		return nil, fmt.Errorf("eval: train encoder classifier: %w", err)
	}
	b := &blended{lex: m, dense: dense, vecs: r.vecs, labels: m.Labels(), weight: r.opts.Weight}
	if b.weight == 0 {
		b.weight = DefaultBlendWeight
	}
	at := map[string]int{}
	for i, l := range dense.Labels() {
		at[l] = i
	}
	for _, l := range b.labels {
		p, ok := at[l]
		if !ok {
			p = -1
		}
		b.pos = append(b.pos, p)
	}
	return b, nil
}
