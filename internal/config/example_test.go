package config

import (
	"os"
	"strings"
	"testing"
)

// TestExampleConfigCoversEveryKey keeps config.yaml at the repository root
// complete: it must load, validate, and name every key but the _file twins.
func TestExampleConfigCoversEveryKey(t *testing.T) {
	cfg, err := Load("../../config.yaml", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for k := range defaults {
		leaf := k[strings.LastIndex(k, ".")+1:]
		if !strings.Contains(string(raw), "  "+leaf+":") {
			t.Errorf("config.yaml does not document %s", k)
		}
	}
}
