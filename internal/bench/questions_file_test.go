package bench

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadQuestions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "texts.txt")
	os.WriteFile(path, []byte("how do i reset my pin\n\n  我的订单在哪里  \nwhat's the weather\n"), 0o644)
	qs, err := ReadQuestions(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Question{{"en", "how do i reset my pin"}, {"zh", "我的订单在哪里"}, {"en", "what's the weather"}}
	if len(qs) != len(want) {
		t.Fatalf("got %v, want %v", qs, want)
	}
	for i := range want {
		if qs[i] != want[i] {
			t.Errorf("question %d = %v, want %v", i, qs[i], want[i])
		}
	}
	os.WriteFile(path, []byte("\n \n"), 0o644)
	if _, err := ReadQuestions(path); err == nil {
		t.Error("empty file: no error")
	}
	if _, err := ReadQuestions(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing file: no error")
	}
}
