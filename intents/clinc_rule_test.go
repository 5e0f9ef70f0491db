package intents

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/intents/nlu"
	"github.com/switchboard-gw/switchboard/intents/nlu/eval"
)

// TestCLINC150ServeRule measures the serve-time decision rule (calibrated
// threshold, clarification, fallback) on CLINC150 with 10 training
// examples per intent drawn from its train split, as a bot owner would
// write them, and the dataset's out-of-scope queries. It reads
// ../shared/data/clinc150/data_full.json and runs only when
// SWITCHBOARD_RULE_EVAL is set: "val" scores the validation split (for
// choosing the rule's constants), "test" the test split (for the README;
// never for tuning). SWITCHBOARD_RULE_SEEDS lists the sampling seeds
// (default 1,2,3); SWITCHBOARD_RULE_OLD=1 uses the old threshold (the 5th
// percentile of correct held-out probabilities) for comparison. Small
// talk stays on, as a bot owner would leave it.
func TestCLINC150ServeRule(t *testing.T) {
	split := os.Getenv("SWITCHBOARD_RULE_EVAL")
	if split == "" {
		t.Skip("set SWITCHBOARD_RULE_EVAL=val or test to run")
	}
	path := filepath.Join("..", "..", "shared", "data", "clinc150", "data_full.json")
	if _, err := os.Stat(path); err != nil {
		path = filepath.Join("..", "..", "..", "shared", "data", "clinc150", "data_full.json")
	}
	ds, err := eval.Load(path)
	if err != nil {
		t.Skipf("CLINC150 not available: %v", err)
	}
	items := ds.Val
	if split == "test" {
		items = ds.Test
	}
	seeds := []int64{1, 2, 3}
	if s := os.Getenv("SWITCHBOARD_RULE_SEEDS"); s != "" {
		seeds = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, n)
		}
	}
	var sums [6]float64
	for _, seed := range seeds {
		bot := fewShotBot(ds.Train, 10, seed)
		// SWITCHBOARD_RULE_ENCODER=auto|on measures the rule on the blended
		// scores of the sentence encoder and the lexical model.
		opts := Options{Seed: seed, Encoder: os.Getenv("SWITCHBOARD_RULE_ENCODER")}
		if os.Getenv("SWITCHBOARD_RULE_OLD") != "" {
			// The old threshold: the 5th percentile of correct held-out
			// probabilities (nlu.Calibrate), with today's clarification.
			var ex []nlu.Example
			for _, in := range bot.Intents {
				for _, p := range in.Examples["en"] {
					ex = append(ex, nlu.Example{Text: p, Label: in.Name})
				}
			}
			th, _, err := nlu.Calibrate(t.Context(), ex, nlu.Options{Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			opts.ConfidenceThreshold = th
		}
		u, err := New(t.Context(), bot, opts)
		if err != nil {
			t.Fatal(err)
		}
		var inN, inRight, inWrong, inClar, inClarOK, oosN, oosFall, oosClar int
		for _, it := range items {
			v := u.decide(it.Text, "en")
			if it.Labels[0] == eval.OOS {
				oosN++
				switch v.Act {
				case ActFallback:
					oosFall++
				case ActClarify:
					oosClar++
				}
				continue
			}
			inN++
			switch v.Act {
			case ActAnswer:
				if v.Label == it.Labels[0] {
					inRight++
				} else {
					inWrong++
				}
			case ActClarify:
				inClar++
				if v.Label == it.Labels[0] || v.RunnerUp == it.Labels[0] {
					inClarOK++
				}
			}
		}
		pct := func(a, b int) float64 { return 100 * float64(a) / float64(b) }
		t.Logf("seed %d: threshold %.3f (%s)\n  in-scope %d: answered right %.1f%%, wrong %.1f%%, clarified %.1f%% (right one offered %.1f%%), fallback %.1f%%\n  out-of-scope %d: fallback (recall) %.1f%%, clarified %.1f%%, answered %.1f%%",
			seed, u.Threshold(), u.how, inN, pct(inRight, inN), pct(inWrong, inN), pct(inClar, inN), pct(inClarOK, inN),
			pct(inN-inRight-inWrong-inClar, inN), oosN, pct(oosFall, oosN), pct(oosClar, oosN), pct(oosN-oosFall-oosClar, oosN))
		for i, x := range []float64{pct(inRight, inN), pct(inWrong, inN), pct(inClarOK, inN), pct(oosFall, oosN), pct(oosClar, oosN), pct(oosN-oosFall-oosClar, oosN)} {
			sums[i] += x
		}
	}
	n := float64(len(seeds))
	fmt.Printf("CLINC150 %s, 10-shot, seeds %v: in-scope accuracy %.1f%% (wrong %.1f%%, clarified with the right candidate %.1f%%); out-of-scope recall %.1f%% (clarified %.1f%%, answered %.1f%%)\n",
		split, seeds, sums[0]/n, sums[1]/n, sums[2]/n, sums[3]/n, sums[4]/n, sums[5]/n)
}

// fewShotBot makes a bot of the in-scope intents of items with k examples
// each, drawn with seed.
func fewShotBot(items []eval.Item, k int, seed int64) *Bot {
	by := map[string][]string{}
	for _, it := range items {
		if l := it.Labels[0]; l != eval.OOS {
			by[l] = append(by[l], it.Text)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 10))
	bot := &Bot{DefaultLanguage: "en", Fallback: Localized{"en": nil}}
	for _, l := range sortedKeys(by) {
		ex := slices.Clone(by[l])
		rng.Shuffle(len(ex), func(i, j int) { ex[i], ex[j] = ex[j], ex[i] })
		bot.Intents = append(bot.Intents, Intent{Name: l, Examples: map[string][]string{"en": ex[:min(k, len(ex))]}})
	}
	return bot
}
