package encoder

import (
	"bufio"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// key identifies a text in caches: the first 16 bytes of its SHA-256.
type key [16]byte

func keyOf(text string) key {
	s := sha256.Sum256([]byte(text))
	return key(s[:16])
}

// ID returns a short fingerprint of the model's weights, which names its
// on-disk caches so a new model never reads another's embeddings.
func (e *Encoder) ID() string { return e.id }

// storeMagic starts an embedding store file; the model ID follows.
const storeMagic = "SBEMB2\n"

// recordSize is one stored embedding: key, Dim float32 values and a CRC-32
// (IEEE) of both.
const recordSize = 16 + 4*Dim + 4

// Store keeps embeddings on disk keyed by a hash of the text, so the
// embeddings of a bot's examples (or of an evaluation set) are computed once
// and read back on the next start or reload. It is safe for concurrent use.
//
// The file only grows: records are appended (each batch in one write to a
// file opened for appending, so two processes sharing it do not overwrite
// each other's records) and each carries a checksum; reading stops at the
// first damaged record and drops the rest. Deleting the file is always
// safe: it is rebuilt.
type Store struct {
	enc  *Encoder
	mu   sync.Mutex
	path string
	m    map[key][]float32
	f    *os.File
	// Hits and Misses count lookups since Open.
	hits, misses int
}

// OpenStore opens (creating it and its directory when needed) the store of
// e's embeddings at path. A file written for another model, or corrupt, is
// replaced; a record cut short by a crash is dropped. It returns an error
// when the file cannot be created or read.
func OpenStore(e *Encoder, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("encoder: embedding store: %w", err)
	}
	s := &Store{enc: e, path: path, m: map[key][]float32{}}
	head := storeMagic + e.id
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("encoder: embedding store: %w", err)
	}
	br := bufio.NewReaderSize(f, 1<<16)
	h := make([]byte, len(head))
	valid := int64(0)
	if _, err := io.ReadFull(br, h); err == nil && string(h) == head {
		valid = int64(len(head))
		rec := make([]byte, recordSize)
		for {
			if _, err := io.ReadFull(br, rec); err != nil {
				break
			}
			if crc32.ChecksumIEEE(rec[:recordSize-4]) != binary.LittleEndian.Uint32(rec[recordSize-4:]) {
				break
			}
			var k key
			copy(k[:], rec)
			v := make([]float32, Dim)
			for i := range v {
				v[i] = math.Float32frombits(binary.LittleEndian.Uint32(rec[16+4*i:]))
			}
			s.m[k] = v
			valid += recordSize
		}
	}
	if valid == 0 {
		// New, foreign or corrupt: start over.
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, fmt.Errorf("encoder: embedding store: %w", err)
		}
		if _, err := f.Write([]byte(head)); err != nil {
			f.Close()
			return nil, fmt.Errorf("encoder: embedding store: %w", err)
		}
	} else if err := f.Truncate(valid); err != nil {
		f.Close()
		return nil, fmt.Errorf("encoder: embedding store: %w", err)
	}
	s.f = f
	return s, nil
}

// Len returns the number of embeddings in the store.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// Stats returns the lookups that found an embedding and those that computed one.
func (s *Store) Stats() (hits, misses int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits, s.misses
}

// EncodeAll returns the embedding of each text: stored ones from the store,
// the others computed in batches on all CPUs and appended to the file. It
// returns an error when writing fails (the embeddings are then still
// returned complete) or ctx is done.
func (s *Store) EncodeAll(ctx context.Context, texts []string) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("encoder: embed: %w", err)
	}
	out := make([][]float32, len(texts))
	var todo []int
	seen := map[key]int{}
	s.mu.Lock()
	for i, t := range texts {
		k := keyOf(t)
		if v, ok := s.m[k]; ok {
			out[i] = v
			s.hits++
			continue
		}
		if _, dup := seen[k]; !dup {
			seen[k] = i
			todo = append(todo, i)
			s.misses++
		}
	}
	s.mu.Unlock()
	const batch = 32
	workers := runtime.GOMAXPROCS(0)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := range next {
				end := min(start+batch, len(todo))
				b := make([]string, 0, end-start)
				for _, i := range todo[start:end] {
					b = append(b, texts[i])
				}
				for j, v := range s.enc.EncodeBatch(b) {
					out[todo[start+j]] = v
				}
			}
		}()
	}
	var err error
feed:
	for start := 0; start < len(todo); start += batch {
		select {
		case next <- start:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("encoder: embed: %w", err)
	}
	// Duplicates of a computed text share its embedding.
	for i, t := range texts {
		if out[i] == nil {
			out[i] = out[seen[keyOf(t)]]
		}
	}
	return out, s.append(texts, todo, out)
}

func (s *Store) append(texts []string, todo []int, out [][]float32) error {
	if len(todo) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return errors.New("encoder: embedding store closed")
	}
	var buf []byte
	rec := make([]byte, recordSize)
	for _, i := range todo {
		k := keyOf(texts[i])
		if _, ok := s.m[k]; ok {
			continue
		}
		s.m[k] = out[i]
		copy(rec, k[:])
		for j, v := range out[i] {
			binary.LittleEndian.PutUint32(rec[16+4*j:], math.Float32bits(v))
		}
		binary.LittleEndian.PutUint32(rec[recordSize-4:], crc32.ChecksumIEEE(rec[:recordSize-4]))
		buf = append(buf, rec...)
	}
	if _, err := s.f.Write(buf); err != nil {
		return fmt.Errorf("encoder: embedding store %s: %w", s.path, err)
	}
	return nil
}

// Close closes the file. The store must not be used afterwards.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return errors.New("encoder: embedding store already closed")
	}
	err := s.f.Close()
	s.f = nil
	return err
}

// LRU remembers the embeddings of the most recent texts. It is safe for
// concurrent use.
type LRU struct {
	mu    sync.Mutex
	cap   int
	ll    *list.List
	items map[key]*list.Element
}

type lruEntry struct {
	k key
	v []float32
}

// NewLRU returns a cache of at most size embeddings (2 KB each); size < 1
// means 1.
func NewLRU(size int) *LRU {
	return &LRU{cap: max(size, 1), ll: list.New(), items: map[key]*list.Element{}}
}

// Get returns the embedding of text and whether it was cached.
func (c *LRU) Get(text string) ([]float32, bool) {
	k := keyOf(text)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*lruEntry).v, true
	}
	return nil, false
}

// Put stores the embedding of text, evicting the least recently used one
// when full.
func (c *LRU) Put(text string, v []float32) {
	k := keyOf(text)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		el.Value.(*lruEntry).v = v
		c.ll.MoveToFront(el)
		return
	}
	c.items[k] = c.ll.PushFront(&lruEntry{k, v})
	if c.ll.Len() > c.cap {
		el := c.ll.Back()
		c.ll.Remove(el)
		delete(c.items, el.Value.(*lruEntry).k)
	}
}
