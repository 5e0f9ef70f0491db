package main

import (
	"net/http"

	"github.com/switchboard-gw/switchboard/core"
)

// teamsHandler answers GET /admin/teams: each team's open and waiting
// cases, waiting and first reply times (seconds, p50/p90), open cases per
// agent and the agents with their duty, as JSON.
func teamsHandler(e *core.Engine) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stats, err := e.TeamStats(r.Context())
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		type team struct {
			Name              string         `json:"name"`
			Channel           string         `json:"channel"`
			Assign            string         `json:"assign"`
			Open              int            `json:"open_cases"`
			Waiting           int            `json:"waiting_cases"`
			WaitP50           float64        `json:"waiting_p50_seconds"`
			WaitP90           float64        `json:"waiting_p90_seconds"`
			FirstReplyP50     float64        `json:"first_reply_p50_seconds"`
			FirstReplyP90     float64        `json:"first_reply_p90_seconds"`
			AgentOpen         map[string]int `json:"agent_open_cases"`
			Agents            []core.Agent   `json:"agents"`
			OpenNow           *bool          `json:"open_now,omitempty"` // with business hours
			BotOnlyAfterHours bool           `json:"bot_only_after_hours,omitempty"`
		}
		teams := e.Teams()
		out := make([]team, 0, len(stats))
		for i, s := range stats {
			t := team{Name: s.Team, Open: s.Open, Waiting: s.Waiting, AgentOpen: s.AgentOpen,
				WaitP50: s.WaitP50.Seconds(), WaitP90: s.WaitP90.Seconds(),
				FirstReplyP50: s.FirstReplyP50.Seconds(), FirstReplyP90: s.FirstReplyP90.Seconds()}
			if i < len(teams) {
				t.Channel, t.Assign, t.BotOnlyAfterHours = teams[i].Channel, teams[i].Assign, teams[i].BotOnlyAfterHours
				if t.Assign == "" {
					t.Assign = core.AssignManual
				}
				if teams[i].Hours != nil {
					open := teams[i].Hours.Open(e.Now())
					t.OpenNow = &open
				}
			}
			agents, err := e.Agents(r.Context(), s.Team)
			if err != nil {
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
				return
			}
			t.Agents = agents
			out = append(out, t)
		}
		writeJSON(w, http.StatusOK, map[string]any{"teams": out})
	})
}
