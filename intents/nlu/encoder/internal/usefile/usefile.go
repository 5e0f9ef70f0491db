// Package usefile reads and writes the compact model file of the sentence
// encoder: named tensors stored as float32, float16 or int8 with one float32
// scale per row, and the SentencePiece vocabulary with its scores.
//
// Layout (little-endian):
//
//	magic "SBUSE1\n"
//	uint32 number of tensors, then per tensor:
//	  uint16 name length, name, uint8 kind (0 float32, 1 float16, 2 int8 rows),
//	  uint8 rank, uint32 per dimension, data
//	  (int8 rows: the last dimension is a row; rows float32 scales, then the int8 values)
//	uint32 number of pieces, then per piece: uint16 length, UTF-8 bytes, float64 score
package usefile

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Kind is how a tensor's values are stored.
type Kind uint8

// The storage kinds.
const (
	Float32 Kind = iota
	Float16
	Int8Rows
)

// ParseKind parses "f32", "f16" or "int8".
func ParseKind(s string) (Kind, error) {
	switch s {
	case "f32":
		return Float32, nil
	case "f16":
		return Float16, nil
	case "int8":
		return Int8Rows, nil
	}
	return 0, fmt.Errorf("usefile: unknown kind %q (want f32, f16 or int8)", s)
}

const magic = "SBUSE1\n"

// Tensor is one named array of float32 values in row-major order.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Piece is one vocabulary entry.
type Piece struct {
	Text string
	// Score is the piece's log probability, kept as float64 because the
	// reference tokenizer adds scores in float64 and breaks ties with >=.
	Score float64
}

// File is the content of a model file.
type File struct {
	Tensors []Tensor
	Pieces  []Piece
}

// Tensor returns the tensor called name, or an error when there is none or
// its shape differs from shape.
func (f *File) Tensor(name string, shape ...int) ([]float32, error) {
	for _, t := range f.Tensors {
		if t.Name != name {
			continue
		}
		if len(t.Shape) != len(shape) {
			return nil, fmt.Errorf("usefile: tensor %s has shape %v, want %v", name, t.Shape, shape)
		}
		for i := range shape {
			if t.Shape[i] != shape[i] {
				return nil, fmt.Errorf("usefile: tensor %s has shape %v, want %v", name, t.Shape, shape)
			}
		}
		return t.Data, nil
	}
	return nil, fmt.Errorf("usefile: no tensor %s", name)
}

// Write writes f to w, storing every tensor of rank 2 or more as kind and
// smaller ones as float32.
func Write(w io.Writer, f *File, kind Kind) error {
	bw := bufio.NewWriter(w)
	le := binary.LittleEndian
	var scratch []byte
	put := func(v any) { scratch, _ = binary.Append(scratch[:0], le, v); bw.Write(scratch) }
	bw.WriteString(magic)
	put(uint32(len(f.Tensors)))
	for _, t := range f.Tensors {
		n := 1
		for _, d := range t.Shape {
			n *= d
		}
		if n != len(t.Data) {
			return fmt.Errorf("usefile: tensor %s: %d values for shape %v", t.Name, len(t.Data), t.Shape)
		}
		k := kind
		if len(t.Shape) < 2 {
			k = Float32
		}
		put(uint16(len(t.Name)))
		bw.WriteString(t.Name)
		put(uint8(k))
		put(uint8(len(t.Shape)))
		for _, d := range t.Shape {
			put(uint32(d))
		}
		switch k {
		case Float32:
			put(t.Data)
		case Float16:
			h := make([]uint16, len(t.Data))
			for i, v := range t.Data {
				h[i] = ToFloat16(v)
			}
			put(h)
		case Int8Rows:
			cols := t.Shape[len(t.Shape)-1]
			rows := n / cols
			scales := make([]float32, rows)
			q := make([]int8, n)
			for r := range rows {
				row := t.Data[r*cols : (r+1)*cols]
				var mx float32
				for _, v := range row {
					mx = max(mx, float32(math.Abs(float64(v))))
				}
				if mx == 0 {
					continue
				}
				s := mx / 127
				scales[r] = s
				for c, v := range row {
					q[r*cols+c] = int8(math.Round(float64(v / s)))
				}
			}
			put(scales)
			put(q)
		default:
			return fmt.Errorf("usefile: unknown kind %d", k)
		}
	}
	put(uint32(len(f.Pieces)))
	for _, p := range f.Pieces {
		put(uint16(len(p.Text)))
		bw.WriteString(p.Text)
		put(p.Score)
	}
	return bw.Flush()
}

// maxElems bounds the size of one tensor read from a file (64M values), so a
// corrupt header cannot make Read allocate without limit.
const maxElems = 1 << 26

// Read parses a model file written by Write. It returns an error when the
// data is truncated, corrupt or not a model file.
func Read(data []byte) (*File, error) {
	r := bytes.NewReader(data)
	le := binary.LittleEndian
	var err error
	get := func(v any) {
		if err == nil {
			err = binary.Read(r, le, v)
		}
	}
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(r, head); err != nil || string(head) != magic {
		return nil, errors.New("usefile: not a sentence encoder model file")
	}
	f := &File{}
	var nt uint32
	get(&nt)
	for i := uint32(0); err == nil && i < nt; i++ {
		var nl uint16
		get(&nl)
		name := make([]byte, nl)
		get(name)
		var k, rank uint8
		get(&k)
		get(&rank)
		shape := make([]int, rank)
		n := 1
		for d := range shape {
			var v uint32
			get(&v)
			shape[d] = int(v)
			n *= int(v)
			if n > maxElems || v == 0 && err == nil {
				return nil, fmt.Errorf("usefile: tensor %q: bad shape", name)
			}
		}
		if err != nil {
			break
		}
		// Check the size against what is left before allocating, so a
		// corrupt header cannot make Read allocate much.
		need := int64(n) * 4
		switch Kind(k) {
		case Float16:
			need = int64(n) * 2
		case Int8Rows:
			need = int64(n)
		}
		if need > int64(r.Len()) {
			return nil, fmt.Errorf("usefile: tensor %q: truncated", name)
		}
		t := Tensor{Name: string(name), Shape: shape, Data: make([]float32, n)}
		switch Kind(k) {
		case Float32:
			get(t.Data)
		case Float16:
			h := make([]uint16, n)
			get(h)
			for j, v := range h {
				t.Data[j] = FromFloat16(v)
			}
		case Int8Rows:
			if rank == 0 {
				return nil, fmt.Errorf("usefile: tensor %q: int8 scalar", name)
			}
			cols := shape[rank-1]
			scales := make([]float32, n/cols)
			q := make([]int8, n)
			get(scales)
			get(q)
			for j, v := range q {
				t.Data[j] = float32(v) * scales[j/cols]
			}
		default:
			return nil, fmt.Errorf("usefile: tensor %q: unknown kind %d", name, k)
		}
		f.Tensors = append(f.Tensors, t)
	}
	var np uint32
	get(&np)
	if err == nil && int64(np) > int64(r.Len())/10 {
		return nil, errors.New("usefile: bad vocabulary size")
	}
	for i := uint32(0); err == nil && i < np; i++ {
		var nl uint16
		get(&nl)
		b := make([]byte, nl)
		get(b)
		var s float64
		get(&s)
		f.Pieces = append(f.Pieces, Piece{Text: string(b), Score: s})
	}
	if err != nil {
		return nil, fmt.Errorf("usefile: truncated or corrupt: %w", err)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("usefile: %d trailing bytes", r.Len())
	}
	return f, nil
}

// ToFloat16 converts v to IEEE 754 half precision, rounding to nearest even.
func ToFloat16(v float32) uint16 {
	b := math.Float32bits(v)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23&0xff) - 127 + 15
	mant := b & 0x7fffff
	switch {
	case b&0x7fffffff == 0:
		return sign
	case exp >= 31:
		if b&0x7fffffff > 0x7f800000 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp <= 0:
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint32(14 - exp)
		half := uint32(1) << (shift - 1)
		r := mant >> shift
		rem := mant & (1<<shift - 1)
		if rem > half || rem == half && r&1 == 1 {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(exp)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || rem == 0x1000 && r&1 == 1 {
		r++ // may carry into the exponent, which is the correct rounding
	}
	return sign | uint16(r)
}

// FromFloat16 converts an IEEE 754 half-precision value to float32.
func FromFloat16(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h >> 10 & 0x1f)
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0:
		v := float32(mant) / 1024 / 16384
		if sign != 0 {
			return -v
		}
		return v
	case exp == 31:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp-15+127)<<23 | mant<<13)
}
