package eval

import (
	"fmt"
	"io"
)

// ruleDescriptions explain each rule in the table's footer.
var ruleDescriptions = map[string]string{
	RuleLarson:    "threshold with the best accuracy, out of scope counted as one more class",
	RuleMean:      "threshold with the best mean of in-scope accuracy and OOS recall",
	RuleCalibrate: "threshold from nlu.Calibrate (no out-of-scope data)",
	RuleFixed:     "fixed by --threshold",
	RuleNone:      "no threshold: always answer the top label",
}

func writeTable(w io.Writer, r *Result) error {
	ew := &errWriter{w: w}
	ew.printf("dataset   %s (%s): %d labels; train %d, val %d, test %d", r.Dataset, r.Format, r.Labels, r.Train, r.Val, r.Test)
	if r.OOSTest > 0 {
		ew.printf(" (%d out of scope)", r.OOSTest)
	}
	ew.printf("\ntraining  %.2f s\nclassify  p50 %.0f µs, p99 %.0f µs\nmemory    model %s, peak heap %s\n",
		r.TrainSeconds, r.ClassifyP50Micros, r.ClassifyP99Micros, formatBytes(uint64(r.ModelBytes)), formatBytes(r.PeakHeapBytes))
	if r.Multi != nil {
		m := r.Multi
		ew.printf("\nP@1 %.2f%%   labels with p >= %.2f: precision %.2f%%  recall %.2f%%  F1 %.2f%%  exact set %.2f%%  (%d unlabelled turns skipped)\n",
			m.PAt1, m.Threshold, m.Precision, m.Recall, m.F1, m.ExactMatch, m.Skipped)
		return ew.err
	}
	if r.Encoder != "" {
		ew.printf("encoder   %s\n", r.Encoder)
	}
	if r.Note != "" {
		ew.printf("note      %s\n", r.Note)
	}
	all := fmt.Sprintf("acc (%d)", r.Labels+1)
	ew.printf("\n%-11s %6s %13s %10s %9s %11s %10s", "rule", "p <", "in-scope acc", all, "macro-F1", "OOS recall", "OOS prec")
	if r.ValSet != "" {
		ew.printf("   on %s: in-scope acc / OOS recall", r.ValSet)
	}
	ew.printf("\n")
	dash := func(v float64) string {
		if r.OOSTest == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f%%", v)
	}
	for i, rule := range r.Rules {
		name := rule.Name
		if i == 0 {
			name += " *"
		}
		ew.printf("%-11s %6.3f %12.2f%% %10s %8.2f%% %11s %10s", name, rule.Threshold, rule.InScopeAccuracy,
			dash(rule.Accuracy), rule.MacroF1, dash(rule.OOSRecall), dash(rule.OOSPrecision))
		if rule.Val != nil {
			ew.printf("   %6.2f%% / %.2f%%", rule.Val.InScopeAccuracy, rule.Val.OOSRecall)
		}
		ew.printf("\n")
	}
	ew.printf("\n* %s: %s", r.Rules[0].Name, ruleDescriptions[r.Rules[0].Name])
	if p := r.Rules[0].PickedOn; p != "" {
		ew.printf(", picked on %s", p)
	}
	ew.printf("\n")
	return ew.err
}

// formatBytes writes n in kB or MB (powers of 10).
func formatBytes(n uint64) string {
	if n < 1e6 {
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
