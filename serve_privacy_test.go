package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/internal/fakeclock"
	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
)

// TestServeRedaction: a customer types an e-mail, a card number and a
// Chinese ID number, then asks for a person. The agents' case masks the
// card and the ID (privacy.redact_for_agents) but keeps the e-mail; with
// privacy.redact_transcripts none of the three reaches the database file
// (and the case, built from the stored transcript, masks the e-mail too).
func TestServeRedaction(t *testing.T) {
	for _, transcripts := range []bool{false, true} {
		t.Run(map[bool]string{false: "agents", true: "agents and transcripts"}[transcripts], func(t *testing.T) {
			testServeRedaction(t, transcripts)
		})
	}
}

func testServeRedaction(t *testing.T, transcripts bool) {
	const (
		card  = "4111 1111 1111 1111"
		cnID  = "11010519491231002X"
		email = "ana.li@example.com"
	)
	clk := fakeclock.New(fakeclock.Bases()[1])
	sl := slackfake.New(slackfake.Options{Token: "xoxb-test", Now: clk.Now})
	defer sl.Close()
	cfg := testConfig(t)
	cfg.Slack.Enabled, cfg.Slack.BotToken, cfg.Slack.SigningSecret, cfg.Slack.SupportChannel, cfg.Slack.APIURL =
		true, "xoxb-test", "signing", "C_SUPPORT", sl.APIURL()
	cfg.Privacy.RedactTranscripts = transcripts
	base, stop := startServeWith(t, cfg, serveOptions{now: clk.Now, sweepEvery: time.Hour})
	h := &outside{t: t, base: base}
	cust := h.webSession()
	h.webSays(cust, "my card "+card+" was charged twice, mail me at "+email+", ID "+cnID)
	h.waitWeb(cust, "bot", "")
	h.webSays(cust, "I want to talk to a person")
	h.waitWeb(cust, "bot", "passing you")
	posts, ok := sl.WaitPosts(10*time.Second, func(ps []slackfake.Post) bool { return len(ps) >= 1 })
	if !ok {
		t.Fatal("no case posted")
	}
	blocks := string(posts[0].Blocks)
	if strings.Contains(blocks, card) || strings.Contains(blocks, cnID) || !strings.Contains(blocks, "****1111") {
		t.Errorf("the case shows the card or the ID number to agents: %s", blocks)
	}
	if !transcripts && !strings.Contains(blocks, email) {
		t.Errorf("the case hides the e-mail, which agents need: %s", blocks)
	}
	if !transcripts {
		return
	}
	for _, m := range h.webMessages(cust) {
		if m.From == "user" && (strings.Contains(m.Text, card) || strings.Contains(m.Text, email)) {
			t.Errorf("the stored transcript keeps personal data: %q", m.Text)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(cfg.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{card, "4111111111111111", cnID, email} {
		if bytes.Contains(db, []byte(secret)) {
			t.Errorf("the database file contains %q", secret)
		}
	}
}
