package eval

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestDrawShots(t *testing.T) {
	var items []Item
	for _, l := range []string{"b", "a", OOS} {
		for i := range 5 {
			items = append(items, Item{Text: l + string(rune('0'+i)), Labels: []string{l}})
		}
	}
	train, rest := drawShots(items, 2, 7)
	if len(train) != 4 || len(rest) != 6 {
		t.Fatalf("drew %d, left %d; want 4 and 6 (out of scope never drawn)", len(train), len(rest))
	}
	again, _ := drawShots(items, 2, 7)
	other, _ := drawShots(items, 2, 8)
	same := func(a, b []Item) bool {
		for i := range a {
			if a[i].Text != b[i].Text {
				return false
			}
		}
		return true
	}
	if !same(train, again) {
		t.Error("same seed, different draw")
	}
	if same(train, other) {
		t.Error("seeds 7 and 8 drew the same items (possible but unlikely)")
	}
	if all, _ := drawShots(items, 0, 1); len(all) != 10 {
		t.Errorf("shots 0 drew %d, want all 10 in-scope items", len(all))
	}
}

func TestFewShot(t *testing.T) {
	var out bytes.Buffer
	res, err := FewShot(t.Context(), FewShotOptions{
		Data:       []string{"testdata/csvset", "testdata/clinc_tiny.json", "testdata/turns"},
		Shots:      3,
		Seeds:      []int64{1, 2},
		Embeddings: filepath.Join(t.TempDir(), "emb.cache"),
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 {
		t.Fatalf("%d results, want 3", len(res))
	}
	csv := res[0]
	if len(csv.Lexical) != 2 || len(csv.Encoder) != 2 || len(csv.Combined) != 2 || csv.Items == 0 || csv.Scored != "test" {
		t.Fatalf("csvset result %+v", csv)
	}
	for _, v := range append(append(csv.Lexical, csv.Encoder...), csv.Combined...) {
		if v < 0 || v > 100 {
			t.Fatalf("accuracy %v out of range", v)
		}
	}
	// The tiny sets are easy for the encoder: paraphrases of a few intents.
	if m, _ := meanSD(csv.Combined); m < 50 {
		t.Errorf("combined accuracy %.1f%% on the easy csv set", m)
	}
	if res[2].Skipped == "" {
		t.Error("the multi-label set was not skipped")
	}
	for _, want := range []string{"csvset", "clinc150/clinc_tiny", "skipped: multi-label", "mean ± sample standard deviation"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}

	off, err := FewShot(t.Context(), FewShotOptions{Data: []string{"testdata/csvset"}, Shots: 3, Encoder: "off", Tune: true}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(off[0].Encoder) != 0 || off[0].Scored == "test" {
		t.Errorf("encoder off / tune: %+v", off[0])
	}
	if _, err := FewShot(t.Context(), FewShotOptions{Data: []string{"testdata/csvset"}, Encoder: "maybe"}, &out); err == nil {
		t.Error("bad --encoder: no error")
	}
}

func TestEvaluateWithEncoder(t *testing.T) {
	emb := filepath.Join(t.TempDir(), "emb.cache")
	off, err := Evaluate(t.Context(), Options{Data: "testdata/clinc_tiny.json", NoCalibrate: true})
	if err != nil {
		t.Fatal(err)
	}
	on, err := Evaluate(t.Context(), Options{Data: "testdata/clinc_tiny.json", NoCalibrate: true, Encoder: "on", Embeddings: emb})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(on.Encoder, "blended") || off.Encoder != "" {
		t.Errorf("Encoder: on %q, off %q", on.Encoder, off.Encoder)
	}
	if len(on.Rules) == 0 || len(on.Rules) != len(off.Rules) {
		t.Fatalf("rules: on %d, off %d", len(on.Rules), len(off.Rules))
	}
	// The blend changes the probabilities, so at least one rule's threshold moves.
	moved := false
	for i := range on.Rules {
		if on.Rules[i].Threshold != off.Rules[i].Threshold || on.Rules[i].InScopeAccuracy != off.Rules[i].InScopeAccuracy {
			moved = true
		}
	}
	if !moved {
		t.Error("encoder on changed no rule's threshold or accuracy")
	}
	if _, err := Evaluate(t.Context(), Options{Data: "testdata/clinc_tiny.json", Encoder: "sometimes"}); err == nil {
		t.Error("bad encoder: no error")
	}
}
