package intents

import (
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/intents/entity"
)

// Defaults of the settings and flows.
const (
	DefaultSessionTimeout = 30 * time.Minute
	DefaultMaxAttempts    = 3
	DefaultActionTimeout  = 5 * time.Second
	maxActionTimeout      = 30 * time.Second
)

// Failure modes of a flow after MaxAttempts failed attempts at a slot.
const (
	OnFailureHandoff = "handoff"
	OnFailureExit    = "exit"
)

// Entity is one entity type of the bot: a list or regex entity the owner
// defined (top-level entities:), or a built-in type.
type Entity struct {
	Name string
	// Kind is "list", "regex" or "builtin".
	Kind string
	// List is set for list entities, Regex for regex entities.
	List  *entity.List
	Regex *entity.Regex
	// Extractor finds the entity's values in a message.
	Extractor entity.Extractor
	// Pos is where the owner defined it (zero for built-ins).
	Pos Pos
}

// Flow is a multi-turn dialogue: recognising Intent starts it, it asks for
// its Slots in order, and when all are filled it answers with Response or
// the reply of its Action, then starts Then if set.
type Flow struct {
	Name   string
	Intent string
	Slots  []Slot
	// MaxAttempts is how many failed answers to one slot's prompt the flow
	// accepts before OnFailure happens.
	MaxAttempts int
	// OnFailure is OnFailureHandoff or OnFailureExit.
	OnFailure string
	// FailureResponse is said when the flow exits after too many attempts
	// (the bot's responses.too_many_attempts when empty).
	FailureResponse Localized
	// Response is said when all slots are filled (after Action, if the
	// action's reply has no text).
	Response Localized
	Action   *Action
	// Then names the flow started when this one is complete.
	Then string
	Pos  Pos

	thenPos, intentPos Pos
}

// Slot is one value a flow asks for.
type Slot struct {
	Name string
	// Entity is the name of the slot's entity type.
	Entity string
	// Prompt asks for the value; Reprompt asks again after an answer that
	// did not give one (Prompt when empty).
	Prompt, Reprompt Localized
	// QuickReplies are offered with the prompt; for list entities and
	// yes_no they default to the entity's values.
	QuickReplies map[string][]string
	Validate     Validation
	// ReaskOnNo, on a yes_no slot, names earlier slots that are asked again
	// (with this one) when the answer is no.
	ReaskOnNo []string
	Pos       Pos

	reaskPos, entityPos Pos
}

// Validation restricts the values a slot accepts. The zero value accepts
// every value the entity finds.
type Validation struct {
	// Regex must match the value.
	Regex *entity.Regex
	// Values, when not empty, are the only values accepted.
	Values []string
	// Min and Max bound numbers and money amounts.
	Min, Max *float64

	valuesPos Pos
}

// Accepts reports whether v passes the validation.
func (v Validation) Accepts(value string) bool {
	if v.Regex != nil && !v.Regex.MatchString(value) {
		return false
	}
	if len(v.Values) > 0 && !contains(v.Values, value) {
		return false
	}
	if v.Min != nil || v.Max != nil {
		num, _, _ := strings.Cut(value, " ") // "4.90 EUR"
		x, err := strconv.ParseFloat(num, 64)
		if err != nil || (v.Min != nil && x < *v.Min) || (v.Max != nil && x > *v.Max) {
			return false
		}
	}
	return true
}

// Action is an HTTP webhook a flow calls when its slots are filled.
//
// The request is a POST of JSON {"flow", "conversation_id", "request_id",
// "language", "user_name", "slots", "timestamp"} with the header
// X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of the body with the
// secret>. A 2xx reply whose body is a JSON object with a non-empty "text"
// (and optional "quick_replies") is the answer; anything else, or no reply
// within Timeout, says ErrorResponse and lets the customer retry.
type Action struct {
	URL     string
	Timeout time.Duration
	// ErrorResponse is said when the call fails (the bot's
	// responses.action_error when empty).
	ErrorResponse Localized
	Pos           Pos

	secret string // never printed
}

// Signed reports whether requests carry a signature.
func (a *Action) Signed() bool { return a.secret != "" }

// Message keys of the top-level responses: mapping, the texts the bot says
// at moments of its own.
const (
	MsgCancelled       = "cancelled"         // the customer cancelled a flow
	MsgFlowGone        = "flow_gone"         // the flow was removed by a reload
	MsgSlotUpdated     = "slot_updated"      // a filled slot was corrected
	MsgActionError     = "action_error"      // an action failed
	MsgTooManyAttempts = "too_many_attempts" // a flow exits after failed attempts
	MsgRetry           = "retry_button"      // the quick reply to retry an action
	MsgCancelButton    = "cancel_button"     // the quick reply to cancel
	MsgReturned        = "returned"          // core.NoticeReturned
	MsgUnavailable     = "unavailable"       // core.NoticeUnavailable
	MsgClarify         = "clarify"           // two answers are equally likely: which one?
	MsgMedia           = "media"             // core.NoticeMedia: a picture, sticker or file without text
)

var messageKeys = []string{MsgCancelled, MsgFlowGone, MsgSlotUpdated, MsgActionError, MsgTooManyAttempts,
	MsgRetry, MsgCancelButton, MsgReturned, MsgUnavailable, MsgClarify, MsgMedia}

// defaultMessages are used for keys the bot does not define.
var defaultMessages = map[string]map[string]string{
	MsgCancelled:       {"en": "OK, I've stopped that. What else can I do for you?", "zh": "好的，已取消。还有什么可以帮您？"},
	MsgFlowGone:        {"en": "Sorry, I can't continue what we were doing: it has changed on our side. Please start again.", "zh": "抱歉，刚才的操作已更新，无法继续。请重新开始。"},
	MsgSlotUpdated:     {"en": "OK, I've updated that.", "zh": "好的，已更新。"},
	MsgActionError:     {"en": "Sorry, something went wrong on our side. Say \"retry\" to try again or \"cancel\" to stop.", "zh": "抱歉，我们这边出了点问题。输入“重试”再试一次，或输入“取消”结束。"},
	MsgTooManyAttempts: {"en": "Sorry, I still didn't get that, so let's leave it there. Ask me anything else, or type \"agent\" to reach a person.", "zh": "抱歉，我还是没能理解，我们先到这里。您可以问我其他问题，或输入“人工”联系客服。"},
	MsgRetry:           {"en": "Retry", "zh": "重试"},
	MsgCancelButton:    {"en": "Cancel", "zh": "取消"},
	MsgClarify:         {"en": "Just to be sure, which of these do you mean?", "zh": "为了确认一下，您指的是以下哪一个？"},
	MsgMedia:           {"en": "Thanks, I got your file. I can only read text, though: please tell me in words what you need.", "zh": "收到您发送的文件。不过我只能读懂文字，请用文字告诉我您需要什么。"},
}

func (b *Bot) entity(name string) *Entity { return b.Entities[name] }

// flow returns the flow called name, or nil.
func (b *Bot) flow(name string) *Flow {
	for i := range b.Flows {
		if b.Flows[i].Name == name {
			return &b.Flows[i]
		}
	}
	return nil
}

// flowFor returns the flow started by intent, or nil.
func (b *Bot) flowFor(intent string) *Flow {
	for i := range b.Flows {
		if b.Flows[i].Intent == intent {
			return &b.Flows[i]
		}
	}
	return nil
}

func (f *Flow) slot(name string) *Slot {
	for i := range f.Slots {
		if f.Slots[i].Name == name {
			return &f.Slots[i]
		}
	}
	return nil
}

func builtinEntities() map[string]*Entity {
	m := map[string]*Entity{}
	for _, name := range entity.BuiltinNames() {
		x, _ := entity.Builtin(name)
		m[name] = &Entity{Name: name, Kind: "builtin", Extractor: x}
	}
	return m
}
