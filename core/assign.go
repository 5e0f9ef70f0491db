package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Store namespaces of routing and assignment. They live in the Store, so
// duty, the round-robin turn and handle times survive restarts and are
// shared by replicas.
const (
	// DutyNamespace maps "team/agentID" to an agent's duty record (JSON).
	DutyNamespace = "duty"
	// rrNamespace maps a team to the agent id last given a case.
	rrNamespace = "assign_rr"
	// handleTimesNamespace keeps recent handle times: key
	// "team/<unix nanos>", value seconds; they expire after a week.
	handleTimesNamespace = "handle_times"
)

// DefaultHandleTime is the handle time assumed for the wait estimate
// while a team has no history.
const DefaultHandleTime = 10 * time.Minute

// QueueUpdateEvery is how often at most a queued customer is told their
// new place in the queue.
const QueueUpdateEvery = 3 * time.Minute

const handleTimesTTL = 7 * 24 * time.Hour

// Notice kinds of routing.
const (
	// NoticeAfterHours: the team is closed; slot next_open names the
	// next opening time.
	NoticeAfterHours = "after_hours"
	// NoticeQueue: every agent is busy; slots position and wait.
	NoticeQueue = "queue"
	// NoticeTransferred: an agent moved the case to another team; slot team.
	NoticeTransferred = "transferred"
)

// routingNotices are the built-in texts of the routing notices.
var routingNotices = map[string]map[string]string{
	NoticeAfterHours: {
		"en": "Our team is away right now. We open again {next_open} and will answer you here then.",
		"zh": "我们的客服团队目前不在线。我们将于{next_open}恢复服务，届时会在这里回复您。",
	},
	NoticeQueue: {
		"en": "All our agents are busy. You are number {position} in the queue; the estimated wait is about {wait}.",
		"zh": "目前所有客服都在忙。您在队列中排第 {position} 位，预计等待约 {wait}。",
	},
	NoticeTransferred: {
		"en": "I've passed your conversation to our {team} team. They will answer here.",
		"zh": "已将您的对话转给我们的 {team} 团队，他们会在这里回复您。",
	},
}

// noticeWith is a routing notice with values: the bot owner's text
// (Notices) sees them as slots ({{.Slots.next_open}}), the built-in texts
// replace {name}.
func (e *Engine) noticeWith(kind string, in Input, values map[string]string) ReplyText {
	in.State = in.State.Clone()
	if in.State.Slots == nil {
		in.State.Slots = map[string]string{}
	}
	for k, v := range values {
		in.State.Slots[k] = v
	}
	var rt ReplyText
	if n, ok := e.u.(Notices); ok {
		rt, ok = n.Notice(kind, in)
		if !ok {
			rt = ReplyText{}
		}
	}
	if strings.TrimSpace(rt.Text) == "" {
		lang := in.State.Language
		if lang == "" {
			lang = in.Language
		}
		rt = ReplyText{Text: routingNotices[kind]["en"]}
		if strings.HasPrefix(lang, "zh") {
			rt = ReplyText{Text: routingNotices[kind]["zh"]}
		}
	}
	for k, v := range values {
		rt.Text = strings.ReplaceAll(rt.Text, "{"+k+"}", v)
	}
	return rt
}

// Agent is a support agent of a team and whether they are on duty.
type Agent struct {
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	Team   string    `json:"team"`
	OnDuty bool      `json:"on_duty"`
	Since  time.Time `json:"since"`
}

// routing is the configured routing, or one team ("support") at the desk
// channel when none is configured.
func (h HandoffOptions) routing() Routing {
	if len(h.Routing.Teams) > 0 {
		return h.Routing
	}
	return Routing{Teams: []Team{{Name: "support", Channel: h.DeskChat, Notify: h.Notify}}}
}

// teamOf is the team of a handoff (the default team for cases opened
// before routing).
func (h HandoffOptions) teamOf(ho *Handoff) Team {
	r := h.routing()
	if ho != nil && ho.Team != "" {
		if t, ok := r.Team(ho.Team); ok {
			return t
		}
	}
	return r.Teams[0]
}

// teamOfChannel is the team whose channel is channel, else the default team.
func (h HandoffOptions) teamOfChannel(channel string) Team {
	r := h.routing()
	if t, ok := r.TeamOfChannel(channel); ok && channel != "" {
		return t
	}
	return r.Teams[0]
}

// Now is the engine's clock.
func (e *Engine) Now() time.Time { return e.opts.Now() }

// Teams returns the teams cases are routed to, the default first.
func (e *Engine) Teams() []Team { return slices.Clone(e.opts.Handoff.routing().Teams) }

// SetDuty puts an agent on or off duty in the named teams (all teams when
// teams is empty) and returns the teams changed. Unknown team names are
// an error.
func (e *Engine) SetDuty(ctx context.Context, teams []string, agentID, name string, on bool) ([]string, error) {
	if agentID == "" {
		return nil, errors.New("engine: duty without an agent id")
	}
	r := e.opts.Handoff.routing()
	if len(teams) == 0 {
		for _, t := range r.Teams {
			teams = append(teams, t.Name)
		}
	}
	now := e.opts.Now()
	for _, tn := range teams {
		if _, ok := r.Team(tn); !ok {
			return nil, fmt.Errorf("engine: no team %q", tn)
		}
		b, _ := json.Marshal(Agent{ID: agentID, Name: name, Team: tn, OnDuty: on, Since: now})
		if err := e.store.Put(ctx, DutyNamespace, tn+"/"+agentID, b, 0); err != nil {
			return nil, fmt.Errorf("engine: duty of %s: %w", agentID, err)
		}
	}
	if on && e.opts.Notify != nil {
		e.opts.Notify()
	}
	return teams, nil
}

// Agents returns the agents known to a team (who ever went on or off
// duty), by id.
func (e *Engine) Agents(ctx context.Context, team string) ([]Agent, error) {
	recs, err := e.store.List(ctx, DutyNamespace, 100000)
	if err != nil {
		return nil, fmt.Errorf("engine: list duty: %w", err)
	}
	var out []Agent
	for _, rec := range recs {
		if !strings.HasPrefix(rec.Key, team+"/") {
			continue
		}
		var a Agent
		if json.Unmarshal(rec.Value, &a) == nil {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// OpenCase is a case a person owns or should own.
type OpenCase struct {
	Key     ConversationKey
	Handoff Handoff
	Team    string
}

// OpenCases returns the open cases, oldest first.
func (e *Engine) OpenCases(ctx context.Context) ([]OpenCase, error) {
	recs, err := e.store.List(ctx, HandoffNamespace, 100000)
	if err != nil {
		return nil, fmt.Errorf("engine: list cases: %w", err)
	}
	h := e.opts.Handoff
	var out []OpenCase
	for _, rec := range recs {
		key, ok := ParseConversationKey(rec.Key)
		if !ok {
			continue
		}
		st, _, err := e.store.Load(ctx, key, nil)
		if err != nil {
			return nil, fmt.Errorf("engine: load case %s: %w", key, err)
		}
		if st.Handoff == nil {
			continue
		}
		out = append(out, OpenCase{Key: key, Handoff: *st.Handoff, Team: h.teamOf(st.Handoff).Name})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Handoff.Since.Before(out[j].Handoff.Since) })
	return out, nil
}

// pick is the outcome of choosing an agent for a case.
type pick struct {
	agent  *Agent
	queued bool // agents are on duty but all have MaxOpenCases
	onDuty int
	open   map[string]int // open cases by agent id
}

// pickAgent chooses the agent for a new case of team by its assignment
// mode among the agents on duty with room for another case; except is a
// conversation not to count (the case being assigned).
func (e *Engine) pickAgent(ctx context.Context, team Team, cases []OpenCase, except ConversationKey) (pick, error) {
	mode := team.assignMode()
	if mode == AssignManual {
		return pick{}, nil
	}
	agents, err := e.Agents(ctx, team.Name)
	if err != nil {
		return pick{}, err
	}
	p := pick{open: map[string]int{}}
	for _, c := range cases {
		if c.Key != except && c.Handoff.AgentID != "" {
			p.open[c.Handoff.AgentID]++
		}
	}
	var room []Agent
	for _, a := range agents {
		if !a.OnDuty || !e.present(ctx, team, a) {
			continue
		}
		p.onDuty++
		if team.MaxOpenCases == 0 || p.open[a.ID] < team.MaxOpenCases {
			room = append(room, a)
		}
	}
	if len(room) == 0 {
		p.queued = p.onDuty > 0
		return p, nil
	}
	switch mode {
	case AssignRoundRobin:
		last := ""
		if v, err := e.store.Get(ctx, rrNamespace, team.Name); err == nil {
			last = string(v)
		} else if !errors.Is(err, ErrNotFound) {
			return pick{}, fmt.Errorf("engine: round robin of %s: %w", team.Name, err)
		}
		p.agent = &room[0]
		for i := range room {
			if room[i].ID > last {
				p.agent = &room[i]
				break
			}
		}
	default: // least busy; ties go to the agent first in id order
		p.agent = &room[0]
		for i := range room {
			if p.open[room[i].ID] < p.open[p.agent.ID] {
				p.agent = &room[i]
			}
		}
	}
	return p, nil
}

// present reports whether an on-duty agent of a team that follows presence
// is present; a failed look-up counts as present (logged), so that a desk
// outage does not stop assignment.
func (e *Engine) present(ctx context.Context, team Team, a Agent) bool {
	h := e.opts.Handoff
	if !team.FollowPresence || h.Present == nil {
		return true
	}
	ok, err := h.Present(ctx, a.ID)
	if err != nil {
		e.log.WarnContext(ctx, "presence unknown; the agent counts as present", "agent", a.ID, "err", err)
		return true
	}
	return ok
}

// assignTo makes agent the assignee of the handoff in c: the case message
// shows it and the agent is mentioned in the case thread.
func (e *Engine) assignTo(c *Commit, ho *Handoff, team Team, agent Agent, open int, id string, now time.Time) {
	ho.Agent, ho.AgentID, ho.AssignedAt = agent.Name, agent.ID, now
	ho.QueuePos = 0
	c.KV = append(c.KV, KVWrite{Namespace: rrNamespace, Key: team.Name, Value: []byte(agent.ID)})
	e.caseStatus(c, id, CaseCard{Status: CaseAssigned, Agent: agent.Name, At: now})
	h := e.opts.Handoff
	note := Reply{ID: id + ".assigned", Key: h.deskKey(c.Key), Kind: ReplyNote, About: c.Key, From: AuthorBot, Created: now,
		Mention: "<@" + agent.ID + ">",
		Text:    fmt.Sprintf("this case is yours (%s, team %s; you now have %d open).", strings.ReplaceAll(team.assignMode(), "_", " "), team.Name, open+1)}
	c.Outbox = append(c.Outbox, OutboxEntry{Reply: note, NextAttempt: now, Created: now})
	c.Counters["assigned/"+team.Name]++
}

// lockTeam holds the team's assignment lock until c is committed (or
// fails), so that two cases opening at once in this process do not both
// count the same agent as free. Replicas are not serialised: their
// conflicting choices are corrected by later assignments counting the
// stored cases.
func (e *Engine) lockTeam(ctx context.Context, c *Commit, team Team) error {
	unlock, err := e.teamLocks.lock(ctx, "team:"+team.Name)
	if err != nil {
		return err
	}
	c.done = append(c.done, unlock)
	return nil
}

// finish runs what waits for the commit to be done.
func (c *Commit) finish() {
	for _, f := range c.done {
		f()
	}
	c.done = nil
}

// caseRoute is where a new case goes.
type caseRoute struct {
	team       Team
	afterHours bool
	botOnly    bool // out of hours with after_hours: bot_only: no case
}

// routeCase picks the team of a new case and, out of the team's hours,
// replaces the customer's notice with the after-hours text.
func (e *Engine) routeCase(d *Decision, m Message, in Input, card *CaseCard, reason string, asked bool, userName string, now time.Time) caseRoute {
	r := e.opts.Handoff.routing()
	team, _ := r.Route(RouteFacts{
		Language: card.Language, Platform: m.Key.Platform, Intents: card.Intents,
		Reason: reasonKind(*d, reason, asked), Slots: d.State.Slots, UserName: userName,
	})
	card.Team = team.Name
	rt := caseRoute{team: team}
	if team.Hours.Open(now) {
		return rt
	}
	rt.afterHours, rt.botOnly = true, team.BotOnlyAfterHours
	card.AfterHours = true
	next := "soon"
	lang := in.State.Language
	if lang == "" {
		lang = in.Language
	}
	if at, ok := team.Hours.NextOpen(now); ok {
		next = FormatOpening(at, lang)
	} else if strings.HasPrefix(lang, "zh") {
		next = "稍后"
	}
	d.Replies = []ReplyText{e.noticeWith(NoticeAfterHours, in, map[string]string{"next_open": next})}
	return rt
}

// assignNew assigns a new case of an automatically assigning team, or
// tells the customer their place in the queue when every agent on duty is
// at MaxOpenCases.
func (e *Engine) assignNew(ctx context.Context, c *Commit, d *Decision, in Input, team Team, id string, now time.Time) error {
	if team.assignMode() == AssignManual {
		return nil
	}
	if err := e.lockTeam(ctx, c, team); err != nil {
		return err
	}
	cases, err := e.OpenCases(ctx)
	if err != nil {
		return err
	}
	p, err := e.pickAgent(ctx, team, cases, c.Key)
	if err != nil {
		return err
	}
	ho := d.State.Handoff
	switch {
	case p.agent != nil:
		e.assignTo(c, ho, team, *p.agent, p.open[p.agent.ID], id, now)
	case p.queued:
		pos := 1
		for _, oc := range cases {
			if oc.Team == team.Name && oc.Handoff.AgentID == "" && oc.Key != c.Key {
				pos++
			}
		}
		rt, err := e.queueNotice(ctx, in, team, pos, p.onDuty)
		if err != nil {
			return err
		}
		d.Replies = append(d.Replies, rt)
		ho.QueuePos, ho.QueueToldAt = pos, now
		c.Counters["queued/"+team.Name]++
	}
	return nil
}

// queueNotice tells a customer their place and the estimated wait: the
// team's recent mean handle time for each case ahead, shared among the
// agents on duty.
func (e *Engine) queueNotice(ctx context.Context, in Input, team Team, pos, onDuty int) (ReplyText, error) {
	mean, err := e.meanHandleTime(ctx, team.Name)
	if err != nil {
		return ReplyText{}, err
	}
	wait := time.Duration(float64(mean) * float64(pos) / float64(max(1, onDuty)))
	lang := in.State.Language
	if lang == "" {
		lang = in.Language
	}
	return e.noticeWith(NoticeQueue, in, map[string]string{"position": strconv.Itoa(pos), "wait": formatWait(wait, lang)}), nil
}

// formatWait rounds a wait to whole minutes (at least one), in words.
func formatWait(d time.Duration, lang string) string {
	mins := int(d.Round(time.Minute) / time.Minute)
	mins = max(mins, 1)
	if strings.HasPrefix(lang, "zh") {
		return strconv.Itoa(mins) + " 分钟"
	}
	if mins == 1 {
		return "1 minute"
	}
	return strconv.Itoa(mins) + " minutes"
}

// recentHandleTimes is how many of a team's last handle times the wait
// estimate averages.
const recentHandleTimes = 20

// meanHandleTime is the mean of the team's recent handle times, or
// DefaultHandleTime without history.
func (e *Engine) meanHandleTime(ctx context.Context, team string) (time.Duration, error) {
	recs, err := e.store.List(ctx, handleTimesNamespace, 100000)
	if err != nil {
		return 0, fmt.Errorf("engine: handle times: %w", err)
	}
	var secs []float64
	for _, rec := range recs {
		if !strings.HasPrefix(rec.Key, team+"/") {
			continue
		}
		if f, err := strconv.ParseFloat(string(rec.Value), 64); err == nil {
			secs = append(secs, f)
		}
	}
	if len(secs) == 0 {
		return DefaultHandleTime, nil
	}
	if len(secs) > recentHandleTimes {
		secs = secs[len(secs)-recentHandleTimes:]
	}
	sum := 0.0
	for _, s := range secs {
		sum += s
	}
	return time.Duration(sum / float64(len(secs)) * float64(time.Second)), nil
}

// noteCaseEnd records the handle time of an assigned case that ends in c.
func (e *Engine) noteCaseEnd(c *Commit, ho *Handoff, now time.Time) {
	if ho == nil || ho.AssignedAt.IsZero() {
		return
	}
	team := e.opts.Handoff.teamOf(ho).Name
	secs := now.Sub(ho.AssignedAt).Seconds()
	c.KV = append(c.KV, KVWrite{Namespace: handleTimesNamespace, Key: fmt.Sprintf("%s/%020d", team, now.UnixNano()),
		Value: []byte(strconv.FormatFloat(secs, 'f', 1, 64)), TTL: handleTimesTTL})
}

// SweepQueues offers waiting cases of automatically assigning teams to
// agents with room, oldest first, and tells customers still queued their
// new place (at most every QueueUpdateEvery). It returns how many cases
// it changed. Run it every few seconds, like Sweep.
func (e *Engine) SweepQueues(ctx context.Context) (int, error) {
	r := e.opts.Handoff.routing()
	auto := false
	for _, t := range r.Teams {
		auto = auto || t.assignMode() != AssignManual
	}
	if !auto || !e.opts.Handoff.desk() {
		return 0, nil
	}
	cases, err := e.OpenCases(ctx)
	if err != nil {
		return 0, err
	}
	changed := 0
	pos := map[string]int{}
	for _, oc := range cases {
		team, _ := r.Team(oc.Team)
		if team.assignMode() == AssignManual || oc.Handoff.AgentID != "" {
			continue
		}
		pos[team.Name]++
		did, assigned, err := e.offer(ctx, oc.Key, team, pos[team.Name])
		if err != nil {
			return changed, err
		}
		if assigned {
			pos[team.Name]-- // no longer in the queue; offer counts the stored cases afresh
		}
		if did {
			changed++
		}
	}
	if changed > 0 && e.opts.Notify != nil {
		e.opts.Notify()
	}
	return changed, nil
}

// offer assigns one waiting case if an agent has room, else updates the
// customer's place in the queue when it changed and the last update is
// QueueUpdateEvery old.
func (e *Engine) offer(ctx context.Context, key ConversationKey, team Team, position int) (changed, assigned bool, err error) {
	unlock, err := e.locks.lock(ctx, key.String())
	if err != nil {
		return false, false, err
	}
	defer unlock()
	for attempt := 0; attempt <= maxConflictRetries; attempt++ {
		changed, assigned, err = e.offerOnce(ctx, key, team, position)
		if !errors.Is(err, ErrConflict) {
			return changed, assigned, err
		}
	}
	return false, false, nil
}

// offerOnce is one attempt of offer; ErrConflict means the case changed
// meanwhile.
func (e *Engine) offerOnce(ctx context.Context, key ConversationKey, team Team, position int) (changed, assigned bool, err error) {
	state, _, err := e.store.Load(ctx, key, nil)
	if err != nil {
		return false, false, fmt.Errorf("engine: offer %s: %w", key, err)
	}
	if state.Handoff == nil || state.Handoff.AgentID != "" {
		return false, false, nil
	}
	c := Commit{Key: key, SaveState: true, Counters: map[string]int64{}}
	defer c.finish()
	if err := e.lockTeam(ctx, &c, team); err != nil {
		return false, false, err
	}
	cases, err := e.OpenCases(ctx)
	if err != nil {
		return false, false, err
	}
	p, err := e.pickAgent(ctx, team, cases, key)
	if err != nil {
		return false, false, err
	}
	now := e.opts.Now()
	next := state.Clone()
	id := "offer." + NewID()
	switch {
	case p.agent != nil:
		e.assignTo(&c, next.Handoff, team, *p.agent, p.open[p.agent.ID], id, now)
		assigned = true
	case p.queued && position != next.Handoff.QueuePos &&
		(next.Handoff.QueueToldAt.IsZero() || now.Sub(next.Handoff.QueueToldAt) >= QueueUpdateEvery):
		in := Input{Key: key, State: state.Clone(), Language: state.Language, UserName: state.UserName, Now: now}
		rt, err := e.queueNotice(ctx, in, team, position, p.onDuty)
		if err != nil {
			return false, false, err
		}
		r := Reply{ID: id + ".queue", Key: key, From: AuthorBot, Text: rt.Text, Created: now}
		c.Turns = append(c.Turns, Turn{ID: r.ID, From: AuthorBot, Text: r.Text, At: now})
		c.Outbox = append(c.Outbox, OutboxEntry{Reply: r, NextAttempt: now, Created: now})
		next.Handoff.QueuePos, next.Handoff.QueueToldAt = position, now
	default:
		return false, false, nil
	}
	c.State = next
	c.State.Revision = state.Revision
	err = e.commit(ctx, c)
	if errors.Is(err, ErrConflict) {
		return false, false, err
	}
	if err != nil {
		return false, false, fmt.Errorf("engine: offer %s: %w", key, err)
	}
	return true, assigned, nil
}
