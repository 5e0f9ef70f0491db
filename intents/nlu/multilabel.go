package nlu

// PredictAbove returns the labels whose probability is at least threshold,
// highest first, and always at least the top label (so a turn that carries
// two intents can report both while a clear single intent reports one).
// It is safe for concurrent use.
func (m *Model) PredictAbove(text string, threshold float64) []Prediction {
	p := m.Predict(text)
	n := 1
	for n < len(p) && p[n].Prob >= threshold {
		n++
	}
	return p[:n]
}
