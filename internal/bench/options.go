package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/internal/config"
)

// ServeFunc runs a gateway with cfg until ctx is done, logging to log, and
// sends its listening address on ready once it accepts connections. The
// command's serve has this signature.
type ServeFunc func(ctx context.Context, cfg *config.Config, log *slog.Logger, ready chan<- string) error

// Platform names, as in --platforms.
const (
	Web      = "web"
	Slack    = "slack"
	Telegram = "telegram"
	Discord  = "discord"
	WeChat   = "wechat"
)

// AllPlatforms is the default of Options.Platforms.
var AllPlatforms = []string{Web, Slack, Telegram, Discord, WeChat}

// Defaults of Options.
const (
	DefaultConnections = 64
	DefaultDuration    = 10 * time.Second
	DefaultGrace       = 5 * time.Second
	DefaultDrainMax    = 2 * time.Minute
	DefaultRetries     = 3
	DefaultWebSessions = 256
	DefaultSlowRate    = 0.1
	DefaultSlowLatency = 50 * time.Millisecond
	DefaultFsyncProbes = 200
)

// Options configure Run. Zero values take the defaults above.
type Options struct {
	// Serve starts the in-process gateway; required unless Target is set.
	Serve ServeFunc
	// Config is the gateway's base configuration (bot, outbox, store
	// tuning); Run copies it and replaces the server, store, log and
	// platform settings. Nil means config defaults.
	Config *config.Config
	// Target, when set, is the base URL of a gateway that is already
	// running; only the web chat can be driven then (the platforms need the
	// gateway's api_urls and secrets, which only the in-process mode sets).
	Target string

	// Platforms to drive; default AllPlatforms.
	Platforms []string
	// Questions the customers ask; default the sample bot's (Questions).
	Questions []Question
	// Rate, when > 0, sends that many messages per second in total (open
	// loop; latency counts from when a message was due). Otherwise each of
	// Connections sends its next message as soon as the last one was
	// acknowledged.
	Rate        float64
	Connections int
	// Duration of the load; Messages, when > 0, stops after that many
	// messages instead.
	Duration time.Duration
	Messages int
	// Retries of an unacknowledged webhook (non-2xx or timeout), per
	// message: 0 means DefaultRetries, a negative number none. Discord
	// never retries.
	Retries int
	// Grace is how long Run waits after the load for replies once none has
	// arrived for that long; DrainMax bounds the whole wait.
	Grace    time.Duration
	DrainMax time.Duration
	// Uncapped offers Telegram, Slack and Discord more messages than the
	// adapters may send to them per second (their replies then queue).
	Uncapped bool
	// WebSessions is how many web chat sessions the web messages rotate over.
	WebSessions int

	// SlowPlatform makes the fake APIs answer a fraction SlowRate of sends
	// with 429 and Retry-After, and delay every send by SlowLatency.
	SlowPlatform bool
	SlowRate     float64
	SlowLatency  time.Duration

	// FsyncProbe measures fdatasync latency in the store directory first.
	FsyncProbe  bool
	FsyncProbes int
	// CompareNoSync runs the load a second time on a gateway whose store
	// does not fsync, to show what durability costs.
	CompareNoSync bool

	// Dir is where Run creates its working directory (switchboard-bench-*)
	// for the stores, the gateway's log and the fsync probe: put it on the
	// disk the gateway will use. Default os.TempDir(). The working
	// directory is removed at the end unless Keep is set or a secret was
	// found in the log.
	Dir  string
	Keep bool
	// LogLevel of the in-process gateway; its log goes to a file in Dir and
	// is scanned for secrets.
	LogLevel slog.Level
	// Progress, when not nil, receives a progress line every second.
	Progress io.Writer
}

func (o Options) withDefaults() Options {
	if len(o.Platforms) == 0 {
		o.Platforms = AllPlatforms
	}
	if o.Connections <= 0 {
		o.Connections = DefaultConnections
	}
	if o.Duration <= 0 && o.Messages <= 0 {
		o.Duration = DefaultDuration
	}
	if o.Retries < 0 {
		o.Retries = 0
	} else if o.Retries == 0 {
		o.Retries = DefaultRetries
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.DrainMax <= 0 {
		o.DrainMax = DefaultDrainMax
	}
	if o.WebSessions <= 0 {
		o.WebSessions = DefaultWebSessions
	}
	if o.SlowRate <= 0 {
		o.SlowRate = DefaultSlowRate
	}
	if o.SlowLatency < 0 {
		o.SlowLatency = 0
	} else if o.SlowLatency == 0 {
		o.SlowLatency = DefaultSlowLatency
	}
	if o.FsyncProbes <= 0 {
		o.FsyncProbes = DefaultFsyncProbes
	}
	return o
}

// validate reports every invalid option at once.
func (o Options) validate() error {
	var errs []error
	for _, p := range o.Platforms {
		if !slices.Contains(AllPlatforms, p) {
			errs = append(errs, fmt.Errorf("unknown platform %q (want some of %s)", p, strings.Join(AllPlatforms, ",")))
		}
	}
	if o.Target != "" {
		u, err := url.Parse(o.Target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--target must be an http(s) URL, got %q", o.Target))
		}
		if len(o.Platforms) != 1 || o.Platforms[0] != Web {
			errs = append(errs, errors.New("--target drives only the web chat (use --platforms web): "+
				"the platforms need the gateway's api_urls and secrets, which only the in-process mode sets"))
		}
		if o.SlowPlatform || o.CompareNoSync {
			errs = append(errs, errors.New("--slow-platform and --compare-nosync need the in-process gateway (no --target)"))
		}
	} else if o.Serve == nil {
		errs = append(errs, errors.New("bench: no ServeFunc for the in-process gateway"))
	}
	if o.SlowRate >= 1 {
		errs = append(errs, fmt.Errorf("--slow-rate must be below 1, got %g", o.SlowRate))
	}
	if o.Rate < 0 {
		errs = append(errs, fmt.Errorf("--rate must not be negative, got %g", o.Rate))
	}
	return errors.Join(errs...)
}
