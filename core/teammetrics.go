package core

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// firstReplyNamespace keeps recent first reply times: key
// "team/<unix nanos>", value seconds from the handoff to the first agent
// reply; they expire after a week.
const firstReplyNamespace = "first_reply"

// noteFirstReply records, in c, the first reply time of a case whose
// agent writes to the customer for the first time.
func (e *Engine) noteFirstReply(c *Commit, ho *Handoff, now time.Time) {
	if ho == nil || !ho.LastAgentAt.IsZero() {
		return
	}
	team := e.opts.Handoff.teamOf(ho).Name
	c.KV = append(c.KV, KVWrite{Namespace: firstReplyNamespace, Key: fmt.Sprintf("%s/%020d", team, now.UnixNano()),
		Value: []byte(strconv.FormatFloat(now.Sub(ho.Since).Seconds(), 'f', 1, 64)), TTL: handleTimesTTL})
}

// TeamStats are a team's numbers for /metrics and the console.
type TeamStats struct {
	Team    string
	Open    int // cases a person owns or should own
	Waiting int // of them, without an assignee
	// WaitP50 and WaitP90 are how long the waiting cases have waited so far.
	WaitP50, WaitP90 time.Duration
	// FirstReplyP50 and FirstReplyP90 are over the team's last 100 first
	// replies of the past week (zero without any).
	FirstReplyP50, FirstReplyP90 time.Duration
	// AgentOpen are the open cases per assignee (display name).
	AgentOpen map[string]int
	OnDuty    int
}

// TeamStats computes every team's stats now.
func (e *Engine) TeamStats(ctx context.Context) ([]TeamStats, error) {
	cases, err := e.OpenCases(ctx)
	if err != nil {
		return nil, err
	}
	replies, err := e.store.List(ctx, firstReplyNamespace, 100000)
	if err != nil {
		return nil, fmt.Errorf("engine: first replies: %w", err)
	}
	now := e.opts.Now()
	var out []TeamStats
	for _, t := range e.opts.Handoff.routing().Teams {
		s := TeamStats{Team: t.Name, AgentOpen: map[string]int{}}
		var waits, firsts []time.Duration
		for _, c := range cases {
			if c.Team != t.Name {
				continue
			}
			s.Open++
			if c.Handoff.AgentID == "" && c.Handoff.Agent == "" {
				s.Waiting++
				waits = append(waits, now.Sub(c.Handoff.Since))
				continue
			}
			s.AgentOpen[c.Handoff.Agent]++
		}
		for _, r := range replies {
			if strings.HasPrefix(r.Key, t.Name+"/") {
				if f, err := strconv.ParseFloat(string(r.Value), 64); err == nil {
					firsts = append(firsts, time.Duration(f*float64(time.Second)))
				}
			}
		}
		if len(firsts) > 100 {
			firsts = firsts[len(firsts)-100:]
		}
		s.WaitP50, s.WaitP90 = quantile(waits, 0.5), quantile(waits, 0.9)
		s.FirstReplyP50, s.FirstReplyP90 = quantile(firsts, 0.5), quantile(firsts, 0.9)
		agents, err := e.Agents(ctx, t.Name)
		if err != nil {
			return nil, err
		}
		for _, a := range agents {
			if a.OnDuty {
				s.OnDuty++
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// quantile is the nearest-rank q-quantile of ds (zero when empty).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*q+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// teamCollector exports TeamStats at scrape time.
type teamCollector struct {
	e                                          *Engine
	open, waiting, wait, firstReply, agentOpen *prometheus.Desc
	onDuty                                     *prometheus.Desc
}

// NewTeamCollector returns a Prometheus collector of every team's stats,
// computed from the store at each scrape (so they agree across replicas).
func NewTeamCollector(e *Engine) prometheus.Collector {
	return &teamCollector{e: e,
		open:       prometheus.NewDesc("switchboard_team_open_cases", "Open cases of a team (assigned or waiting).", []string{"team"}, nil),
		waiting:    prometheus.NewDesc("switchboard_team_waiting_cases", "Open cases of a team without an assignee.", []string{"team"}, nil),
		wait:       prometheus.NewDesc("switchboard_team_waiting_seconds", "How long a team's waiting cases have waited so far, by quantile.", []string{"team", "quantile"}, nil),
		firstReply: prometheus.NewDesc("switchboard_team_first_reply_seconds", "Time from handoff to the first agent reply, over a team's last 100 cases of the past week, by quantile.", []string{"team", "quantile"}, nil),
		agentOpen:  prometheus.NewDesc("switchboard_team_agent_open_cases", "Open cases per assignee of a team.", []string{"team", "agent"}, nil),
		onDuty:     prometheus.NewDesc("switchboard_team_agents_on_duty", "Agents on duty in a team.", []string{"team"}, nil),
	}
}

func (c *teamCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.open, c.waiting, c.wait, c.firstReply, c.agentOpen, c.onDuty} {
		ch <- d
	}
}

func (c *teamCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stats, err := c.e.TeamStats(ctx)
	if err != nil {
		c.e.log.Warn("team metrics not collected", "err", err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, s := range stats {
		gauge(c.open, float64(s.Open), s.Team)
		gauge(c.waiting, float64(s.Waiting), s.Team)
		gauge(c.onDuty, float64(s.OnDuty), s.Team)
		gauge(c.wait, s.WaitP50.Seconds(), s.Team, "0.5")
		gauge(c.wait, s.WaitP90.Seconds(), s.Team, "0.9")
		gauge(c.firstReply, s.FirstReplyP50.Seconds(), s.Team, "0.5")
		gauge(c.firstReply, s.FirstReplyP90.Seconds(), s.Team, "0.9")
		agents := make([]string, 0, len(s.AgentOpen))
		for a := range s.AgentOpen {
			agents = append(agents, a)
		}
		sort.Strings(agents)
		for _, a := range agents {
			gauge(c.agentOpen, float64(s.AgentOpen[a]), s.Team, a)
		}
	}
}
