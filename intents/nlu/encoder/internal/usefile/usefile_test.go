package usefile

import (
	"bytes"
	"math"
	"testing"
)

func sample() *File {
	return &File{
		Tensors: []Tensor{
			{Name: "m", Shape: []int{2, 3}, Data: []float32{1, -2, 3, 0.5, 0, -0.25}},
			{Name: "v", Shape: []int{3}, Data: []float32{1e-6, 2, 3}},
			{Name: "s", Shape: nil, Data: []float32{-1e9}},
		},
		Pieces: []Piece{{"\u2581the", -3.5}, {":", 0}},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, k := range []Kind{Float32, Float16, Int8Rows} {
		var b bytes.Buffer
		if err := Write(&b, sample(), k); err != nil {
			t.Fatal(err)
		}
		f, err := Read(b.Bytes())
		if err != nil {
			t.Fatalf("kind %d: %v", k, err)
		}
		want := sample()
		for i, tt := range want.Tensors {
			got, err := f.Tensor(tt.Name, tt.Shape...)
			if err != nil {
				t.Fatal(err)
			}
			tol := 0.0
			if len(tt.Shape) >= 2 && k != Float32 {
				tol = 0.02 // float16 and int8 only for matrices
			}
			for j, v := range tt.Data {
				if d := math.Abs(float64(got[j] - v)); d > tol*math.Max(1, math.Abs(float64(v))) {
					t.Errorf("kind %d tensor %d value %d: %v, want %v", k, i, j, got[j], v)
				}
			}
		}
		if len(f.Pieces) != 2 || f.Pieces[0] != want.Pieces[0] {
			t.Errorf("pieces %v", f.Pieces)
		}
		if _, err := f.Tensor("m", 3, 2); err == nil {
			t.Error("wrong shape: no error")
		}
	}
}

func TestFloat16(t *testing.T) {
	for _, v := range []float32{0, 1, -1, 0.5, 65504, 1e-7, 3.14159, -2.5e-5} {
		got := FromFloat16(ToFloat16(v))
		if math.Abs(float64(got-v)) > math.Abs(float64(v))*1e-3+6e-8 {
			t.Errorf("%v → %v", v, got)
		}
	}
	if !math.IsInf(float64(FromFloat16(ToFloat16(1e6))), 1) {
		t.Error("1e6 did not overflow to +Inf")
	}
}

// FuzzRead checks that Read returns an error, never panics or allocates
// without bound, on corrupt files.
func FuzzRead(f *testing.F) {
	var b bytes.Buffer
	Write(&b, sample(), Int8Rows)
	f.Add(b.Bytes())
	b.Reset()
	Write(&b, sample(), Float16)
	f.Add(b.Bytes())
	f.Add([]byte(magic + "\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Read(data)
		if err == nil && file == nil {
			t.Fatal("nil file without error")
		}
	})
}
