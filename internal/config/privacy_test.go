package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/internal/redact"
)

func TestPrivacyDefaults(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg, err := Load("", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Privacy
	if !slices.Equal(p.Redact, []string{"email", "phone", "card", "cn_id", "iban"}) ||
		!slices.Equal(p.RedactForAgents, []string{"card", "cn_id", "iban"}) ||
		len(p.RedactPatterns) != 0 || p.RedactTranscripts {
		t.Fatalf("privacy defaults: %+v", p)
	}
	r, err := redact.New(p.RedactConfig())
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Redact("jane@shop.example"); got != "[email]" {
		t.Errorf("log redactor: %q", got)
	}
	a, err := redact.New(p.AgentRedactConfig())
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Redact("jane@shop.example 4111 1111 1111 1111"); got != "jane@shop.example [card ****1111]" {
		t.Errorf("agents' redactor: %q", got)
	}
}

func TestPrivacyFileAndEnv(t *testing.T) {
	p := writeFile(t, "c.yaml", "privacy:\n  redact: [email]\n  redact_patterns: ['(?i)vip-[0-9]{4}', 'x{2,3}']\n  redact_transcripts: true\n")
	cfg, err := Load(p, envMap(map[string]string{"SWITCHBOARD_PRIVACY_REDACT_FOR_AGENTS": "card, iban"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	got := cfg.Privacy
	if !slices.Equal(got.Redact, []string{"email"}) || !slices.Equal(got.RedactForAgents, []string{"card", "iban"}) ||
		!slices.Equal(got.RedactPatterns, []string{"(?i)vip-[0-9]{4}", "x{2,3}"}) || !got.RedactTranscripts {
		t.Errorf("privacy: %+v", got)
	}
	cfg, err = Load(p, envMap(map[string]string{"SWITCHBOARD_PRIVACY_REDACT": ""}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Privacy.Redact) != 0 {
		t.Errorf("empty env list: %q", cfg.Privacy.Redact)
	}
}

func TestPrivacyValidate(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"privacy:\n  redact_patterns: ['ok', '(unclosed']\n", "privacy.redact_patterns: pattern 2: invalid regular expression \"(unclosed\""},
		{"privacy:\n  redact_patterns: ['']\n", "privacy.redact_patterns: pattern 1: empty pattern"},
		{"privacy:\n  redact: [email, passport]\n", "privacy.redact: unknown kind \"passport\""},
		{"privacy:\n  redact_for_agents: [cards]\n", "privacy.redact_for_agents: unknown kind \"cards\""},
		{"privacy:\n  redact_everything: true\n", "unknown key \"privacy.redact_everything\""},
	}
	for _, tt := range tests {
		cfg, err := Load(writeFile(t, "c.yaml", tt.yaml), envMap(nil))
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
