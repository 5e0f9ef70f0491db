package eval

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		path                   string
		format                 string
		multi                  bool
		train, val, test, oosT int
	}{
		{"testdata/clinc_tiny.json", "clinc150", false, 16, 6, 6, 2},
		{"testdata/csvset", "csv", false, 21, 0, 5, 1},
		{"testdata/turns", "crosswoz", true, 11, 0, 4, 0},
		{"testdata/turns/user_turns_test.jsonl", "crosswoz", true, 11, 0, 4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			d, err := Load(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if d.Format != tt.format || d.MultiLabel != tt.multi {
				t.Errorf("format %q multi %v, want %q %v", d.Format, d.MultiLabel, tt.format, tt.multi)
			}
			if len(d.Train) != tt.train || len(d.Val) != tt.val || len(d.Test) != tt.test {
				t.Errorf("sizes %d/%d/%d, want %d/%d/%d", len(d.Train), len(d.Val), len(d.Test), tt.train, tt.val, tt.test)
			}
			oos := 0
			for _, it := range d.Test {
				if slices.Contains(it.Labels, OOS) {
					oos++
				}
			}
			if oos != tt.oosT {
				t.Errorf("%d OOS test items, want %d", oos, tt.oosT)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("c1/test.csv", "text,label\na,b\n")
	write("c2/train.csv", "text,label\na,b\n")
	write("c2/test.csv", "text,label\na,\n")
	tests := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.json"), "no such file"},
		{"unknown extension", write("x.txt", "hi"), "want a CLINC150"},
		{"folder without data", filepath.Join(dir, "c0"), "no such file"},
		{"bad json", write("bad.json", `{"train": [["a"]]}`), `train[0]: want [text, label], got 1 strings`},
		{"no test", write("notest.json", `{"train": [["a", "x"]]}`), `non-empty "train" and "test"`},
		{"csv header", filepath.Dir(write("c1/train.csv", "sentence,label\na,b\n")), "c1/train.csv: header"},
		{"csv empty label", filepath.Join(dir, "c2"), "c2/test.csv: line 2: empty label"},
		{"empty folder", filepath.Dir(write("c3/readme", "")), "no train.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load(%s) error %v, want it to contain %q", tt.path, err, tt.want)
			}
		})
	}
}

func TestParseCSV(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Item
		wantErr string
	}{
		{"banking header", "text,category\nI am still waiting on my card?,card_arrival\n",
			[]Item{{Text: "I am still waiting on my card?", Labels: []string{"card_arrival"}}}, ""},
		{"label first, quotes, CRLF, BOM", "\ufefflabel,text\r\nx,\"a, \"\"b\"\"\"\r\n",
			[]Item{{Text: `a, "b"`, Labels: []string{"x"}}}, ""},
		{"extra column", "id,text,intent\n1,hello,greet\n", []Item{{Text: "hello", Labels: []string{"greet"}}}, ""},
		{"no rows", "text,label\n", nil, "no rows"},
		{"empty label", "text,label\nhello,\n", nil, "line 2: empty label"},
		{"ragged", "text,label\nhello\n", nil, "wrong number of fields"},
		{"empty", "", nil, "read header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCSV(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !itemsEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseTurns(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Item
		wantErr string
	}{
		{"crosswoz line", `{"dialog_id": "7", "turn": 0, "text": "你好", "acts": [["General", "greet", "none", "none"]], "labels": ["General+greet"]}`,
			[]Item{{Text: "你好", Labels: []string{"General+greet"}, Group: "7"}}, ""},
		{"sorted, deduplicated, blank lines", "\n{\"text\": \"a\", \"labels\": [\"y\", \"x\", \"y\"]}\n\n{\"text\": \"b\", \"labels\": []}\n",
			[]Item{{Text: "a", Labels: []string{"x", "y"}}, {Text: "b", Labels: []string{}}}, ""},
		{"numeric dialog_id", `{"dialog_id": 12, "text": "b", "labels": ["x"]}`,
			[]Item{{Text: "b", Labels: []string{"x"}, Group: "12"}}, ""},
		{"no text", `{"labels": ["x"]}`, nil, `line 1: no "text"`},
		{"bad json", "{\"text\": \"a\"}\n{oops", nil, "line 2"},
		{"empty label", `{"text": "a", "labels": [""]}`, nil, "line 1: empty label"},
		{"empty", "", nil, "no turns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTurns(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !itemsEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func itemsEqual(a, b []Item) bool {
	return slices.EqualFunc(a, b, func(x, y Item) bool {
		return x.Text == y.Text && slices.Equal(x.Labels, y.Labels) && x.Group == y.Group
	})
}

func FuzzParseCLINC(f *testing.F) {
	f.Add([]byte(`{"train": [["hi", "greet"]], "test": [["yo", "greet"]], "oos_test": [["x", "oos"]]}`))
	f.Add([]byte(`{"train": [["a"]]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseCLINC(bytes.NewReader(b))
		if err != nil {
			return
		}
		if len(d.Train) == 0 || len(d.Test) == 0 {
			t.Fatalf("accepted a set with %d train and %d test items", len(d.Train), len(d.Test))
		}
		for _, it := range slices.Concat(d.Train, d.Val, d.Test) {
			if len(it.Labels) != 1 || strings.TrimSpace(it.Labels[0]) == "" {
				t.Fatalf("item %q has labels %q", it.Text, it.Labels)
			}
		}
	})
}

func FuzzParseCSV(f *testing.F) {
	f.Add("text,category\nI am still waiting on my card?,card_arrival\n")
	f.Add("label,text\r\nx,\"a, \"\"b\"\"\"\r\n")
	f.Add("text,label\n\"unterminated\n")
	f.Fuzz(func(t *testing.T, s string) {
		items, err := ParseCSV(strings.NewReader(s))
		if err != nil {
			return
		}
		if len(items) == 0 {
			t.Fatal("no error and no items")
		}
		for _, it := range items {
			if len(it.Labels) != 1 || strings.TrimSpace(it.Labels[0]) == "" {
				t.Fatalf("item %q has labels %q", it.Text, it.Labels)
			}
		}
	})
}

func FuzzParseTurns(f *testing.F) {
	f.Add(`{"dialog_id": "7", "turn": 0, "text": "你好", "labels": ["General+greet", "Request+酒店"]}` + "\n")
	f.Add("{\"text\": \"a\", \"labels\": [\"y\", \"x\", \"y\"]}\n\n{\"text\": \"b\"}\n")
	f.Add("{oops")
	f.Fuzz(func(t *testing.T, s string) {
		items, err := ParseTurns(strings.NewReader(s))
		if err != nil {
			return
		}
		if len(items) == 0 {
			t.Fatal("no error and no items")
		}
		for _, it := range items {
			if !slices.IsSorted(it.Labels) || len(slices.Compact(slices.Clone(it.Labels))) != len(it.Labels) {
				t.Fatalf("labels %q not sorted and unique", it.Labels)
			}
		}
	})
}
