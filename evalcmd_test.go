package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestEvalFewShotCommand(t *testing.T) {
	run := func(args ...string) (string, error) {
		cmd := newRootCmd()
		var out, errOut bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		cmd.SetArgs(append([]string{"eval"}, args...))
		err := cmd.ExecuteContext(context.Background())
		return out.String() + errOut.String(), err
	}
	data := filepath.Join("intents", "nlu", "eval", "testdata")
	out, err := run("--shots", "2", "--seeds", "1,2", "--embeddings", filepath.Join(t.TempDir(), "e"),
		"--data", filepath.Join(data, "csvset"), "--data", filepath.Join(data, "clinc_tiny.json"))
	if err != nil {
		t.Fatalf("eval --shots: %v\n%s", err, out)
	}
	for _, want := range []string{"csvset", "clinc150/clinc_tiny", "lexical", "encoder", "combined", "[1 2]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if out, err := run("--data", filepath.Join(data, "csvset"), "--data", filepath.Join(data, "csvset")); err == nil {
		t.Errorf("two --data without --shots: no error\n%s", out)
	}
	if out, err := run("--shots", "-1", "--data", filepath.Join(data, "csvset")); err == nil {
		t.Errorf("--shots -1: no error\n%s", out)
	}
}
