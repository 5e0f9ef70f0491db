package intents

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/intents/nlu"
	"github.com/switchboard-gw/switchboard/intents/sentiment"
)

// HandoffReasonAsked is Decision.HandoffReason when the customer asked for a
// person (an intent with handoff: true was recognised).
const HandoffReasonAsked = "customer asked for a person"

// Options configures New. The zero value is usable.
type Options struct {
	// Logger receives training progress and per-decision debug lines (never
	// message text); nil discards.
	Logger *slog.Logger
	// Seed makes the classifier's training split and the choice of response
	// variants reproducible. With Seed 0 training uses seed 1 and each call
	// picks variants with fresh randomness; with Seed != 0 the variant is a
	// function of the seed, the message text and the conversation's turn and
	// fallback counts, so tests are deterministic.
	Seed int64
	// ConfidenceThreshold is the score below which a message is not
	// understood (fallback), for every language. 0 calibrates one per
	// language from the bot's own examples and a built-in set of generic
	// out-of-scope sentences (see calibrate). It must be in [0, 1).
	ConfidenceThreshold float64
	// DefaultLanguage overrides the bot's settings.default_language; "" and
	// "auto" keep the bot's.
	DefaultLanguage string
	// Encoder is EncoderAuto, EncoderOn or EncoderOff (also for ""): when
	// the sentence encoder scores English messages next to the lexical
	// model (config key bot.encoder, whose default is auto).
	Encoder string
	// EmbeddingCache is the file that keeps the embeddings of the bot's
	// examples across restarts and reloads, keyed by a hash of the text;
	// "" computes them at every start.
	EmbeddingCache string
	// HTTPClient calls the flows' actions; nil means the gateway's own
	// clients, which follow no redirect and refuse private addresses unless
	// allowed (see actionnet.go). A client given here is used as is, for
	// every action. Each call is bounded by the action's timeout.
	HTTPClient *http.Client
	// AllowPrivateActions lets every action call loopback, private and
	// link-local addresses (config actions.allow_private); an action can
	// also allow it for itself (allow_private in its YAML).
	AllowPrivateActions bool
}

// Understander answers customer messages from a Bot: it classifies the text
// among the bot's intents and FAQ entries and renders the matching response.
// It implements core.Understander, keeps no per-conversation state and is
// safe for concurrent use.
type Understander struct {
	bot         *Bot
	model       *nlu.Model
	r           *ranker       // holds model; trainRanker builds the calibration's too
	training    []nlu.Example // what r was trained on
	answers     map[string]answer
	threshold   float64            // for languages not in byLang
	byLang      map[string]float64 // calibrated per language
	how         string             // how the threshold was picked
	defaultLang string
	seed        int64
	log         *slog.Logger
	examples    map[string]int // per language
	defaults    map[string]Localized
	client      *http.Client // actions to public addresses only
	private     *http.Client // actions allowed to reach private addresses
	cancelWords map[string]bool
	retryWords  map[string]bool
	neverMind   map[string]bool // nil without small talk
	// sem is the sentence encoder's half, nil when off or unused.
	sem         *semantic
	encoderMode string
	semReport   string
}

// answer is what the bot says for one classifier label.
type answer struct {
	responses    Localized
	quickReplies map[string][]string
	handoff      bool
}

var _ core.Understander = (*Understander)(nil)

// New trains the classifier on the bot's examples and FAQ questions (one
// label per intent, "faq:<id>" per FAQ entry) and, when
// opts.ConfidenceThreshold is 0, calibrates the threshold. Training takes
// about a second for a few thousand examples.
//
// It returns an error when opts are invalid, when the bot has fewer than two
// intents and FAQ entries together (nothing to choose between), when training
// fails, and when ctx is done first. When calibration is impossible (no
// label has two examples) it uses 1.5/labels and says so in Report.
func New(ctx context.Context, bot *Bot, opts Options) (*Understander, error) {
	if bot == nil {
		return nil, errors.New("intents: new understander: nil bot")
	}
	t := opts.ConfidenceThreshold
	if math.IsNaN(t) || t < 0 || t >= 1 {
		return nil, fmt.Errorf("intents: confidence threshold must be in [0, 1), got %v", t)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u := &Understander{
		bot:         bot,
		answers:     map[string]answer{},
		defaultLang: bot.DefaultLanguage,
		seed:        opts.Seed,
		log:         log,
		examples:    map[string]int{},
		client:      opts.HTTPClient,
		private:     opts.HTTPClient,
	}
	if u.client == nil {
		u.private = newActionClient(true, nil)
		u.client = u.private
		if !opts.AllowPrivateActions {
			u.client = newActionClient(false, nil)
		}
	}
	u.initMessages()
	if d := strings.ToLower(strings.TrimSpace(opts.DefaultLanguage)); d != "" && d != "auto" {
		u.defaultLang = d
	}
	var examples []nlu.Example
	var langs []string // of each example
	add := func(label string, phrases map[string][]string) {
		for _, lang := range sortedKeys(phrases) { // a fixed order keeps training deterministic
			ps := phrases[lang]
			if !isSmallTalk(label) {
				u.examples[lang] += len(ps)
			}
			for _, p := range ps {
				examples = append(examples, nlu.Example{Text: p, Label: label})
				langs = append(langs, lang)
			}
		}
	}
	for _, in := range bot.Intents {
		responses := in.Responses
		if len(responses) == 0 && in.Handoff {
			responses = bot.Handoff // validation allows no responses only for these and flow intents
		}
		u.answers[in.Name] = answer{responses, in.QuickReplies, in.Handoff}
		add(in.Name, in.Examples)
	}
	for _, f := range bot.FAQs {
		u.answers[f.Label()] = answer{f.Answer, f.QuickReplies, false}
		add(f.Label(), f.Questions)
	}
	owned := len(u.answers)
	if owned < 2 {
		return nil, fmt.Errorf("intents: train classifier: %w (the bot's intents and FAQ entries), got %d", nlu.ErrTooFewLabels, owned)
	}
	u.addSmallTalk(add)
	nopts := nlu.Options{Seed: opts.Seed, Logger: log}
	start := time.Now()
	r, err := trainRanker(ctx, examples, nopts, false)
	if err != nil {
		return nil, fmt.Errorf("intents: train classifier: %w", err)
	}
	u.model, u.r, u.training = r.model, r, examples
	log.Info("intents: classifier trained", "labels", len(u.answers), "examples", len(examples),
		"took", time.Since(start).Round(time.Millisecond))
	u.encoderMode = opts.Encoder
	u.sem, u.semReport, err = newSemantic(ctx, opts.Encoder, opts.EmbeddingCache, examples, r.model.Labels(),
		func(l string) bool { return strings.HasPrefix(l, faqPrefix) }, opts.Seed)
	if err != nil {
		return nil, err
	}
	log.Info("intents: " + u.semReport)

	u.threshold, u.how = t, "set in configuration"
	if t == 0 {
		c, err := calibrate(ctx, examples, langs, u.rank, nopts)
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("intents: calibrate threshold: %w", ctx.Err())
		case err != nil:
			u.threshold = 1.5 / float64(owned)
			u.how = fmt.Sprintf("1.5/labels, calibration impossible: %v", err)
		default:
			u.threshold, u.byLang, u.how = c.threshold, c.byLang, "calibrated; "+c.report
		}
	}
	log.Info("intents: confidence threshold", "threshold", u.threshold, "by_language", u.byLang, "how", u.how)
	return u, nil
}

// Threshold returns the confidence below which a message gets the fallback:
// the configured one, or the highest of the calibrated per-language ones
// (used for languages the bot has no examples in).
func (u *Understander) Threshold() float64 { return u.threshold }

// Report describes the trained bot in a few lines, for `switchboard check`
// and logs: intents, FAQ entries, examples per language, flows, entity
// types, session timeout, time zone, threshold and how it was picked.
func (u *Understander) Report() string {
	var langs []string
	for _, l := range sortedKeys(u.examples) {
		langs = append(langs, fmt.Sprintf("%s %d", l, u.examples[l]))
	}
	return fmt.Sprintf("intents: %d, faq entries: %d, examples: %s, default language: %s\nflows: %d, entity types: %d, session timeout: %s, time zone: %s\nconfidence threshold: %.3f (%s)\n%s",
		len(u.bot.Intents), len(u.bot.FAQs), strings.Join(langs, ", "), u.defaultLang,
		len(u.bot.Flows), len(u.bot.Entities), u.bot.SessionTimeout, u.bot.Location, u.threshold, u.how, u.semReport)
}

// Understand decides the answer to one message. Outside a flow it
// classifies in.Text:
//
//   - the decision rule (see decide and Explain) falls back (or no text):
//     the fallback response, Fallback true, State.Fallbacks incremented,
//     Intent empty;
//   - it clarifies: the clarify message with one phrase of each candidate
//     as quick replies, Intent empty, not a fallback;
//   - built-in small talk: its reply, Intent "smalltalk:<kind>", not a
//     fallback;
//   - otherwise the intent's response or the FAQ's answer, Intent set to the
//     intent name or "faq:<id>", State.Fallbacks reset, State.LastIntent set;
//     an intent with handoff: true also sets Handoff and HandoffReason
//     HandoffReasonAsked; an intent that starts a flow says its responses
//     (if any), fills the flow's slots from the message and asks for the
//     first missing one (State.Flow, State.FlowSlot).
//
// Inside a flow the message is first read as the answer to the pending
// slot; "cancel"/"取消" ends the flow, a new value for another slot
// replaces the old one, an FAQ or another intent is answered and the slot
// asked for again, and an answer that gives no valid value is a failed
// attempt (State.Attempts): the reprompt, or after the flow's max_attempts
// a handoff (HandoffReason names the flow and slot) or an exit. When every
// slot is filled the flow answers with its response or calls its action.
// Slots stay in State.Slots until the next flow that uses them starts or
// the session times out (settings.session_timeout, measured from
// State.LastSeen to in.Now), which also ends the active flow. A flow that a
// reload removed ends with the flow_gone message.
//
// Sentiment is set on every decision (see package intents/sentiment).
// The customer's language is in.Language if set, else detected from the
// text when it has words, else State.Language, else the default language;
// it is stored in State.Language. Replies are in that language when the
// answer has it, else in the default language (Decision.Language says
// which). State.UserName is set from in.UserName when given. Turns and
// LastSeen are left to the caller.
//
// Understand returns an error only when ctx is done or a response fails to
// render: every variant of the answer fails to execute (validation at load
// time catches most such templates). A failing action is not an error: the
// customer gets the action's error response.
func (u *Understander) Understand(ctx context.Context, in core.Input) (core.Decision, error) {
	if err := ctx.Err(); err != nil {
		return core.Decision{}, fmt.Errorf("intents: understand: %w", err)
	}
	in.Command = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(in.Command), "/"))
	if in.Command != "" {
		// The command word is no text to classify, detect a language in
		// or score for sentiment; its arguments are.
		in.Text = commandArgs(in.Text)
	}
	t := &turn{u: u, ctx: ctx, in: in, st: in.State.Clone(), rng: u.rng(in)}
	if in.UserName != "" {
		t.st.UserName = in.UserName
	}
	t.lang = u.language(in)
	t.st.Language = t.lang
	if err := t.run(); err != nil {
		if ctx.Err() != nil {
			return core.Decision{}, fmt.Errorf("intents: understand: %w", ctx.Err())
		}
		return core.Decision{}, fmt.Errorf("intents: %w", err)
	}
	d := t.d
	d.Replies = t.replies
	d.State = t.st
	d.Sentiment = sentiment.Score(in.Text)
	if d.Language == "" {
		d.Language = t.lang
	}
	return d, nil
}

// FAQMinCosine is the similarity an FAQ question must reach before it can
// lift its entry's score: below it, shared function words ("what is the")
// make unrelated questions look alike, so only the classifier decides.
const FAQMinCosine = 0.5

// AmbiguityMargin is how close the two best candidates must score for the
// bot to ask which one the customer meant instead of guessing.
const AmbiguityMargin = 0.15

// ranker scores every label of a bot for a text: the models trained on one
// set of examples. New builds one from all of the bot's examples; the
// threshold calibration builds another from part of them. It is
// immutable and safe for concurrent use.
type ranker struct {
	model *nlu.Model
	faqs  int // number of FAQ labels
}

// trainRanker trains the models of a ranker on examples. keepAll keeps
// every example for nlu.Model.Nearest (the calibration's use), not only
// the FAQ questions.
func trainRanker(ctx context.Context, examples []nlu.Example, opts nlu.Options, keepAll bool) (*ranker, error) {
	// FAQ questions are kept for nearest-example similarity: an FAQ entry
	// scores the higher of its classifier probability and the cosine of
	// its most similar question (see rank).
	opts.KeepExamples = func(label string) bool { return keepAll || strings.HasPrefix(label, faqPrefix) }
	model, err := nlu.Train(ctx, examples, opts)
	if err != nil {
		return nil, err
	}
	r := &ranker{model: model}
	for _, l := range model.Labels() {
		if strings.HasPrefix(l, faqPrefix) {
			r.faqs++
		}
	}
	return r, nil
}

// rank scores every label for text, best first: intents by the
// classifier's probability, FAQ entries by the higher of their probability
// and the cosine similarity of their most similar question when that is at
// least FAQMinCosine (measured on
// CLINC150 and BANKING77 held-out data: FAQ recall up sharply for a small
// loss of intent accuracy; see intents/nlu's Nearest).
func (r *ranker) rank(text string) []nlu.Prediction {
	preds := r.model.Predict(text)
	if r.faqs == 0 {
		return preds
	}
	best := map[string]float64{}
	for _, n := range r.model.Nearest(text, r.faqs) {
		if n.Cosine >= FAQMinCosine && n.Cosine > best[n.Label] {
			best[n.Label] = n.Cosine
		}
	}
	for i, p := range preds {
		if c := best[p.Label]; c > p.Prob {
			preds[i].Prob = c
		}
	}
	sort.SliceStable(preds, func(i, j int) bool { return preds[i].Prob > preds[j].Prob })
	return preds
}

// rank scores every label of the bot for text, best first: the score the
// decision rule compares with the threshold. Without the sentence encoder
// it is ranker.rank; with it, intents and FAQ entries score the blend of
// both models' probabilities (see Rank).
func (u *Understander) rank(text string) []nlu.Prediction {
	r := u.Rank(text)
	preds := make([]nlu.Prediction, len(r.Candidates))
	for i, c := range r.Candidates {
		preds[i] = nlu.Prediction{Label: c.Label, Prob: c.Score}
	}
	return preds
}

// HandoffReply renders the bot's handoff message (top-level handoff:) for the
// customer of in, for hand-offs the engine decides itself (after repeated
// fallbacks, negative sentiment). It returns false when the bot has none.
func (u *Understander) HandoffReply(in core.Input) (core.ReplyText, bool) {
	st := in.State
	name := in.UserName
	if name == "" {
		name = st.UserName
	}
	text, _, err := u.bot.Handoff.Render(u.rng(in), u.language(in), u.defaultLang, Data{UserName: name, Slots: st.Slots})
	if err != nil {
		return core.ReplyText{}, false
	}
	return core.ReplyText{Text: text}, true
}

// language decides the customer's language for one message.
func (u *Understander) language(in core.Input) string {
	if l := strings.ToLower(strings.TrimSpace(in.Language)); l != "" {
		return l
	}
	if hasWords(in.Text) || in.State.Language == "" && hasLetters(in.Text) {
		return nlu.DetectLanguage(in.Text)
	}
	if in.State.Language != "" {
		return in.State.Language
	}
	return u.defaultLang
}

// hasWords reports whether s has a CJK character or a word of three or
// more letters: "AB123456" or "ok" do not change the conversation's language.
func hasWords(s string) bool {
	for _, tok := range nlu.Tokens(s) {
		letters := 0
		for _, r := range tok {
			if unicode.Is(unicode.Han, r) {
				return true
			}
			if !unicode.IsLetter(r) {
				letters = -100
			}
			letters++
		}
		if letters >= 3 {
			return true
		}
	}
	return false
}

func hasLetters(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// rng returns the random source for one call: seeded from the options and
// the input when Options.Seed is set, fresh otherwise.
func (u *Understander) rng(in core.Input) *rand.Rand {
	if u.seed == 0 {
		return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%d\x00%d", in.Text, in.State.Turns, in.State.Fallbacks)
	return rand.New(rand.NewPCG(uint64(u.seed), h.Sum64()))
}

var _ core.Notices = (*Understander)(nil)

// examplePhrase returns the first training phrase of label in lang (else in
// the default language), to name the label to the customer; "" if none.
func (u *Understander) examplePhrase(label, lang string) string {
	var phrases map[string][]string
	if isSmallTalk(label) {
		phrases = smallTalkExamples[strings.TrimPrefix(label, SmallTalkPrefix)]
	} else if strings.HasPrefix(label, faqPrefix) {
		for _, f := range u.bot.FAQs {
			if f.Label() == label {
				phrases = f.Questions
			}
		}
	} else {
		for _, in := range u.bot.Intents {
			if in.Name == label {
				phrases = in.Examples
			}
		}
	}
	for _, l := range []string{lang, u.defaultLang} {
		if p := phrases[l]; len(p) > 0 {
			return p[0]
		}
	}
	return ""
}
