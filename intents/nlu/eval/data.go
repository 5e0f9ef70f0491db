package eval

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// OOS is the label of out-of-scope examples in every format read here.
const OOS = "oos"

// Item is one evaluation example. Single-label sets carry exactly one label
// (possibly OOS); multi-label sets carry zero or more.
type Item struct {
	Text   string
	Labels []string
	// Group is the dialogue the item comes from (CrossWOZ's dialog_id), or
	// empty. Held-out splits of the training items keep a group together, so
	// that turns of one dialogue are never on both sides.
	Group string
}

// Dataset is an evaluation set split into train, optional val and test.
type Dataset struct {
	Name       string
	Format     string // "clinc150", "csv" or "crosswoz"
	MultiLabel bool
	Train      []Item
	Val        []Item // may be empty
	Test       []Item
}

// maxLine bounds one JSON line of a .jsonl file.
const maxLine = 1 << 20

// Load reads the evaluation set at path:
//
//   - a CLINC150 JSON file (or a folder holding data_full.json): keys train,
//     val, test, oos_train, oos_val, oos_test, each a list of [text, label];
//     oos_train is not used for training (out of scope is detected by a
//     threshold), oos_val joins val and oos_test joins test;
//   - a folder holding train.csv and test.csv (and optionally val.csv) with a
//     header naming a "text" column and a "label", "category" or "intent"
//     column;
//   - a folder holding CrossWOZ user_turns_val.jsonl and user_turns_test.jsonl
//     (or the path of either file): one JSON object per line with "text" and
//     "labels"; the val turns are the training set and there is no val split.
//
// Errors name the file and, where known, the line.
func Load(path string) (*Dataset, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	if !fi.IsDir() {
		switch {
		case strings.HasSuffix(path, ".jsonl"):
			return loadCrossWOZDir(filepath.Dir(path))
		case strings.HasSuffix(path, ".json"):
			return loadCLINCFile(path)
		}
		return nil, fmt.Errorf("eval: %s: want a CLINC150 .json file, a CrossWOZ .jsonl file or a folder", path)
	}
	exists := func(name string) bool {
		_, err := os.Stat(filepath.Join(path, name))
		return err == nil
	}
	switch {
	case exists("train.csv") && exists("test.csv"):
		return loadCSVDir(path)
	case exists("user_turns_val.jsonl") && exists("user_turns_test.jsonl"):
		return loadCrossWOZDir(path)
	case exists("data_full.json"):
		return loadCLINCFile(filepath.Join(path, "data_full.json"))
	}
	return nil, fmt.Errorf("eval: %s: no train.csv+test.csv, user_turns_{val,test}.jsonl or data_full.json", path)
}

func loadCLINCFile(path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	d, err := ParseCLINC(f)
	if err != nil {
		return nil, fmt.Errorf("eval: %s: %w", path, err)
	}
	d.Name = filepath.Base(path)
	return d, nil
}

// ParseCLINC reads a CLINC150 JSON document (see Load). It returns an error
// when the JSON is malformed, an item is not a [text, label] pair, a label
// is empty, or train or test is empty.
func ParseCLINC(r io.Reader) (*Dataset, error) {
	var raw map[string][][]string
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("decode CLINC150 JSON: %w", err)
	}
	part := func(key string) ([]Item, error) {
		items := make([]Item, 0, len(raw[key]))
		for i, p := range raw[key] {
			if len(p) != 2 {
				return nil, fmt.Errorf("%s[%d]: want [text, label], got %d strings", key, i, len(p))
			}
			if strings.TrimSpace(p[1]) == "" {
				return nil, fmt.Errorf("%s[%d]: empty label", key, i)
			}
			items = append(items, Item{Text: p[0], Labels: []string{p[1]}})
		}
		return items, nil
	}
	d := &Dataset{Format: "clinc150"}
	var err error
	if d.Train, err = part("train"); err != nil {
		return nil, err
	}
	for _, s := range []struct {
		dst  *[]Item
		keys []string
	}{{&d.Val, []string{"val", "oos_val"}}, {&d.Test, []string{"test", "oos_test"}}} {
		for _, k := range s.keys {
			items, err := part(k)
			if err != nil {
				return nil, err
			}
			*s.dst = append(*s.dst, items...)
		}
	}
	if len(d.Train) == 0 || len(d.Test) == 0 {
		return nil, errors.New(`CLINC150 JSON needs non-empty "train" and "test"`)
	}
	return d, nil
}

func loadCSVDir(dir string) (*Dataset, error) {
	d := &Dataset{Name: filepath.Base(dir), Format: "csv"}
	for _, s := range []struct {
		name     string
		dst      *[]Item
		optional bool
	}{{"train.csv", &d.Train, false}, {"val.csv", &d.Val, true}, {"test.csv", &d.Test, false}} {
		path := filepath.Join(dir, s.name)
		f, err := os.Open(path)
		if err != nil {
			if s.optional && errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("eval: %w", err)
		}
		items, err := ParseCSV(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("eval: %s: %w", path, err)
		}
		*s.dst = items
	}
	return d, nil
}

// ParseCSV reads a CSV file (RFC 4180) whose header names a "text" column
// and a "label", "category" or "intent" column (case-insensitive, any order,
// other columns ignored). It returns an error when the header lacks either
// column, a record is malformed, a label is empty, or there is no row.
func ParseCSV(r io.Reader) ([]Item, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	textCol, labelCol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "text":
			textCol = i
		case "label", "category", "intent":
			labelCol = i
		}
	}
	if textCol < 0 || labelCol < 0 {
		return nil, fmt.Errorf("header %q: want a text column and a label/category/intent column", strings.Join(header, ","))
	}
	var items []Item
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		label := strings.TrimSpace(rec[labelCol])
		if label == "" {
			return nil, fmt.Errorf("line %d: empty label", line)
		}
		items = append(items, Item{Text: rec[textCol], Labels: []string{label}})
	}
	if len(items) == 0 {
		return nil, errors.New("no rows after the header")
	}
	return items, nil
}

func loadCrossWOZDir(dir string) (*Dataset, error) {
	d := &Dataset{Name: "crosswoz", Format: "crosswoz", MultiLabel: true}
	for _, s := range []struct {
		name string
		dst  *[]Item
	}{{"user_turns_val.jsonl", &d.Train}, {"user_turns_test.jsonl", &d.Test}} {
		path := filepath.Join(dir, s.name)
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
		items, err := ParseTurns(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("eval: %s: %w", path, err)
		}
		*s.dst = items
	}
	return d, nil
}

// ParseTurns reads CrossWOZ user turns, one JSON object per line with a
// "text" string, a "labels" list of strings and optionally a "dialog_id"
// (string or number, kept as the item's Group); other fields are ignored and
// blank lines skipped. Labels are de-duplicated and sorted; a turn may have
// none.
// It returns an error naming the line when a line is not such an object,
// when it is longer than 1 MiB, or when there is no turn.
func ParseTurns(r io.Reader) ([]Item, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var items []Item
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var turn struct {
			Text     *string         `json:"text"`
			Labels   []string        `json:"labels"`
			DialogID json.RawMessage `json:"dialog_id"`
		}
		if err := json.Unmarshal(b, &turn); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if turn.Text == nil {
			return nil, fmt.Errorf("line %d: no \"text\"", line)
		}
		labels := slices.Clone(turn.Labels)
		for _, l := range labels {
			if strings.TrimSpace(l) == "" {
				return nil, fmt.Errorf("line %d: empty label", line)
			}
		}
		slices.Sort(labels)
		items = append(items, Item{Text: *turn.Text, Labels: slices.Compact(labels), Group: dialogID(turn.DialogID)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("after line %d: %w", len(items), err)
	}
	if len(items) == 0 {
		return nil, errors.New("no turns")
	}
	return items, nil
}

// dialogID returns a JSON string's value or a number's text, "" for null or
// a missing field.
func dialogID(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
