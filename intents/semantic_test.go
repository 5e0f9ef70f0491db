package intents

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestEncoderModes(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "embeddings.cache")
	on := sampleUnderstander(t, Options{Encoder: EncoderOn, EmbeddingCache: cache})
	if on.sem == nil {
		t.Fatal("encoder on: not loaded")
	}
	// The calibration at start-up scores generic sentences too: count from here.
	before := on.EncoderStats()
	// A paraphrase with few words in common with the examples.
	r := on.Rank("when will my parcel get here")
	if r.Encoder != "used" {
		t.Fatalf("Encoder = %q, want used", r.Encoder)
	}
	top := r.Candidates[0]
	if top.Encoder < 0 || top.Lexical <= 0 {
		t.Fatalf("top candidate %+v lacks a model's score", top)
	}
	if top.Label != "order_status" {
		t.Errorf("top = %s (%+v), want order_status", top.Label, r.Candidates[:3])
	}
	for i := 1; i < len(r.Candidates); i++ {
		if r.Candidates[i].Score > r.Candidates[i-1].Score {
			t.Fatalf("candidates not sorted at %d", i)
		}
	}
	if r := on.Rank("when will my parcel get here"); r.Encoder != "used (cached)" {
		t.Errorf("second time: Encoder = %q, want used (cached)", r.Encoder)
	}
	if r := on.Rank("我的订单在哪里"); r.Encoder != "Chinese text" || r.Candidates[0].Encoder != -1 {
		t.Errorf("Chinese: Encoder = %q, top %+v; want the lexical model alone", r.Encoder, r.Candidates[0])
	}
	if st := on.EncoderStats(); st.Encoded-before.Encoded != 1 || st.Cached-before.Cached != 1 || st.Skipped-before.Skipped != 1 {
		t.Errorf("EncoderStats = %+v (before the calls %+v), want 1 encoded, 1 cached, 1 skipped", st, before)
	}

	// A second understander reads the examples' embeddings from the cache.
	again := sampleUnderstander(t, Options{Encoder: EncoderAuto, EmbeddingCache: cache})
	if want := "0 computed"; !strings.Contains(again.semReport, want) {
		t.Errorf("report %q lacks %q", again.semReport, want)
	}
	// Auto skips the encoder when the lexical model is confident.
	r = again.Rank("what are your opening hours")
	if r.Encoder != "lexical model confident" || r.Candidates[0].Label != "opening_hours" {
		t.Errorf("auto on a clear message: Encoder %q, top %s", r.Encoder, r.Candidates[0].Label)
	}

	off := sampleUnderstander(t, Options{Encoder: EncoderOff})
	if r := off.Rank("when will my parcel get here"); r.Encoder != "off" || off.sem != nil {
		t.Errorf("off: Encoder = %q", r.Encoder)
	}
	if _, err := New(t.Context(), off.bot, Options{Encoder: "sometimes"}); err == nil {
		t.Error("bad encoder mode: no error")
	}
}

// TestCascadeOnOwnQuestions reports how often bot.encoder: auto skips the
// encoder on the sample bot's own English phrases (what `bench` sends), and
// checks that it skips most of them.
func TestCascadeOnOwnQuestions(t *testing.T) {
	u := sampleUnderstander(t, Options{Encoder: EncoderAuto})
	n := 0
	for _, in := range u.bot.Intents {
		for _, p := range in.Examples["en"] {
			u.Rank(p)
			n++
		}
	}
	for _, f := range u.bot.FAQs {
		for _, q := range f.Questions["en"] {
			u.Rank(q)
			n++
		}
	}
	st := u.EncoderStats()
	share := float64(st.Skipped) / float64(n)
	t.Logf("auto on %d English phrases of the sample bot: %d skipped (%.0f%%), %d encoded, %d cached", n, st.Skipped, 100*share, st.Encoded, st.Cached)
	if share < 0.5 {
		t.Errorf("the cascade skipped only %.0f%% of the bot's own phrases", 100*share)
	}
}
