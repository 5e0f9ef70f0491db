package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/intents/nlu"
)

func TestScore(t *testing.T) {
	items := []scored{
		{"a", "a", 0.9}, // right
		{"a", "b", 0.8}, // wrong label
		{"b", "b", 0.3}, // right, rejected at t=0.5
		{OOS, "a", 0.2}, // OOS, caught at t=0.5
		{OOS, "b", 0.7}, // OOS, missed
	}
	tests := []struct {
		t    float64
		want Scores
	}{
		// a: tp 1, fp 1 (an OOS item), fn 1; b: tp 1, fp 2 (an a item, an OOS item), fn 0.
		{0, Scores{InScopeAccuracy: 100 * 2.0 / 3, MacroF1: 100 * (2.0/(2+1+1) + 2.0/(2+2+0)) / 2, Accuracy: 40, OOSRecall: 0, OOSPrecision: 0}},
		// a: tp 1, fn 1; b: tp 0, fp 2, fn 1 (rejected); OOS: 1 of 2 caught, 1 of 2 OOS answers right.
		{0.5, Scores{InScopeAccuracy: 100 * 1.0 / 3, MacroF1: 100 * (2.0/(2+0+1) + 0) / 2, Accuracy: 40, OOSRecall: 50, OOSPrecision: 50}},
		// Everything rejected: only the two OOS items are right.
		{1, Scores{InScopeAccuracy: 0, MacroF1: 0, Accuracy: 40, OOSRecall: 100, OOSPrecision: 40}},
	}
	for _, tt := range tests {
		got := score(items, tt.t)
		if !near(got.InScopeAccuracy, tt.want.InScopeAccuracy) || !near(got.MacroF1, tt.want.MacroF1) || !near(got.Accuracy, tt.want.Accuracy) ||
			!near(got.OOSRecall, tt.want.OOSRecall) || !near(got.OOSPrecision, tt.want.OOSPrecision) {
			t.Errorf("score(t=%v) = %+v, want %+v", tt.t, got, tt.want)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestPickThreshold(t *testing.T) {
	// In-scope items are confident, OOS items are not, except one.
	items := []scored{
		{"a", "a", 0.95}, {"a", "a", 0.9}, {"b", "b", 0.85}, {"b", "a", 0.4},
		{"b", "b", 0.35}, {OOS, "a", 0.3}, {OOS, "b", 0.2}, {OOS, "a", 0.88},
	}
	tests := []struct {
		name string
		obj  func(int, int, int, int) float64
		want float64
	}{
		// Best overall accuracy: reject the two OOS below 0.35 (0.3 and 0.2):
		// cut between 0.3 and 0.35.
		{"larson", larsonObjective, 0.325},
		// Mean of accuracy and recall: same cut (4/5 acc, 2/3 recall) beats
		// rejecting up to 0.4 too (3/5, 2/3).
		{"mean", meanObjective, 0.325},
	}
	for _, tt := range tests {
		if got := pickThreshold(items, tt.obj); !near(got, tt.want) {
			t.Errorf("%s: threshold %v, want %v", tt.name, got, tt.want)
		}
	}
	// With no OOS items nothing is gained by rejecting.
	if got := pickThreshold(items[:5], larsonObjective); got != 0 {
		t.Errorf("no OOS: threshold %v, want 0", got)
	}
}

func TestScoreMulti(t *testing.T) {
	p := func(pairs ...any) []nlu.Prediction {
		var out []nlu.Prediction
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, nlu.Prediction{Label: pairs[i].(string), Prob: pairs[i+1].(float64)})
		}
		return out
	}
	items := []multiScored{
		{gold: []string{"x", "y"}, preds: p("y", 0.5, "x", 0.4, "z", 0.1)},
		{gold: []string{"x"}, preds: p("z", 0.6, "x", 0.3, "y", 0.1)},
		{gold: nil, preds: p("x", 1.0)},
	}
	got := scoreMulti(items, 0.35)
	// Reported sets: {y, x} and {z}: tp 2, predicted 3, gold 3.
	want := MultiScores{PAt1: 50, Threshold: 0.35, Precision: 100 * 2.0 / 3, Recall: 100 * 2.0 / 3, F1: 100 * 2.0 / 3, ExactMatch: 50, Skipped: 1}
	if !near(got.PAt1, want.PAt1) || !near(got.Precision, want.Precision) || !near(got.Recall, want.Recall) ||
		!near(got.F1, want.F1) || !near(got.ExactMatch, want.ExactMatch) || got.Skipped != want.Skipped {
		t.Errorf("scoreMulti = %+v, want %+v", got, want)
	}
	if th := pickMultiThreshold(items); th > 0.3 || th < 0.11 {
		// Any threshold in (0.1, 0.3] reports x for the second item: best F1.
		t.Errorf("pickMultiThreshold = %v, want in (0.1, 0.3]", th)
	}
}

func TestRunTestdata(t *testing.T) {
	tests := []struct {
		path      string
		wantTable []string
		wantRule  string
		wantRules []string // names, in order
		valSet    string
	}{
		{"testdata/clinc_tiny.json", []string{"in-scope acc", "acc (5)", "on val", "* larson: threshold with the best accuracy"},
			RuleLarson, []string{RuleLarson, RuleMean, RuleCalibrate, RuleNone}, "val"},
		// No val: larson and mean pick on a fifth of train held out.
		{"testdata/csvoos", []string{"on held-out train", "picked on held-out train"},
			RuleLarson, []string{RuleLarson, RuleMean, RuleCalibrate, RuleNone}, "held-out train"},
		// No val and no OOS in train: calibrate is reported instead.
		{"testdata/csvset", []string{"note      no out-of-scope item in val or train", "* calibrate"},
			RuleCalibrate, []string{RuleCalibrate, RuleNone}, ""},
		{"testdata/turns", []string{"P@1", "unlabelled turns skipped", "peak heap"}, "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			var table bytes.Buffer
			if err := Run(context.Background(), Options{Data: tt.path}, &table); err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.wantTable {
				if !strings.Contains(table.String(), s) {
					t.Errorf("table lacks %q:\n%s", s, table.String())
				}
			}
			var js bytes.Buffer
			if err := Run(context.Background(), Options{Data: tt.path, JSON: true}, &js); err != nil {
				t.Fatal(err)
			}
			var r Result
			if err := json.Unmarshal(js.Bytes(), &r); err != nil {
				t.Fatalf("JSON output: %v\n%s", err, js.String())
			}
			if r.Train == 0 || r.Test == 0 || r.Labels < 2 || r.TrainSeconds <= 0 || r.ClassifyP50Micros <= 0 ||
				r.ModelBytes <= 0 || r.PeakHeapBytes < uint64(r.ModelBytes) {
				t.Errorf("implausible result %+v", r)
			}
			if r.Rule != tt.wantRule || !slices.Equal(ruleNames(r.Rules), tt.wantRules) || r.ValSet != tt.valSet {
				t.Errorf("rule %q, rules %q, val set %q; want %q, %q, %q", r.Rule, ruleNames(r.Rules), r.ValSet, tt.wantRule, tt.wantRules, tt.valSet)
			}
		})
	}
}

func ruleNames(rules []Rule) []string {
	var names []string
	for _, r := range rules {
		names = append(names, r.Name)
	}
	return names
}

func findRule(t *testing.T, r *Result, name string) Rule {
	t.Helper()
	for _, rule := range r.Rules {
		if rule.Name == name {
			return rule
		}
	}
	t.Fatalf("no rule %q in %q", name, ruleNames(r.Rules))
	return Rule{}
}

func TestThresholdOption(t *testing.T) {
	tests := []struct {
		threshold string
		wantRules []string
		wantNote  string
		wantErr   string
	}{
		{"mean", []string{RuleMean, RuleLarson, RuleNone}, "", ""},
		{" larson ", []string{RuleLarson, RuleMean, RuleNone}, "", ""},
		{"calibrate", []string{RuleCalibrate, RuleLarson, RuleMean, RuleNone}, "", ""},
		{"0.5", []string{RuleFixed, RuleLarson, RuleMean, RuleNone}, "", ""},
		{"1.5", nil, "", `threshold "1.5": want larson, mean, calibrate or a probability in [0, 1]`},
		{"best", nil, "", `threshold "best"`},
	}
	for _, tt := range tests {
		t.Run(tt.threshold, func(t *testing.T) {
			r, err := Evaluate(context.Background(), Options{Data: "testdata/clinc_tiny.json", Threshold: tt.threshold, NoCalibrate: true})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ruleNames(r.Rules); !slices.Equal(got, tt.wantRules) || r.Rule != tt.wantRules[0] {
				t.Errorf("rule %q, rules %q; want %q", r.Rule, got, tt.wantRules)
			}
			if r.Note != tt.wantNote {
				t.Errorf("note %q, want %q", r.Note, tt.wantNote)
			}
			if tt.threshold == "0.5" {
				if fixed := findRule(t, r, RuleFixed); fixed.Threshold != 0.5 || fixed.PickedOn != "" || fixed.Val == nil {
					t.Errorf("fixed rule %+v", fixed)
				}
			}
		})
	}
	// A set without out-of-scope test items reports no threshold first,
	// unless a threshold is asked for.
	for _, tt := range []struct{ threshold, want, note string }{
		{"", RuleNone, ""},
		{"mean", RuleNone, "no out-of-scope test item: no threshold"},
		{"0.3", RuleFixed, ""},
	} {
		r, err := Evaluate(context.Background(), Options{Data: "testdata/csvset", HoldOut: 0.3, Threshold: tt.threshold, NoCalibrate: true})
		if err != nil {
			t.Fatal(err)
		}
		if r.OOSTest != 0 || r.Rule != tt.want || r.Note != tt.note {
			t.Errorf("threshold %q on a set without OOS: rule %q, note %q (%d OOS); want %q, %q", tt.threshold, r.Rule, r.Note, r.OOSTest, tt.want, tt.note)
		}
	}
}

func TestRunProgress(t *testing.T) {
	for _, tty := range []bool{false, true} {
		var bar, table bytes.Buffer
		err := Run(context.Background(), Options{Data: "testdata/clinc_tiny.json", Progress: &bar, ProgressTTY: tty}, &table)
		if err != nil {
			t.Fatal(err)
		}
		if !tty {
			if bar.Len() != 0 {
				t.Errorf("progress drawn on a writer that is not a terminal: %q", bar.String())
			}
			continue
		}
		out := bar.String()
		for _, phase := range []string{"training", "scoring test", "scoring val", "calibrating", "100%"} {
			if !strings.Contains(out, phase) {
				t.Errorf("progress output lacks %q: %q", phase, out)
			}
		}
		// The last thing drawn erases the bar.
		if last := out[strings.LastIndex(out[:len(out)-1], "\r"):]; strings.TrimSpace(last) != "" {
			t.Errorf("progress output ends with %q, want the line erased", last)
		}
		if strings.Contains(table.String(), "\r") {
			t.Error("progress reached the report")
		}
	}
}

func TestSplitItems(t *testing.T) {
	var items []Item
	for g := range 20 {
		for turn := range 3 {
			items = append(items, Item{Text: fmt.Sprintf("%d/%d", g, turn), Group: fmt.Sprint(g)})
		}
	}
	for i := range 10 {
		items = append(items, Item{Text: fmt.Sprint("single ", i)})
	}
	rest, held := splitItems(items, 0.2, 1, 7)
	if len(rest)+len(held) != len(items) {
		t.Fatalf("%d + %d items, want %d", len(rest), len(held), len(items))
	}
	// 30 units (20 dialogues, 10 single items): 6 held out.
	units := map[string]bool{}
	for _, it := range held {
		u := it.Group
		if u == "" {
			u = it.Text
		}
		units[u] = true
	}
	if len(units) != 6 {
		t.Errorf("%d units held out, want 6", len(units))
	}
	for _, it := range rest {
		if it.Group != "" && units[it.Group] {
			t.Errorf("dialogue %s is on both sides", it.Group)
		}
	}
	rest2, held2 := splitItems(items, 0.2, 1, 7)
	if !itemsEqual(rest, rest2) || !itemsEqual(held, held2) {
		t.Error("same seed, different split")
	}
}

func TestHeapPeak(t *testing.T) {
	h := startHeapPeak(time.Millisecond)
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	time.Sleep(5 * time.Millisecond)
	peak := h.stop()
	runtime.KeepAlive(buf)
	if peak < uint64(len(buf)) {
		t.Errorf("peak heap %d bytes with a live %d-byte buffer", peak, len(buf))
	}
}

func TestRunMissingData(t *testing.T) {
	err := Run(context.Background(), Options{Data: "testdata/nope"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("error %v, want one naming the path", err)
	}
}

// sharedData returns the folder of the shared evaluation data, or skips.
func sharedData(tb testing.TB, name string) string {
	tb.Helper()
	dir := os.Getenv("SWITCHBOARD_EVAL_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "data")
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("evaluation data %s not available: %v", p, err)
	}
	return p
}

// TestCLINC150Small trains on CLINC150's small variant (50 examples per
// intent) and checks the val scores (never test) against floors a few
// points under what it measures, so that a regression is caught without
// pinning exact figures. It runs in about 7 s on 2 cores.
func TestCLINC150Small(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on 7500 examples; skipped with -short")
	}
	path := sharedData(t, filepath.Join("clinc150", "data_small.json"))
	r, err := Evaluate(context.Background(), Options{Data: path, NoCalibrate: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.ValSet != "val" || r.Rule != RuleLarson {
		t.Fatalf("val set %q, rule %q; want val and larson", r.ValSet, r.Rule)
	}
	none, larson := findRule(t, r, RuleNone).Val, findRule(t, r, RuleLarson).Val
	t.Logf("val: in-scope accuracy %.2f%%; larson threshold %.3f: %.2f%% in scope, %.2f%% OOS recall, %.2f%% with OOS as a class",
		none.InScopeAccuracy, r.Rules[0].Threshold, larson.InScopeAccuracy, larson.OOSRecall, larson.Accuracy)
	if none.InScopeAccuracy < 87 {
		t.Errorf("val in-scope accuracy %.2f%% < 87%%", none.InScopeAccuracy)
	}
	if larson.Accuracy < 86 || larson.OOSRecall < 40 {
		t.Errorf("val with the larson threshold: %.2f%% with OOS as a class, %.2f%% OOS recall; want >= 86 and >= 40", larson.Accuracy, larson.OOSRecall)
	}
	if r.ModelBytes > 50<<20 {
		t.Errorf("model of %d bytes, want < 50 MiB", r.ModelBytes)
	}
}

func BenchmarkTrainCLINC150(b *testing.B) {
	d, err := Load(sharedData(b, filepath.Join("clinc150", "data_full.json")))
	if err != nil {
		b.Fatal(err)
	}
	ex := trainingExamples(d.Train)
	for b.Loop() {
		if _, err := nlu.Train(context.Background(), ex, nlu.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
