package encoder

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestStore(t *testing.T) {
	e := defaultEncoder(t)
	path := filepath.Join(t.TempDir(), "sub", "emb.cache")
	texts := []string{"where is my parcel", "do you sell gift cards", "where is my parcel"}
	s, err := OpenStore(e, path)
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.EncodeAll(t.Context(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if h, m := s.Stats(); h != 0 || m != 2 {
		t.Errorf("first run: %d hits, %d misses; want 0, 2 (one duplicate)", h, m)
	}
	if !slices.Equal(first[0], first[2]) || !slices.Equal(first[1], e.Encode(texts[1])) {
		t.Error("stored embeddings differ from Encode")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A crash mid-record leaves a partial tail, and a damaged record fails
	// its checksum: both are dropped on open.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, recordSize))
	f.Write(make([]byte, 100))
	f.Close()

	s, err = OpenStore(e, path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 2 {
		t.Fatalf("reopened store has %d embeddings, want 2", s.Len())
	}
	again, err := s.EncodeAll(t.Context(), texts[:2])
	if err != nil {
		t.Fatal(err)
	}
	if h, m := s.Stats(); h != 2 || m != 0 {
		t.Errorf("second run: %d hits, %d misses; want 2, 0", h, m)
	}
	if !slices.Equal(again[1], first[1]) {
		t.Error("embedding read back differs")
	}
	s.EncodeAll(t.Context(), []string{"a third text"})
	s.Close()
	if st, _ := os.Stat(path); st.Size() != int64(len(storeMagic)+len(e.ID())+3*recordSize) {
		t.Errorf("file is %d bytes, want the header and 3 records", st.Size())
	}

	// A file of another model is started over.
	os.WriteFile(path, []byte(storeMagic+"somethingelse"), 0o644)
	s, err = OpenStore(e, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Len() != 0 {
		t.Errorf("foreign file: %d embeddings, want 0", s.Len())
	}
}

func TestStoreCanceled(t *testing.T) {
	e := defaultEncoder(t)
	s, err := OpenStore(e, filepath.Join(t.TempDir(), "c"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cctx, stop := context.WithCancel(t.Context())
	stop()
	if _, err := s.EncodeAll(cctx, []string{"a", "b"}); err == nil {
		t.Error("canceled context: no error")
	}
}

func TestLRU(t *testing.T) {
	c := NewLRU(2)
	c.Put("a", []float32{1})
	c.Put("b", []float32{2})
	if _, ok := c.Get("a"); !ok { // a is now the most recent
		t.Fatal("a missing")
	}
	c.Put("c", []float32{3}) // evicts b
	if _, ok := c.Get("b"); ok {
		t.Error("b not evicted")
	}
	if v, ok := c.Get("a"); !ok || v[0] != 1 {
		t.Error("a evicted instead of b")
	}
	if v, ok := c.Get("c"); !ok || v[0] != 3 {
		t.Error("c missing")
	}
}

// TestStoreTwoWriters opens one file twice (as two processes would) and
// appends from both: every record survives.
func TestStoreTwoWriters(t *testing.T) {
	e := defaultEncoder(t)
	path := filepath.Join(t.TempDir(), "shared.cache")
	a, err := OpenStore(e, path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenStore(e, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.EncodeAll(t.Context(), []string{"one", "two"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.EncodeAll(t.Context(), []string{"three"}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b.Close()
	c, err := OpenStore(e, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Len() != 3 {
		t.Errorf("%d embeddings after two writers, want 3", c.Len())
	}
}
