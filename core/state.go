package core

import "time"

// State is what Switchboard remembers of one conversation between messages.
// It is stored as JSON; fields may be added, never renamed.
type State struct {
	// Revision is managed by the Store: it is the revision this state was read
	// at (0 = new conversation) and is used for compare-and-set on commit.
	Revision uint64 `json:"-"`

	Language   string            `json:"language,omitempty"`
	UserName   string            `json:"user_name,omitempty"`
	Slots      map[string]string `json:"slots,omitempty"`
	Flow       string            `json:"flow,omitempty"`      // active flow, if any
	FlowSlot   string            `json:"flow_slot,omitempty"` // slot being asked for
	Attempts   int               `json:"attempts,omitempty"`  // failed attempts at FlowSlot
	Fallbacks  int               `json:"fallbacks,omitempty"` // consecutive fallbacks
	LastIntent string            `json:"last_intent,omitempty"`
	Turns      int               `json:"turns,omitempty"` // customer messages handled
	LastSeen   time.Time         `json:"last_seen,omitzero"`
	// Sentiments are the scores of the customer's last few messages, newest
	// last (see MaxSentiments): the handoff rule looks at the trend.
	Sentiments []float64 `json:"sentiments,omitempty"`
	// CasesOpened are when the conversation's recent cases were opened
	// (the last hour's), for HandoffOptions.MaxCasesPerHour.
	CasesOpened []time.Time `json:"cases_opened,omitempty"`
	Handoff     *Handoff    `json:"handoff,omitempty"` // non-nil while a human owns it
}

// Handoff records that a human agent owns the conversation.
type Handoff struct {
	Reason   string    `json:"reason"`
	Since    time.Time `json:"since"`
	Channel  string    `json:"channel,omitempty"`   // support channel of the case
	ThreadTS string    `json:"thread_ts,omitempty"` // root ts of the case thread
	Agent    string    `json:"agent,omitempty"`     // the assignee: first agent who answered or took it
	AgentID  string    `json:"agent_id,omitempty"`  // the assignee's desk user id
	// AssignedAt is when Agent became the assignee.
	AssignedAt time.Time `json:"assigned_at,omitzero"`
	// LastAgentAt is when an agent last wrote to the customer (zero: never).
	LastAgentAt time.Time `json:"last_agent_at,omitzero"`
	// Reminded is set once the unassigned-case reminder was posted.
	Reminded bool `json:"reminded,omitempty"`
	// LastActivityAt is the last message in the case from anyone: the
	// customer, an agent (notes included). Idle return counts from it.
	LastActivityAt time.Time `json:"last_activity_at,omitzero"`
	// IdleWarned is set once the case thread was warned that the
	// conversation is about to return to the bot; activity clears it.
	IdleWarned bool `json:"idle_warned,omitempty"`
	// Team is the team the case was routed to (empty: the default team).
	Team string `json:"team,omitempty"`
	// AfterHours is set when the case opened outside the team's hours.
	AfterHours bool `json:"after_hours,omitempty"`
	// QueuePos is the place in the team's queue the customer was last
	// told (0: never told), QueueToldAt when.
	QueuePos    int       `json:"queue_pos,omitempty"`
	QueueToldAt time.Time `json:"queue_told_at,omitzero"`
}

// MaxSentiments is how many message scores State.Sentiments keeps.
const MaxSentiments = 5

// Clone returns a deep copy of s, so a decision can change it freely.
func (s State) Clone() State {
	c := s
	if s.Slots != nil {
		c.Slots = make(map[string]string, len(s.Slots))
		for k, v := range s.Slots {
			c.Slots[k] = v
		}
	}
	if s.Handoff != nil {
		h := *s.Handoff
		c.Handoff = &h
	}
	if s.Sentiments != nil {
		c.Sentiments = append([]float64(nil), s.Sentiments...)
	}
	if s.CasesOpened != nil {
		c.CasesOpened = append([]time.Time(nil), s.CasesOpened...)
	}
	return c
}
