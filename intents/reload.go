package intents

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/switchboard-gw/switchboard/core"
)

// DefaultDebounce is how long Watch waits after the last change to a bot
// file before it reloads, so that an editor's burst of writes (or a git
// checkout of several files) causes one reload.
const DefaultDebounce = 300 * time.Millisecond

// Reloader is a core.Understander that answers with the current version of
// a bot directory and replaces it, while serving, when the files change.
// A new version is loaded, validated and trained in the background (the
// current one keeps answering meanwhile) and swapped in atomically; a
// version that does not validate or train is rejected, its file:line
// problems are logged, and the current version keeps serving.
//
// Conversations keep their state across a reload: one in a flow that the
// new version no longer has is told so and leaves the flow (see
// Understand). A Reloader is safe for concurrent use.
type Reloader struct {
	dir      string
	opts     Options
	log      *slog.Logger
	cur      atomic.Pointer[Understander]
	mu       sync.Mutex // one reload at a time
	debounce time.Duration
}

var (
	_ core.Understander = (*Reloader)(nil)
	_ core.Notices      = (*Reloader)(nil)
)

// NewReloader returns a Reloader that answers with u until the first
// reload, and reloads the bot directory dir (as LoadDir does) trained with
// opts (as New does: pass the options u was made with).
func NewReloader(u *Understander, dir string, opts Options) *Reloader {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Reloader{dir: dir, opts: opts, log: log.With("component", "intents", "dir", dir), debounce: DefaultDebounce}
	r.cur.Store(u)
	return r
}

// Current returns the version of the bot answering now.
func (r *Reloader) Current() *Understander { return r.cur.Load() }

// Understand answers with the current version; see Understander.Understand.
func (r *Reloader) Understand(ctx context.Context, in core.Input) (core.Decision, error) {
	return r.cur.Load().Understand(ctx, in)
}

// Suggest asks the current version; see Understander.Suggest.
func (r *Reloader) Suggest(text, lang string, n int) []string {
	return r.Current().Suggest(text, lang, n)
}

// IsCommand asks the current version; see Understander.IsCommand.
func (r *Reloader) IsCommand(name string) bool { return r.Current().IsCommand(name) }

// Notice implements core.Notices with the current version.
func (r *Reloader) Notice(kind string, in core.Input) (core.ReplyText, bool) {
	return r.cur.Load().Notice(kind, in)
}

// Reload loads, validates and trains the bot directory and, when that
// succeeds, makes it the current version. It returns (and logs at Error
// level, one line per problem) a *ValidationError when the files do not
// validate, and other errors when they cannot be read or training fails;
// in every error case the current version stays. Concurrent calls run one
// after the other. Reload is what the lead wires to SIGHUP.
func (r *Reloader) Reload(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	start := time.Now()
	bot, err := LoadDir(r.dir)
	if err != nil {
		var verr *ValidationError
		if errors.As(err, &verr) {
			for _, p := range verr.Problems {
				if !p.Warning {
					r.log.ErrorContext(ctx, "intents: reload rejected", "problem", p.String())
				}
			}
			r.log.ErrorContext(ctx, "intents: reload rejected; the previous version keeps answering", "errors", verr.Errors())
		} else {
			r.log.ErrorContext(ctx, "intents: reload failed; the previous version keeps answering", "err", err)
		}
		return err
	}
	for _, w := range bot.Warnings() {
		r.log.WarnContext(ctx, "intents: bot warning", "problem", w.String())
	}
	u, err := New(ctx, bot, r.opts)
	if err != nil {
		r.log.ErrorContext(ctx, "intents: reload failed; the previous version keeps answering", "err", err)
		return fmt.Errorf("intents: reload %s: %w", r.dir, err)
	}
	r.cur.Store(u)
	r.log.InfoContext(ctx, "intents: bot reloaded", "intents", len(bot.Intents), "faq", len(bot.FAQs),
		"flows", len(bot.Flows), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// Watch reloads the bot whenever a *.yaml or *.yml file of its directory
// is written, created, removed or renamed, DefaultDebounce after the last
// such change. It blocks until ctx is done and then returns nil; it returns
// an error at once when the directory cannot be watched. Reload errors are
// logged, not returned: the previous version keeps serving.
func (r *Reloader) Watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("intents: watch %s: %w", r.dir, err)
	}
	defer w.Close()
	if err := w.Add(r.dir); err != nil {
		return fmt.Errorf("intents: watch %s: %w", r.dir, err)
	}
	r.log.InfoContext(ctx, "intents: watching the bot directory for changes")
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if isBotFile(filepath.Base(ev.Name)) && ev.Op != fsnotify.Chmod {
				timer.Reset(r.debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			r.log.WarnContext(ctx, "intents: watching the bot directory", "err", err)
		case <-timer.C:
			_ = r.Reload(ctx) // logged
		}
	}
}
