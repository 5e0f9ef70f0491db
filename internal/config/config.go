// Package config loads Switchboard's configuration from config.yaml, the
// environment and secret files, with viper. It is the only package that
// imports viper; everything else receives the plain typed Config.
//
// Precedence, highest first: environment variables (SWITCHBOARD_SECTION_KEY,
// e.g. SWITCHBOARD_SLACK_SIGNING_SECRET), the config file, the defaults.
// Every secret key also has a "_file" twin (slack.signing_secret_file,
// SWITCHBOARD_SLACK_SIGNING_SECRET_FILE) naming a file whose content, with
// surrounding white space trimmed, is the secret. Setting both is an error.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"github.com/switchboard-gw/switchboard/internal/redact"
)

// Config is the whole configuration.
type Config struct {
	Server   Server   `mapstructure:"server"`
	Log      Log      `mapstructure:"log"`
	Store    Store    `mapstructure:"store"`
	Bot      Bot      `mapstructure:"bot"`
	Handoff  Handoff  `mapstructure:"handoff"`
	Outbox   Outbox   `mapstructure:"outbox"`
	Web      Web      `mapstructure:"web"`
	Limits   Limits   `mapstructure:"limits"`
	Actions  Actions  `mapstructure:"actions"`
	Slack    Slack    `mapstructure:"slack"`
	Telegram Telegram `mapstructure:"telegram"`
	Discord  Discord  `mapstructure:"discord"`
	WeChat   WeChat   `mapstructure:"wechat"`
	Privacy  Privacy  `mapstructure:"privacy"`

	// File is the config file that was read, empty when none.
	File string `mapstructure:"-"`
	// lines are the file's line numbers of keys inside handoff.teams and
	// handoff.routes ("handoff.routes[1].team"), for errors.
	lines map[string]int
}

// Server is the HTTP server.
type Server struct {
	Addr            string        `mapstructure:"addr"`
	AdminToken      string        `mapstructure:"admin_token"`
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
	// PublicURL is where the gateway is reached from outside
	// (https://bot.example); cases link to transcripts under it.
	PublicURL string `mapstructure:"public_url"`
	// Connection limits (issue 14): slow headers, slow bodies, idle
	// keep-alive connections.
	ReadHeaderTimeout time.Duration `mapstructure:"read_header_timeout"`
	ReadTimeout       time.Duration `mapstructure:"read_timeout"`
	IdleTimeout       time.Duration `mapstructure:"idle_timeout"`
	// TrustedProxies are the addresses (IPs or CIDR prefixes) whose
	// X-Forwarded-For is believed for the client address.
	TrustedProxies []string `mapstructure:"trusted_proxies"`
	// AdminBackup enables GET /admin/backup.
	AdminBackup bool `mapstructure:"admin_backup"`
	// MetricsToken, when set, is the bearer token GET /metrics requires.
	MetricsToken string `mapstructure:"metrics_token"`
	// MetricsAddr, when set, serves /metrics on this address only.
	MetricsAddr string `mapstructure:"metrics_addr"`
}

// Log is the process log.
type Log struct {
	Level  string `mapstructure:"level"`  // debug, info, warn, error
	Format string `mapstructure:"format"` // text or json
}

// Store is the database.
type Store struct {
	Backend   string        `mapstructure:"backend"` // bolt (nats comes later)
	Path      string        `mapstructure:"path"`
	NATSURL   string        `mapstructure:"nats_url"`
	DedupeTTL time.Duration `mapstructure:"dedupe_ttl"`
	// NoSync is not a configuration key: only `switchboard bench
	// --compare-nosync` sets it, to measure what durability costs.
	NoSync bool `mapstructure:"-"`
}

// Bot is the answering brain.
type Bot struct {
	Intents             string  `mapstructure:"intents"`
	Language            string  `mapstructure:"language"` // auto, en, zh, …
	ConfidenceThreshold float64 `mapstructure:"confidence_threshold"`
	Seed                int64   `mapstructure:"seed"`
	// Encoder is auto, on or off: when the built-in sentence encoder
	// scores English messages next to the lexical model.
	Encoder string `mapstructure:"encoder"`
}

// Handoff are the rules for handing a conversation to a human.
type Handoff struct {
	// Teams and Routes route cases (see routing.go); no teams: one team
	// at slack.support_channel.
	Teams  []Team  `mapstructure:"teams"`
	Routes []Route `mapstructure:"routes"`

	AfterFallbacks      int           `mapstructure:"after_fallbacks"`
	OnNegativeSentiment bool          `mapstructure:"on_negative_sentiment"`
	IdleReturn          time.Duration `mapstructure:"idle_return"`
	IdleWarning         time.Duration `mapstructure:"idle_warning"`
	UnassignedAlert     time.Duration `mapstructure:"unassigned_alert"`
	Notify              string        `mapstructure:"notify"`
	NotePrefix          string        `mapstructure:"note_prefix"`
	EditWindow          time.Duration `mapstructure:"edit_window"`
	MaxCasesPerHour     int           `mapstructure:"max_cases_per_hour"`
}

// Outbox tunes reply delivery.
type Outbox struct {
	Workers     int           `mapstructure:"workers"`
	MaxAttempts int           `mapstructure:"max_attempts"`
	BaseBackoff time.Duration `mapstructure:"base_backoff"`
	MaxBackoff  time.Duration `mapstructure:"max_backoff"`
}

// Limits is the per-conversation inbound message limit (a token bucket):
// Messages per Per, bursts of Burst. Messages 0 disables it.
type Limits struct {
	Messages int           `mapstructure:"messages"`
	Per      time.Duration `mapstructure:"per"`
	Burst    int           `mapstructure:"burst"`
}

// Actions are the bot's flow webhooks.
type Actions struct {
	// AllowPrivate lets every action call loopback, private and
	// link-local addresses.
	AllowPrivate bool `mapstructure:"allow_private"`
}

// Web is the built-in web chat: its branding, languages and embedding
// (see adapters/web.Branding for what each key does).
type Web struct {
	Enabled        bool                         `mapstructure:"enabled"`
	Title          string                       `mapstructure:"title"`
	BotName        string                       `mapstructure:"bot_name"`
	AvatarURL      string                       `mapstructure:"avatar_url"`
	AvatarFile     string                       `mapstructure:"avatar_file"`
	LogoURL        string                       `mapstructure:"logo_url"`
	PrimaryColor   string                       `mapstructure:"primary_color"`
	Welcome        map[string]string            `mapstructure:"welcome"`       // per language
	QuickReplies   map[string][]string          `mapstructure:"quick_replies"` // per language, with the welcome
	Placeholder    map[string]string            `mapstructure:"placeholder"`   // per language
	Strings        map[string]map[string]string `mapstructure:"strings"`       // per language: UI string overrides
	AllowedOrigins []string                     `mapstructure:"allowed_origins"`
	Prechat        []string                     `mapstructure:"prechat"` // name, email
	// Sessions and their limits (issue 14).
	SessionTTL           time.Duration `mapstructure:"session_ttl"`
	UnusedSessionTTL     time.Duration `mapstructure:"unused_session_ttl"`
	SessionsPerMinute    int           `mapstructure:"sessions_per_minute"`
	SessionBurst         int           `mapstructure:"session_burst"`
	MaxStreamsPerSession int           `mapstructure:"max_streams_per_session"`
	MaxStreamsPerClient  int           `mapstructure:"max_streams_per_client"`
	MaxStreams           int           `mapstructure:"max_streams"`
	StreamMaxLife        time.Duration `mapstructure:"stream_max_life"`
}

// Slack is the Slack app.
type Slack struct {
	Enabled        bool   `mapstructure:"enabled"`
	BotToken       string `mapstructure:"bot_token"`
	SigningSecret  string `mapstructure:"signing_secret"`
	SupportChannel string `mapstructure:"support_channel"`
	APIURL         string `mapstructure:"api_url"`
	Mode           string `mapstructure:"mode"`      // events (HTTP Events API) or socket (Socket Mode)
	AppToken       string `mapstructure:"app_token"` // xapp-… for Socket Mode
}

// Telegram is the Telegram bot.
type Telegram struct {
	Enabled     bool   `mapstructure:"enabled"`
	Token       string `mapstructure:"token"`
	SecretToken string `mapstructure:"secret_token"`
	APIURL      string `mapstructure:"api_url"`
	Mode        string `mapstructure:"mode"` // webhook or polling
}

// Discord is the Discord application.
type Discord struct {
	Enabled       bool     `mapstructure:"enabled"`
	Token         string   `mapstructure:"token"`
	PublicKey     string   `mapstructure:"public_key"`
	ApplicationID string   `mapstructure:"application_id"`
	APIURL        string   `mapstructure:"api_url"`
	Channels      []string `mapstructure:"channels"` // guild channels where every message is answered
	GuildID       string   `mapstructure:"guild_id"` // register /ask in this guild only (instant); empty = global
}

// WeChat is the WeChat Official Account.
type WeChat struct {
	Enabled        bool   `mapstructure:"enabled"`
	AppID          string `mapstructure:"app_id"`
	AppSecret      string `mapstructure:"app_secret"`
	Token          string `mapstructure:"token"`
	EncodingAESKey string `mapstructure:"encoding_aes_key"`
	APIURL         string `mapstructure:"api_url"`
	// MaxClockSkew bounds the age (and lead) of a push's signed timestamp.
	MaxClockSkew time.Duration `mapstructure:"max_clock_skew"`
}

// Privacy is what is masked where (see internal/redact for the kinds).
type Privacy struct {
	// Redact are the kinds masked in logs, exports, analytics, the console
	// and (with RedactTranscripts) stored transcripts.
	Redact []string `mapstructure:"redact"`
	// RedactPatterns are owner regular expressions masked everywhere,
	// agents' view included.
	RedactPatterns []string `mapstructure:"redact_patterns"`
	// RedactForAgents are the kinds masked in what agents see (Slack cases).
	RedactForAgents   []string `mapstructure:"redact_for_agents"`
	RedactTranscripts bool     `mapstructure:"redact_transcripts"`
}

// RedactConfig is the redact.Config for logs, exports, analytics, the
// console and stored transcripts.
func (p Privacy) RedactConfig() redact.Config {
	return redact.Config{Kinds: kinds(p.Redact), Patterns: p.RedactPatterns}
}

// AgentRedactConfig is the redact.Config for what agents see.
func (p Privacy) AgentRedactConfig() redact.Config {
	return redact.Config{Kinds: kinds(p.RedactForAgents), Patterns: p.RedactPatterns}
}

func kinds(names []string) []redact.Kind {
	ks := make([]redact.Kind, len(names))
	for i, n := range names {
		ks[i] = redact.Kind(n)
	}
	return ks
}

// splitLists splits the privacy kind lists given as one comma-separated
// string (from the environment: SWITCHBOARD_PRIVACY_REDACT=email,card).
func (p *Privacy) splitLists() {
	split := func(l []string) []string {
		out := make([]string, 0, len(l))
		for _, s := range l {
			for _, f := range strings.Split(s, ",") {
				if f = strings.TrimSpace(f); f != "" {
					out = append(out, f)
				}
			}
		}
		return out
	}
	p.Redact = split(p.Redact)
	p.RedactForAgents = split(p.RedactForAgents)
}

// defaults lists every key with its default value. It is the single list of
// keys: env bindings and unknown-key checks derive from it.
var defaults = map[string]any{
	"server.addr":                   ":8080",
	"server.admin_token":            "",
	"server.shutdown_timeout":       "15s",
	"server.public_url":             "",
	"server.read_header_timeout":    "10s",
	"server.read_timeout":           "30s",
	"server.idle_timeout":           "2m",
	"server.trusted_proxies":        []string{},
	"server.admin_backup":           true,
	"server.metrics_token":          "",
	"server.metrics_addr":           "",
	"log.level":                     "info",
	"log.format":                    "text",
	"store.backend":                 "bolt",
	"store.path":                    "data/switchboard.db",
	"store.nats_url":                "",
	"store.dedupe_ttl":              "24h",
	"bot.intents":                   "intents/",
	"bot.language":                  "auto",
	"bot.confidence_threshold":      0.0,
	"bot.seed":                      1,
	"bot.encoder":                   "auto",
	"handoff.teams":                 []any{},
	"handoff.routes":                []any{},
	"handoff.after_fallbacks":       2,
	"handoff.on_negative_sentiment": true,
	"handoff.idle_return":           "30m",
	"handoff.unassigned_alert":      "10m",
	"handoff.idle_warning":          "5m",
	"handoff.notify":                "",
	"handoff.note_prefix":           "",
	"handoff.edit_window":           "15m",
	"handoff.max_cases_per_hour":    3,
	"outbox.workers":                16,
	"outbox.max_attempts":           20,
	"outbox.base_backoff":           "500ms",
	"outbox.max_backoff":            "5m",
	"limits.messages":               10,
	"actions.allow_private":         false,
	"limits.per":                    "10s",
	"limits.burst":                  10,
	"web.enabled":                   true,
	"web.title":                     "Chat",
	"web.bot_name":                  "Assistant",
	"web.avatar_url":                "",
	"web.avatar_file":               "",
	"web.logo_url":                  "",
	"web.primary_color":             "#2563eb",
	"web.welcome":                   map[string]any{},
	"web.quick_replies":             map[string]any{},
	"web.placeholder":               map[string]any{},
	"web.strings":                   map[string]any{},
	"web.allowed_origins":           []string{},
	"web.prechat":                   []string{},
	"web.session_ttl":               "720h",
	"web.unused_session_ttl":        "12h",
	"web.sessions_per_minute":       10,
	"web.session_burst":             20,
	"web.max_streams_per_session":   3,
	"web.max_streams_per_client":    20,
	"web.max_streams":               2000,
	"web.stream_max_life":           "30m",
	"slack.enabled":                 false,
	"slack.bot_token":               "",
	"slack.signing_secret":          "",
	"slack.support_channel":         "",
	"slack.api_url":                 "",
	"slack.mode":                    "events",
	"slack.app_token":               "",
	"telegram.enabled":              false,
	"telegram.token":                "",
	"telegram.secret_token":         "",
	"telegram.api_url":              "",
	"telegram.mode":                 "webhook",
	"discord.enabled":               false,
	"discord.token":                 "",
	"discord.public_key":            "",
	"discord.application_id":        "",
	"discord.api_url":               "",
	"discord.channels":              []string{},
	"discord.guild_id":              "",
	"wechat.enabled":                false,
	"wechat.app_id":                 "",
	"wechat.app_secret":             "",
	"wechat.token":                  "",
	"wechat.encoding_aes_key":       "",
	"wechat.api_url":                "",
	"wechat.max_clock_skew":         "5m",
	"privacy.redact":                []string{"email", "phone", "card", "cn_id", "iban"},
	"privacy.redact_patterns":       []string{},
	"privacy.redact_for_agents":     []string{"card", "cn_id", "iban"},
	"privacy.redact_transcripts":    false,
}

// freeMaps are the keys whose value is a map with keys of the owner's
// choosing (languages), so nested keys under them are not unknown. From the
// environment they take a JSON object.
var freeMaps = []string{"web.welcome", "web.quick_replies", "web.placeholder", "web.strings"}

// jsonLists are the keys whose value is a list of objects; from the
// environment they take a JSON array.
var jsonLists = []string{"handoff.teams", "handoff.routes"}

// underFreeMap reports whether key is inside one of freeMaps.
func underFreeMap(key string) bool {
	for _, m := range freeMaps {
		if strings.HasPrefix(key, m+".") {
			return true
		}
	}
	return false
}

// secrets are the keys that also accept a "_file" twin and are never logged.
var secrets = []string{
	"server.admin_token", "server.metrics_token",
	"slack.bot_token", "slack.signing_secret", "slack.app_token",
	"telegram.token", "telegram.secret_token",
	"discord.token",
	"wechat.app_secret", "wechat.token", "wechat.encoding_aes_key",
}

// Keys returns every configuration key, sorted (secret "_file" twins included).
func Keys() []string {
	keys := make([]string, 0, len(defaults)+len(secrets))
	for k := range defaults {
		keys = append(keys, k)
	}
	for _, s := range secrets {
		keys = append(keys, s+"_file")
	}
	sort.Strings(keys)
	return keys
}

// EnvName returns the environment variable that overrides key.
func EnvName(key string) string {
	return "SWITCHBOARD_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Load reads the config file at path (if path is empty, ./config.yaml when it
// exists, else defaults only), applies environment overrides and secret
// files, and returns the Config. It does not call Validate. Errors name the
// file and the key at fault.
func Load(path string, env func(string) (string, bool)) (*Config, error) {
	if env == nil {
		env = os.LookupEnv
	}
	v := viper.New()
	for k, d := range defaults {
		v.SetDefault(k, d)
	}
	for _, s := range secrets {
		v.SetDefault(s+"_file", "")
	}
	var lines map[string]int
	file := path
	if file == "" {
		if _, err := os.Stat("config.yaml"); err == nil {
			file = "config.yaml"
		}
	}
	if file != "" {
		v.SetConfigFile(file)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("config: read %s: %w", file, err)
		}
		if err := checkUnknown(v, file); err != nil {
			return nil, err
		}
		var err error
		if lines, err = routingLines(file); err != nil {
			return nil, err
		}
	}
	// Explicit env lookups (not viper.AutomaticEnv) so that tests can pass
	// their own environment and every key is covered.
	for _, k := range Keys() {
		if val, ok := env(EnvName(k)); ok {
			if slices.Contains(jsonLists, k) {
				var l []any
				if err := json.Unmarshal([]byte(val), &l); err != nil {
					return nil, fmt.Errorf("config: %s must be a JSON array such as [{\"name\": \"support\", \"channel\": \"C0123\"}]: %w", EnvName(k), err)
				}
				v.Set(k, l)
				continue
			}
			if slices.Contains(freeMaps, k) {
				var m map[string]any
				if err := json.Unmarshal([]byte(val), &m); err != nil {
					return nil, fmt.Errorf("config: %s must be a JSON object such as {\"en\": \"…\"}: %w", EnvName(k), err)
				}
				v.Set(k, m)
				continue
			}
			v.Set(k, val)
		}
	}
	for _, s := range secrets {
		fileKey := s + "_file"
		fp := v.GetString(fileKey)
		if fp == "" {
			continue
		}
		if v.GetString(s) != "" {
			return nil, fmt.Errorf("config: %s and %s are both set; set only one", s, fileKey)
		}
		b, err := os.ReadFile(fp)
		if err != nil {
			return nil, fmt.Errorf("config: %s: %w", fileKey, err)
		}
		v.Set(s, strings.TrimSpace(string(b)))
	}
	if err := checkDurations(v); err != nil {
		return nil, fmt.Errorf("config: %s: %w", orDefaults(file), err)
	}
	var cfg Config
	dec := func(c *mapstructure.DecoderConfig) {
		c.ErrorUnused = false // unknown keys were reported by checkUnknown with their full name
		c.WeaklyTypedInput = true
		c.DecodeHook = mapstructure.ComposeDecodeHookFunc(c.DecodeHook, dateToString)
	}
	if err := v.Unmarshal(&cfg, dec); err != nil {
		return nil, fmt.Errorf("config: %s: %w", orDefaults(file), err)
	}
	cfg.Privacy.splitLists()
	cfg.File = file
	cfg.lines = lines
	return &cfg, nil
}

func orDefaults(file string) string {
	if file == "" {
		return "defaults"
	}
	return file
}

// checkUnknown reports keys in the file that Switchboard does not know, so
// that a typo ("singing_secret") is an error rather than silently ignored.
func checkUnknown(v *viper.Viper, file string) error {
	known := make(map[string]bool)
	sections := make(map[string]bool)
	var sectionNames []string
	for _, k := range Keys() {
		known[k] = true
		s := strings.SplitN(k, ".", 2)[0]
		if !sections[s] {
			sectionNames = append(sectionNames, s)
		}
		sections[s] = true
	}
	didYouMean := func(s string, candidates []string) string {
		if c := closest(s, candidates); c != "" {
			return fmt.Sprintf(" (did you mean %q?)", c)
		}
		return ""
	}
	var errs []error
	for _, k := range v.AllKeys() {
		if known[k] || underFreeMap(k) {
			continue
		}
		if !v.InConfig(k) {
			continue
		}
		section := strings.SplitN(k, ".", 2)[0]
		if !sections[section] {
			errs = append(errs, fmt.Errorf("%s: unknown section %q%s", file, section, didYouMean(section, sectionNames)))
			continue
		}
		errs = append(errs, fmt.Errorf("%s: unknown key %q%s", file, k, didYouMean(k, Keys())))
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}
