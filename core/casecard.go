package core

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// CaseCard is what an agent sees of a case: who the customer is, what they
// want, what the bot already collected, and where the case stands. The
// engine fills it when a case opens (Reply.Case of a ReplyCase) and sends
// the status part again whenever the case changes (a ReplyStatus); the desk
// adapter renders it and redraws the case message. It is stored in the
// outbox, so its fields carry json tags and may be added, never renamed.
type CaseCard struct {
	Customer  string            `json:"customer,omitempty"` // display name
	Platform  string            `json:"platform,omitempty"`
	Language  string            `json:"language,omitempty"`
	Reason    string            `json:"reason,omitempty"`
	Intents   []string          `json:"intents,omitempty"` // detected so far, oldest first, no repeats
	Slots     map[string]string `json:"slots,omitempty"`   // what the bot collected
	Sentiment string            `json:"sentiment,omitempty"`
	// Since is when the customer started waiting for a person.
	Since time.Time `json:"since,omitzero"`
	// Turns are the last turns of the conversation, oldest first.
	Turns []Turn `json:"turns,omitempty"`
	// TranscriptURL links to the whole transcript on the admin console
	// (empty when no public URL is configured).
	TranscriptURL string `json:"transcript_url,omitempty"`

	// Status is the case's state: one of the CaseWaiting… constants.
	Status CaseStatus `json:"status,omitempty"`
	// Agent is the assignee (Status CaseAssigned) or who ended the case.
	Agent string `json:"agent,omitempty"`
	// At is when the status was reached.
	At time.Time `json:"at,omitzero"`
	// Why says how a case ended ("no activity for 30m0s").
	Why string `json:"why,omitempty"`

	// Team is the team the case was routed to; AfterHours is set when it
	// opened outside the team's business hours.
	Team       string `json:"team,omitempty"`
	AfterHours bool   `json:"after_hours,omitempty"`
	// TransferredFrom names the team a transferred case came from, with
	// the transferring agent's Note.
	TransferredFrom string `json:"transferred_from,omitempty"`
	Note            string `json:"note,omitempty"`
}

// CaseStatus is where a case stands.
type CaseStatus string

// The statuses of a case.
const (
	CaseWaiting  CaseStatus = "waiting"  // no agent yet
	CaseAssigned CaseStatus = "assigned" // Agent owns it
	CaseReturned CaseStatus = "returned" // back with the bot (given back or idle)
	CaseClosed   CaseStatus = "closed"   // an agent closed it
	// CaseTransferred: an agent moved the case to another team (Why
	// names it); a new case message continues it there.
	CaseTransferred CaseStatus = "transferred"
)

// StatusLine is the case's status in words, e.g. "Assigned to Ana at 10:05
// UTC". Times are shown in UTC; desks that can localise times (Slack) do
// their own rendering from At.
func (c CaseCard) StatusLine() string {
	at := ""
	if !c.At.IsZero() {
		at = " at " + c.At.UTC().Format("15:04 MST")
	}
	switch c.Status {
	case CaseAssigned:
		return "Assigned to " + c.Agent + at
	case CaseReturned:
		s := "Back with the bot" + at
		if c.Agent != "" {
			s += " (given back by " + c.Agent + ")"
		} else if c.Why != "" {
			s += " (" + c.Why + ")"
		}
		return s
	case CaseTransferred:
		s := "Transferred" + at
		if c.Why != "" {
			s += " " + c.Why
		}
		if c.Agent != "" {
			s += " by " + c.Agent
		}
		return s
	case CaseClosed:
		s := "Closed" + at
		if c.Agent != "" {
			s += " by " + c.Agent
		}
		return s
	}
	return "Waiting for an agent since" + at
}

// Text is the case as plain text, for desks without rich messages and for
// logs of what an agent was shown.
func (c CaseCard) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "New case: %s on %s", c.Customer, c.Platform)
	if c.Language != "" {
		fmt.Fprintf(&b, " (language: %s)", c.Language)
	}
	fmt.Fprintf(&b, "\nReason: %s\n", c.Reason)
	if c.Team != "" {
		fmt.Fprintf(&b, "Team: %s\n", c.Team)
	}
	if c.AfterHours {
		b.WriteString("After hours: the customer was told when the team opens.\n")
	}
	if c.TransferredFrom != "" {
		fmt.Fprintf(&b, "Transferred from %s", c.TransferredFrom)
		if c.Note != "" {
			fmt.Fprintf(&b, ": %s", c.Note)
		}
		b.WriteString("\n")
	}
	if len(c.Intents) > 0 {
		fmt.Fprintf(&b, "Asked about: %s\n", strings.Join(c.Intents, ", "))
	}
	if len(c.Slots) > 0 {
		keys := make([]string, 0, len(c.Slots))
		for k := range c.Slots {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + c.Slots[k]
		}
		fmt.Fprintf(&b, "Collected: %s\n", strings.Join(parts, ", "))
	}
	if c.Sentiment != "" {
		fmt.Fprintf(&b, "Mood: %s\n", c.Sentiment)
	}
	if len(c.Turns) > 0 {
		b.WriteString("Last messages:\n")
		for _, t := range c.Turns {
			fmt.Fprintf(&b, "%s: %s\n", TurnAuthor(t), TurnText(t))
		}
	}
	if c.TranscriptURL != "" {
		fmt.Fprintf(&b, "Transcript: %s\n", c.TranscriptURL)
	}
	b.WriteString(AgentHelp)
	return b.String()
}

// AgentHelp tells agents what they can type in a case thread.
const AgentHelp = "Reply in this thread to answer the customer. !take takes the case, !bot gives it back to the bot, !close closes it, !note (or the note prefix) adds a note the customer does not see, !transfer <team> [note] moves it to another team."

// TurnAuthor is how a turn's author is shown to agents.
func TurnAuthor(t Turn) string {
	switch {
	case t.From == AuthorAgent && t.AgentName != "":
		return t.AgentName
	case t.From == AuthorUser:
		return "customer"
	}
	return string(t.From)
}

// TurnText is a turn's text as agents see it: a correction is marked.
func TurnText(t Turn) string {
	if t.Corrects != "" {
		return "(correction) " + t.Text
	}
	return t.Text
}

// CustomerName is the name a case shows for a customer: the name the
// platform or the customer gave, else for web visitors "Web visitor 4821"
// (a number derived from the visitor id, stable for the conversation), else
// the platform's user id.
func CustomerName(key ConversationKey, userName string) string {
	if strings.TrimSpace(userName) != "" {
		return userName
	}
	if key.Platform == "web" || key.Platform == "terminal" {
		sum := sha256.Sum256([]byte(key.User))
		return fmt.Sprintf("Web visitor %04d", binary.BigEndian.Uint32(sum[:4])%10000)
	}
	return key.User
}

// SentimentTrend describes scores (oldest first) in a few words for agents,
// e.g. "negative, getting worse (-0.2 → -0.7)".
func SentimentTrend(scores []float64) string {
	if len(scores) == 0 {
		return ""
	}
	last := scores[len(scores)-1]
	mood := "neutral"
	switch {
	case last <= -0.5:
		mood = "very negative"
	case last < -0.1:
		mood = "negative"
	case last >= 0.3:
		mood = "positive"
	}
	if len(scores) < 2 {
		return fmt.Sprintf("%s (%.1f)", mood, last)
	}
	first := scores[0]
	trend := "steady"
	switch {
	case last-first <= -0.2:
		trend = "getting worse"
	case last-first >= 0.2:
		trend = "improving"
	}
	return fmt.Sprintf("%s, %s (%.1f → %.1f)", mood, trend, first, last)
}

// caseIntents lists the intents of the customer's turns, oldest first,
// without repeats.
func caseIntents(turns []Turn, current string) []string {
	var out []string
	for _, t := range turns {
		if t.From == AuthorUser && t.Intent != "" && !slices.Contains(out, t.Intent) {
			out = append(out, t.Intent)
		}
	}
	if current != "" && !slices.Contains(out, current) {
		out = append(out, current)
	}
	return out
}

// publicSlots are the slots worth showing an agent: not the engine's or
// the bot's internal ones (names starting with "_").
func publicSlots(slots map[string]string) map[string]string {
	var out map[string]string
	for k, v := range slots {
		if strings.HasPrefix(k, "_") || v == "" {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}

// transcriptURL is the admin console's page of a conversation, or "".
func transcriptURL(base string, key ConversationKey) string {
	if base == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/admin/conversations/" + url.PathEscape(key.String())
}
