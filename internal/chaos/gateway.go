package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Config is what the harness writes into the gateway's config.yaml. The web
// chat is always on; a platform is enabled when its section is set.
type Config struct {
	Addr       string // host:port to listen on; see FreeAddr
	StorePath  string // the bolt file
	AdminToken string // for /admin/outbox; empty disables the admin API
	LogLevel   string // default "info"
	Telegram   *TelegramConfig
	Slack      *SlackConfig
	WeChat     *WeChatConfig
	Discord    *DiscordConfig
}

// WeChatConfig enables the WeChat Official Account (safe mode when
// EncodingAESKey is set) against APIURL.
type WeChatConfig struct{ AppID, AppSecret, Token, EncodingAESKey, APIURL string }

// DiscordConfig enables Discord (gateway and interactions) against APIURL.
type DiscordConfig struct{ Token, PublicKey, ApplicationID, APIURL string }

// TelegramConfig enables Telegram in webhook mode against APIURL.
type TelegramConfig struct{ Token, SecretToken, APIURL string }

// SlackConfig enables the Slack Events API against APIURL.
type SlackConfig struct{ BotToken, SigningSecret, APIURL string }

// yaml renders c. Strings are written as JSON strings, which YAML reads as
// double-quoted scalars.
func (c Config) yaml() string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	level := c.LogLevel
	if level == "" {
		level = "info"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "server:\n  addr: %s\n  admin_token: %s\n  shutdown_timeout: 5s\n", q(c.Addr), q(c.AdminToken))
	fmt.Fprintf(&b, "log:\n  level: %s\n", q(level))
	fmt.Fprintf(&b, "store:\n  path: %s\n", q(c.StorePath))
	// Retry failed sends quickly: the harness compresses time.
	b.WriteString("outbox:\n  base_backoff: 100ms\n  max_backoff: 2s\n")
	b.WriteString("web:\n  enabled: true\n")
	if t := c.Telegram; t != nil {
		fmt.Fprintf(&b, "telegram:\n  enabled: true\n  mode: webhook\n  token: %s\n  secret_token: %s\n  api_url: %s\n",
			q(t.Token), q(t.SecretToken), q(t.APIURL))
	}
	if s := c.Slack; s != nil {
		fmt.Fprintf(&b, "slack:\n  enabled: true\n  mode: events\n  bot_token: %s\n  signing_secret: %s\n  api_url: %s\n",
			q(s.BotToken), q(s.SigningSecret), q(s.APIURL))
	}
	if w := c.WeChat; w != nil {
		fmt.Fprintf(&b, "wechat:\n  enabled: true\n  app_id: %s\n  app_secret: %s\n  token: %s\n  encoding_aes_key: %s\n  api_url: %s\n",
			q(w.AppID), q(w.AppSecret), q(w.Token), q(w.EncodingAESKey), q(w.APIURL))
	}
	if d := c.Discord; d != nil {
		fmt.Fprintf(&b, "discord:\n  enabled: true\n  token: %s\n  public_key: %s\n  application_id: %s\n  api_url: %s\n",
			q(d.Token), q(d.PublicKey), q(d.ApplicationID), q(d.APIURL))
	}
	return b.String()
}

// FreeAddr returns a loopback address with a port that was free a moment
// ago. The gateway keeps this address across restarts, as a platform keeps
// its webhook URL.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("chaos: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Gateway is a `switchboard serve` subprocess that can be started, paused,
// killed and started again on the same config and database. Its output goes
// to one log file for all its lives. Methods are safe for concurrent use;
// at most one process runs at a time.
type Gateway struct {
	Binary  string // the switchboard binary
	Dir     string // working directory: config.yaml and gateway.log are here
	Config  Config
	LogPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	state  *os.ProcessState
	starts int
}

// NewGateway writes dir/config.yaml for cfg and returns a Gateway that is
// not running. The working directory has no intents/ folder, so serve uses
// the sample bot embedded in the binary.
func NewGateway(binary, dir string, cfg Config) (*Gateway, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("chaos: %w", err)
	}
	g := &Gateway{Binary: binary, Dir: dir, Config: cfg, LogPath: filepath.Join(dir, "gateway.log")}
	if err := os.WriteFile(g.ConfigPath(), []byte(cfg.yaml()), 0o600); err != nil {
		return nil, fmt.Errorf("chaos: write config: %w", err)
	}
	return g, nil
}

// ConfigPath is the config file the gateway is started with.
func (g *Gateway) ConfigPath() string { return filepath.Join(g.Dir, "config.yaml") }

// URL is the gateway's base URL.
func (g *Gateway) URL() string { return "http://" + g.Config.Addr }

// Starts returns how many times the gateway was started.
func (g *Gateway) Starts() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.starts
}

// Start starts `switchboard serve --config dir/config.yaml` with extra
// environment variables (e.g. SWITCHBOARD_FAILPOINTS=…) on top of this
// process's environment without its SWITCHBOARD_* variables. It does not
// wait for the gateway to listen; see WaitReady. It fails if a previous
// process has not exited.
func (g *Gateway) Start(env ...string) error {
	return g.start(env, "serve", "--config", g.ConfigPath())
}

// Run runs a switchboard subcommand (e.g. "backup", "--out", f) with the
// gateway's config and returns its combined output.
func (g *Gateway) Run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, g.Binary, append(args, "--config", g.ConfigPath())...)
	cmd.Dir = g.Dir
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (g *Gateway) start(env []string, args ...string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd != nil && g.state == nil {
		return errors.New("chaos: gateway already running")
	}
	logf, err := os.OpenFile(g.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("chaos: open gateway log: %w", err)
	}
	defer logf.Close() // the child has its own descriptor
	g.starts++
	fmt.Fprintf(logf, "=== chaos: start %d at %s env=%q\n", g.starts, time.Now().Format(time.RFC3339Nano), env)
	cmd := exec.Command(g.Binary, args...)
	cmd.Dir = g.Dir
	cmd.Env = append(cleanEnv(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("chaos: start %s: %w", g.Binary, err)
	}
	exited := make(chan struct{})
	g.cmd, g.exited, g.state = cmd, exited, nil
	go func() {
		_ = cmd.Wait() // the exit status is in ProcessState
		g.mu.Lock()
		g.state = cmd.ProcessState
		g.mu.Unlock()
		close(exited)
	}()
	return nil
}

// cleanEnv is this process's environment without SWITCHBOARD_* variables,
// so that a developer's settings cannot change the gateway under test.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") {
			env = append(env, kv)
		}
	}
	return env
}

// Exited returns a channel closed when the current process has exited
// (nil before the first Start).
func (g *Gateway) Exited() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.exited
}

// State returns the exit state of the last process, nil while it runs.
func (g *Gateway) State() *os.ProcessState {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state
}

// Pid returns the process id of the current process (0 before Start).
func (g *Gateway) Pid() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd == nil || g.cmd.Process == nil {
		return 0
	}
	return g.cmd.Process.Pid
}

// Signal sends sig to the running process. It is a no-op once the process
// has exited.
func (g *Gateway) Signal(sig syscall.Signal) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd == nil || g.state != nil {
		return nil
	}
	if err := g.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("chaos: signal %v: %w", sig, err)
	}
	return nil
}

// Kill sends SIGKILL and waits for the process to be gone.
func (g *Gateway) Kill() error {
	if err := g.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-g.Exited()
	return nil
}

// Stop stops the process gracefully (SIGTERM) and returns an error when it
// did not exit with status 0 within timeout (it is then killed).
func (g *Gateway) Stop(timeout time.Duration) error {
	if err := g.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-g.Exited():
	case <-time.After(timeout):
		_ = g.Kill()
		return fmt.Errorf("chaos: gateway did not stop within %s after SIGTERM", timeout)
	}
	if st := g.State(); !st.Success() {
		return fmt.Errorf("chaos: gateway stopped with %v; log tail:\n%s", st, g.LogTail(2000))
	}
	return nil
}

// WaitStopped waits until the kernel reports the process as stopped (state
// T) after a SIGSTOP, so that nothing it does can happen after this returns.
func (g *Gateway) WaitStopped(timeout time.Duration) error {
	stat := fmt.Sprintf("/proc/%d/stat", g.Pid())
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		b, err := os.ReadFile(stat)
		if err != nil {
			return fmt.Errorf("chaos: %w", err)
		}
		// "pid (comm) S …": the state follows the last ')'.
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) && (b[i+2] == 'T' || b[i+2] == 't') {
			return nil
		}
	}
	return fmt.Errorf("chaos: process %d not stopped after %s", g.Pid(), timeout)
}

// WaitReady waits until GET /healthz answers 200. It fails when the process
// exits first (the error carries the end of its log) or timeout passes.
func (g *Gateway) WaitReady(ctx context.Context, timeout time.Duration) error {
	exited := g.Exited()
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: 500 * time.Millisecond}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.URL()+"/healthz", nil)
		if resp, err := c.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("chaos: gateway exited during start-up (%v); log tail:\n%s", g.State(), g.LogTail(2000))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("chaos: gateway not ready after %s; log tail:\n%s", timeout, g.LogTail(2000))
		}
	}
}

// OutboxLen asks GET /admin/outbox how many replies are pending.
func (g *Gateway) OutboxLen(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.URL()+"/admin/outbox", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+g.Config.AdminToken)
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("chaos: admin outbox: %w", err)
	}
	defer resp.Body.Close()
	var v struct {
		Pending int `json:"pending"`
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("chaos: admin outbox: HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return 0, fmt.Errorf("chaos: admin outbox: %w", err)
	}
	return v.Pending, nil
}

// LogTail returns up to the last n bytes of the gateway log.
func (g *Gateway) LogTail(n int64) string {
	f, err := os.Open(g.LogPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		_, _ = f.Seek(st.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

// Problems returns up to max lines of the gateway log at level WARN or
// ERROR, and the harness's start lines, for a failing test's output.
func (g *Gateway) Problems(max int) []string {
	b, err := os.ReadFile(g.LogPath)
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") || strings.HasPrefix(line, "panic") {
			if len(out) == max {
				out = append(out, "…")
				break
			}
			out = append(out, line)
		}
	}
	return out
}

// killedBySignal reports whether st is the state of a process ended by sig.
func killedBySignal(st *os.ProcessState, sig syscall.Signal) bool {
	if st == nil {
		return false
	}
	ws, ok := st.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}
