package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
		{0, Scores{InScopeAccuracy: 100 * 2.0 / 3, MacroF1: 100 * (2.0/(2+1+1) + 2.0/(2+2+0)) / 2, OOSRecall: 0, OOSPrecision: 0}},
		// a: tp 1, fn 1; b: tp 0, fp 2, fn 1 (rejected); OOS: 1 of 2 caught, 1 of 2 OOS answers right.
		{0.5, Scores{InScopeAccuracy: 100 * 1.0 / 3, MacroF1: 100 * (2.0/(2+0+1) + 0) / 2, OOSRecall: 50, OOSPrecision: 50}},
	}
	for _, tt := range tests {
		got := score(items, tt.t)
		if !near(got.InScopeAccuracy, tt.want.InScopeAccuracy) || !near(got.MacroF1, tt.want.MacroF1) ||
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
	}{
		{"testdata/clinc_tiny.json", []string{"in-scope acc", "larson", "best-mean", "calibrate"}},
		{"testdata/csvset", []string{"in-scope acc", "calibrate"}},
		{"testdata/turns", []string{"P@1", "unlabelled turns skipped"}},
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
			if r.Train == 0 || r.Test == 0 || r.Labels < 2 || r.TrainSeconds <= 0 || r.PredictP50Micros <= 0 {
				t.Errorf("implausible result %+v", r)
			}
			if r.Multi == nil && (len(r.Rules) == 0 || r.Rules[0].Name != "none") {
				t.Errorf("rules %+v", r.Rules)
			}
		})
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
// intent) and checks accuracy against a floor well under what it measures,
// so that a regression is caught without pinning exact figures.
func TestCLINC150Small(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on 7500 examples; skipped with -short")
	}
	path := sharedData(t, filepath.Join("clinc150", "data_small.json"))
	r, err := Evaluate(context.Background(), Options{Data: path, NoCalibrate: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rules) != 3 {
		t.Fatalf("rules %+v, want none, larson, best-mean", r.Rules)
	}
	none, larson := r.Rules[0], r.Rules[1]
	t.Logf("in-scope accuracy %.2f%%, with larson threshold %.3f: %.2f%% / OOS recall %.2f%%",
		none.InScopeAccuracy, larson.Threshold, larson.InScopeAccuracy, larson.OOSRecall)
	if none.InScopeAccuracy < 85 {
		t.Errorf("in-scope accuracy %.2f%% < 85%%", none.InScopeAccuracy)
	}
	if larson.OOSRecall < 30 || larson.InScopeAccuracy < 84 {
		t.Errorf("larson rule: %.2f%% in scope, %.2f%% OOS recall; want >= 84 and >= 30", larson.InScopeAccuracy, larson.OOSRecall)
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
