package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// User is a Discord user as it appears in payloads.
type User struct {
	ID            string  `json:"id"`
	Username      string  `json:"username"`
	GlobalName    string  `json:"global_name,omitempty"`
	Discriminator string  `json:"discriminator,omitempty"`
	Avatar        *string `json:"avatar"`
	Bot           bool    `json:"bot,omitempty"`
}

// interaction is an interaction the fake issued.
type interaction struct {
	id, token, channelID string
	created              time.Time
	acked                bool
	expired              bool
	responseType         int
}

// Signer signs interaction requests like Discord, with an Ed25519 key.
type Signer struct {
	key ed25519.PrivateKey
}

// NewSigner returns a Signer with a fresh key.
func NewSigner() *Signer {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		// crypto/rand does not fail on supported platforms.
		return SignerFromSeed(make([]byte, ed25519.SeedSize))
	}
	return &Signer{key: key}
}

// SignerFromSeed returns a Signer for a 32-byte seed (e.g. RFC 8032's test keys).
func SignerFromSeed(seed []byte) *Signer {
	return &Signer{key: ed25519.NewKeyFromSeed(seed)}
}

// PublicKeyHex is the application public key to configure, in hex.
func (s *Signer) PublicKeyHex() string {
	return hex.EncodeToString(s.key.Public().(ed25519.PublicKey))
}

// Sign returns the hex X-Signature-Ed25519 of timestamp+body.
func (s *Signer) Sign(timestamp string, body []byte) string {
	return hex.EncodeToString(ed25519.Sign(s.key, append([]byte(timestamp), body...)))
}

// NewRequest returns a signed POST of body to url, timestamped at.
func (s *Signer) NewRequest(ctx context.Context, url string, body []byte, at time.Time) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("fake discord: interaction request: %w", err)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Discord-Interactions/1.0 (+https://discord.com)")
	req.Header.Set("X-Signature-Timestamp", ts)
	req.Header.Set("X-Signature-Ed25519", s.Sign(ts, body))
	return req, nil
}

// Interaction is an interaction payload issued by API.Ask or API.Press.
type Interaction struct {
	ID    string
	Token string
	Body  []byte
}

// Where says where an interaction happens: a guild channel (GuildID set)
// or a DM (GuildID empty).
type Where struct {
	ChannelID string
	GuildID   string
}

// Ask issues an /ask interaction with the question from user.
func (a *API) Ask(where Where, user User, question string) Interaction {
	data := map[string]any{
		"id": "1300000000000000001", "name": "ask", "type": 1,
		"options": []map[string]any{{"name": "question", "type": 3, "value": question}},
	}
	return a.issue(2, where, user, data, nil)
}

// Press issues a button press on the bot's message messageID whose button
// (label, customID) the user clicked.
func (a *API) Press(where Where, user User, messageID, label, customID string) Interaction {
	data := map[string]any{"custom_id": customID, "component_type": 2}
	msg := map[string]any{
		"id": messageID, "channel_id": where.ChannelID, "author": a.bot, "content": "How can I help?",
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "type": 0, "flags": 0,
		"components": []any{map[string]any{"type": 1, "components": []any{
			map[string]any{"type": 2, "style": 2, "label": label, "custom_id": customID},
		}}},
	}
	return a.issue(3, where, user, data, msg)
}

// Ping issues a PING interaction.
func (a *API) Ping() Interaction {
	return a.issue(1, Where{}, User{}, nil, nil)
}

func (a *API) issue(typ int, where Where, user User, data, message map[string]any) Interaction {
	a.mu.Lock()
	id := a.newID()
	a.mu.Unlock()
	token := "aW50ZXJhY3Rpb246" + id + "_" + hex.EncodeToString(randomBytes(48))
	p := map[string]any{
		"id": id, "application_id": a.appID, "type": typ, "token": token, "version": 1,
		"entitlements": []any{}, "locale": "en-US",
	}
	if typ != 1 {
		p["channel_id"] = where.ChannelID
		p["channel"] = map[string]any{"id": where.ChannelID, "type": 0}
		p["data"] = data
		p["app_permissions"] = "562949953421311"
		if where.GuildID != "" {
			p["guild_id"] = where.GuildID
			p["guild_locale"] = "en-US"
			p["context"] = 0
			p["authorizing_integration_owners"] = map[string]string{"0": where.GuildID}
			p["member"] = map[string]any{"user": user, "nick": nil, "roles": []any{}, "joined_at": "2024-01-01T00:00:00.000000+00:00",
				"deaf": false, "mute": false, "flags": 0, "permissions": "1126874495909441"}
		} else {
			p["channel"] = map[string]any{"id": where.ChannelID, "type": 1}
			p["context"] = 1
			p["authorizing_integration_owners"] = map[string]string{"0": "0"}
			p["user"] = user
		}
		if message != nil {
			p["message"] = message
		}
	}
	body, _ := json.Marshal(p) // only maps of strings, numbers and slices
	a.mu.Lock()
	a.interactions[token] = &interaction{id: id, token: token, channelID: where.ChannelID, created: time.Now()}
	a.mu.Unlock()
	return Interaction{ID: id, Token: token, Body: body}
}

// IssueRaw registers an interaction body written elsewhere (a recorded
// payload under an adapter's testdata/) so that its token accepts
// follow-ups once it is acknowledged, and returns it. The body must carry
// id and token.
func (a *API) IssueRaw(body []byte) (Interaction, error) {
	var p struct {
		ID        string `json:"id"`
		Token     string `json:"token"`
		ChannelID string `json:"channel_id"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.ID == "" || p.Token == "" {
		return Interaction{}, fmt.Errorf("fake discord: interaction body without id or token: %v", err)
	}
	a.mu.Lock()
	a.interactions[p.Token] = &interaction{id: p.ID, token: p.Token, channelID: p.ChannelID, created: time.Now()}
	a.mu.Unlock()
	return Interaction{ID: p.ID, Token: p.Token, Body: body}, nil
}

// Expire makes the interaction's token invalid, as 15 minutes after it was issued.
func (a *API) Expire(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if it := a.interactions[token]; it != nil {
		it.expired = true
	}
}

// Response is what the interactions endpoint answered.
type Response struct {
	Status int
	Type   int             // the interaction response type, 0 when none
	Data   json.RawMessage // the response's data, if any
}

// Deliver POSTs it to the application's interactions endpoint url, signed
// by s, as Discord does, and returns the answer. A nil c means
// http.DefaultClient. A 200 with response type
// 4, 5, 6 or 7 acknowledges the interaction, after which follow-ups are
// accepted for 15 minutes.
func (a *API) Deliver(ctx context.Context, c *http.Client, url string, s *Signer, it Interaction) (Response, error) {
	req, err := s.NewRequest(ctx, url, it.Body, time.Now())
	if err != nil {
		return Response{}, err
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("fake discord: deliver interaction: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Response{}, fmt.Errorf("fake discord: read interaction response: %w", err)
	}
	out := Response{Status: resp.StatusCode}
	if resp.StatusCode == http.StatusOK {
		var r struct {
			Type int             `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(b, &r); err != nil {
			return out, fmt.Errorf("fake discord: interaction response is not JSON: %w", err)
		}
		out.Type, out.Data = r.Type, r.Data
	}
	a.mu.Lock()
	if i := a.interactions[it.Token]; i != nil {
		i.responseType = out.Type
		i.acked = out.Status == http.StatusOK && out.Type >= 4 && out.Type <= 7
	}
	a.mu.Unlock()
	return out, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail on supported platforms
	return b
}
