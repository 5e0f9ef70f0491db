package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

// maxScanPages bounds how many pages of ScanLimit entries one dispatcher
// pass reads looking for replies it can send.
const maxScanPages = 16

// DispatcherOptions configure a Dispatcher. The zero value is usable.
type DispatcherOptions struct {
	Logger  *slog.Logger
	Metrics *Metrics
	// Workers is how many conversations of one platform are sent to at
	// once (default 16); each platform has its own.
	Workers int
	// BaseBackoff is the first retry delay (default 500ms); it doubles per
	// attempt up to MaxBackoff (default 5m), with jitter.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// MaxAttempts after which a temporary failure becomes a dead letter
	// (default 20, about an hour and a half of retrying with the defaults).
	MaxAttempts int
	// SendTimeout bounds one Send call (default 30s).
	SendTimeout time.Duration
	// PollInterval is the longest the dispatcher sleeps without a Notify
	// (default 1s); it picks up entries written by other processes.
	PollInterval time.Duration
	// ScanLimit is how many outbox entries one pass reads (default 1024).
	ScanLimit int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnDeadLetter, if set, is called after an entry was moved to the dead
	// letters (e.g. Engine.NoteUndelivered, to tell the agents).
	OnDeadLetter func(ctx context.Context, r Reply, reason string) error
	// Failpoint, if set, is called at "outbox.after-send" (the platform
	// accepted the reply, its entry is not yet deleted) for crash tests.
	Failpoint func(name string)
}

// Dispatcher sends outbox entries through the Sender of their platform. It
// keeps the replies of one conversation in commit order, sends to different
// conversations in parallel, applies per-chat and per-platform rate limits,
// retries temporary failures with exponential backoff and jitter, honours a
// SendError's RetryAfter, and moves permanent failures to the dead letters.
// An entry is deleted only after its Sender returned nil.
type Dispatcher struct {
	store   Store
	senders map[string]Sender
	opts    DispatcherOptions
	log     *slog.Logger
	wake    chan struct{}

	mu          sync.Mutex
	platformLim map[string]*rate.Limiter
	chatLim     map[string]*chatLimiter
	warned      map[string]bool
	// delivered are outbox entries the platform accepted whose deletion
	// failed (e.g. a full disk): this process only retries the deletion,
	// never the send. (A restart forgets them: the at-least-once window.)
	delivered map[uint64]bool
}

type chatLimiter struct {
	lim      *rate.Limiter
	lastUsed time.Time
}

// NewDispatcher returns a Dispatcher for st. Replies of platforms with no
// Sender stay in the outbox untouched (another process may serve them).
func NewDispatcher(st Store, senders []Sender, opts DispatcherOptions) *Dispatcher {
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.BaseBackoff <= 0 {
		opts.BaseBackoff = 500 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Minute
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 20
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = 30 * time.Second
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.ScanLimit <= 0 {
		opts.ScanLimit = 1024
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Dispatcher{
		store:       st,
		senders:     make(map[string]Sender, len(senders)),
		opts:        opts,
		log:         log.With("component", "outbox"),
		wake:        make(chan struct{}, 1),
		platformLim: make(map[string]*rate.Limiter),
		chatLim:     make(map[string]*chatLimiter),
		warned:      make(map[string]bool),
		delivered:   make(map[uint64]bool),
	}
	for _, s := range senders {
		d.senders[s.Platform()] = s
		if rl, ok := s.(RateLimited); ok {
			l := rl.RateLimits()
			if l.PerPlatform > 0 {
				d.platformLim[s.Platform()] = rate.NewLimiter(l.PerPlatform, max(1, l.PerPlatformBurst))
			}
		}
	}
	return d
}

// Notify wakes the dispatcher to look for new entries. It never blocks.
func (d *Dispatcher) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run sends entries until ctx is cancelled, then waits for the sends in
// flight (each bounded by SendTimeout) and returns nil. Entries pending at
// start, from an earlier run, are sent first: this is the outbox replay.
func (d *Dispatcher) Run(ctx context.Context) error {
	var (
		wg sync.WaitGroup
		// Each platform has its own Workers slots, so that a platform
		// that is slow or over its rate limit only holds up its own
		// replies.
		sems     = make(map[string]chan struct{})
		busyMu   sync.Mutex
		busy     = make(map[string]bool) // conversations with a job in flight
		lastGC   = d.opts.Now()
		sendCtx  = context.WithoutCancel(ctx)
		jobsDone = make(chan struct{}, 1)
	)
	defer wg.Wait()
	for {
		if ctx.Err() != nil {
			return nil
		}
		now := d.opts.Now()
		// Conversations with a job in flight when the scan starts are
		// skipped even if the job ends during the scan: the scan may have
		// read an entry the job deleted a moment later (sent, then
		// completed), and scheduling it would send it twice. The job's end
		// wakes the loop for a fresh scan.
		busyMu.Lock()
		busyAtScan := make(map[string]bool, len(busy))
		for k := range busy {
			busyAtScan[k] = true
		}
		busyMu.Unlock()
		nextDue := now.Add(d.opts.PollInterval)
		// Group by conversation in commit order; a conversation whose first
		// entry is not due (waiting for a retry) holds back its later
		// entries, and so does one whose platform has no free worker slot
		// in this pass. Pages are read until every platform's free slots
		// are taken or the outbox ends, so a backlog for one platform does
		// not hide the others' replies.
		jobs := make(map[string][]OutboxEntry)
		var order []string
		held := make(map[string]bool)
		free := make(map[string]int, len(d.senders))
		freeTotal := 0
		for p := range d.senders {
			free[p] = d.opts.Workers - len(sems[p])
			freeTotal += free[p]
		}
		pager, paged := d.store.(OutboxPager)
		var after uint64
		for page := 0; page < maxScanPages && freeTotal > 0; page++ {
			var entries []OutboxEntry
			var err error
			if paged {
				entries, err = pager.PendingOutboxAfter(ctx, now.Add(100*365*24*time.Hour), after, d.opts.ScanLimit)
			} else {
				entries, err = d.store.PendingOutbox(ctx, now.Add(100*365*24*time.Hour), d.opts.ScanLimit)
			}
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, ErrClosed) {
					return nil
				}
				d.log.ErrorContext(ctx, "outbox scan failed", "err", err)
				break
			}
			busyMu.Lock()
			for _, e := range entries {
				after = e.Seq
				k := e.Reply.Key.String()
				if busy[k] || busyAtScan[k] || held[k] {
					continue
				}
				platform := e.Reply.Key.Platform
				if _, ok := d.senders[platform]; !ok {
					d.warnNoSender(ctx, platform)
					held[k] = true
					continue
				}
				if e.NextAttempt.After(now) {
					held[k] = true
					if len(jobs[k]) == 0 && e.NextAttempt.Before(nextDue) {
						nextDue = e.NextAttempt
					}
					continue
				}
				if len(jobs[k]) == 0 {
					if free[platform] <= 0 {
						held[k] = true // no slot this pass; a job's end rescans
						continue
					}
					free[platform]--
					freeTotal--
					order = append(order, k)
				}
				jobs[k] = append(jobs[k], e)
			}
			busyMu.Unlock()
			if !paged || len(entries) < d.opts.ScanLimit {
				break
			}
		}
		busyMu.Lock()
		for _, k := range order {
			busy[k] = true
		}
		busyMu.Unlock()

		for _, k := range order {
			batch := jobs[k]
			platform := batch[0].Reply.Key.Platform
			sem := sems[platform]
			if sem == nil {
				sem = make(chan struct{}, d.opts.Workers)
				sems[platform] = sem
			}
			select {
			case sem <- struct{}{}:
			default:
				// Cannot happen: free counted the slots and only this
				// loop takes them. Leave it for the next scan.
				busyMu.Lock()
				delete(busy, k)
				busyMu.Unlock()
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				d.sendConversation(sendCtx, ctx, batch)
				busyMu.Lock()
				delete(busy, k)
				busyMu.Unlock()
				select {
				case jobsDone <- struct{}{}:
				default:
				}
			}()
		}
		if now.Sub(lastGC) > time.Minute {
			d.gcChatLimiters(now)
			lastGC = now
		}

		wait := nextDue.Sub(now) // both by the injected clock
		if wait < time.Millisecond {
			wait = time.Millisecond
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-d.wake:
		case <-jobsDone:
		case <-t.C:
		}
		t.Stop()
	}
}

// sendConversation sends one conversation's due entries in order. It stops at
// the first entry that must be retried later, so order is kept.
func (d *Dispatcher) sendConversation(ctx, runCtx context.Context, entries []OutboxEntry) {
	for i := 0; i < len(entries); i++ {
		if runCtx.Err() != nil {
			return // shutting down: the entry stays for the next start
		}
		e, n := coalesce(entries[i:], d.opts.Now())
		var more []uint64
		for _, x := range entries[i+1 : i+n] {
			more = append(more, x.Seq)
		}
		i += n - 1
		if !d.sendOne(ctx, runCtx, e, more) {
			return
		}
	}
}

// MaxCoalescedRunes bounds the text of customer messages joined into one
// relay to the support desk.
const MaxCoalescedRunes = 3000

// coalesce joins the customer's messages that wait to be relayed to the
// same case into one desk message (one line each), so that a burst of
// short messages is one post, not a stream of them. It returns the entry
// to send and how many entries of es it stands for (at least 1).
func coalesce(es []OutboxEntry, now time.Time) (OutboxEntry, int) {
	first := es[0]
	if first.Reply.Kind != ReplyRelay {
		return first, 1
	}
	n, runes := 1, utf8.RuneCountInString(first.Reply.Text)
	var b strings.Builder
	b.WriteString(first.Reply.Text)
	for _, e := range es[1:] {
		r := e.Reply
		runes += 1 + utf8.RuneCountInString(r.Text)
		if r.Kind != ReplyRelay || r.Key != first.Reply.Key || r.About != first.Reply.About ||
			e.NextAttempt.After(now) || runes > MaxCoalescedRunes {
			break
		}
		b.WriteString("\n")
		b.WriteString(r.Text)
		n++
	}
	first.Reply.Text = b.String()
	return first, n
}

// sendOne sends e and records the outcome; on success the entries more
// (coalesced into e) are completed too. It reports whether the next entry
// of the same conversation may be sent now.
func (d *Dispatcher) sendOne(ctx, runCtx context.Context, e OutboxEntry, more []uint64) bool {
	if d.wasDelivered(e.Seq) {
		// Sent already by this process; only its deletion failed.
		return d.complete(ctx, d.log.With("seq", e.Seq, "reply_id", e.Reply.ID), []uint64{e.Seq})
	}
	r := e.Reply
	platform := r.Key.Platform
	s := d.senders[platform]
	if err := d.wait(runCtx, s, r); err != nil {
		return false // shutting down while waiting for a token
	}
	sctx, cancel := context.WithTimeout(ctx, d.opts.SendTimeout)
	start := time.Now()
	err := s.Send(sctx, r)
	cancel()
	elapsed := time.Since(start)
	log := d.log.With("platform", platform, "seq", e.Seq, "reply_id", r.ID)
	if err == nil {
		if d.opts.Failpoint != nil {
			d.opts.Failpoint("outbox.after-send")
		}
		d.opts.Metrics.sent(platform, elapsed)
		return d.complete(ctx, log, append([]uint64{e.Seq}, more...))
	}

	now := d.opts.Now()
	var se *SendError
	switch {
	case errors.As(err, &se) && se.Permanent:
		d.opts.Metrics.sendError(platform, "permanent", elapsed)
		d.opts.Metrics.deadLetter(platform)
		log.WarnContext(ctx, "outbox: permanent send failure, moved to dead letters", "err", err)
		if derr := d.store.DeadLetter(ctx, e.Seq, err.Error(), now); derr != nil && !errors.Is(derr, ErrNotFound) {
			log.ErrorContext(ctx, "outbox: dead-letter failed", "err", derr)
			return false
		}
		d.deadLettered(ctx, log, r, err.Error())
		return true
	case errors.As(err, &se) && se.RetryAfter > 0:
		d.opts.Metrics.sendError(platform, "rate_limited", elapsed)
		next := now.Add(se.RetryAfter)
		log.InfoContext(ctx, "outbox: platform asked to retry later", "retry_after", se.RetryAfter)
		d.retry(ctx, log, e, e.Attempts+1, next, err)
		return false
	}
	d.opts.Metrics.sendError(platform, "temporary", elapsed)
	attempts := e.Attempts + 1
	if attempts >= d.opts.MaxAttempts {
		d.opts.Metrics.deadLetter(platform)
		reason := fmt.Sprintf("gave up after %d attempts: %v", attempts, err)
		log.WarnContext(ctx, "outbox: "+reason)
		if derr := d.store.DeadLetter(ctx, e.Seq, reason, now); derr != nil && !errors.Is(derr, ErrNotFound) {
			log.ErrorContext(ctx, "outbox: dead-letter failed", "err", derr)
			return false
		}
		d.deadLettered(ctx, log, r, reason)
		return false
	}
	next := now.Add(d.Backoff(attempts))
	log.InfoContext(ctx, "outbox: send failed, will retry", "attempt", attempts, "next", next, "err", err)
	d.retry(ctx, log, e, attempts, next, err)
	return false
}

// complete deletes sent entries. An entry whose deletion fails is
// remembered as delivered, so that it is not sent again by this process;
// complete reports whether all were deleted.
func (d *Dispatcher) complete(ctx context.Context, log *slog.Logger, seqs []uint64) bool {
	for _, seq := range seqs {
		err := d.store.CompleteOutbox(ctx, seq)
		d.mu.Lock()
		if err != nil {
			d.delivered[seq] = true
		} else {
			delete(d.delivered, seq)
		}
		d.mu.Unlock()
		if err != nil {
			// The reply went out but stays in the outbox: this process
			// retries only the deletion; a restart before it succeeds may
			// send it again (the documented at-least-once window).
			log.ErrorContext(ctx, "outbox: delete after send failed", "err", err)
			return false
		}
	}
	return true
}

func (d *Dispatcher) wasDelivered(seq uint64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.delivered[seq]
}

func (d *Dispatcher) deadLettered(ctx context.Context, log *slog.Logger, r Reply, reason string) {
	if d.opts.OnDeadLetter == nil {
		return
	}
	if err := d.opts.OnDeadLetter(ctx, r, reason); err != nil {
		log.ErrorContext(ctx, "outbox: dead-letter hook failed", "err", err)
	}
}

func (d *Dispatcher) retry(ctx context.Context, log *slog.Logger, e OutboxEntry, attempts int, next time.Time, cause error) {
	if err := d.store.RetryOutbox(ctx, e.Seq, attempts, next, cause.Error()); err != nil && !errors.Is(err, ErrNotFound) {
		log.ErrorContext(ctx, "outbox: recording retry failed", "err", err)
	}
}

// Backoff returns the delay before retry number attempt (1-based): the base
// doubled per attempt, capped, with "equal jitter" (a random point in the
// upper half), so that many failed sends do not retry in lock step.
func (d *Dispatcher) Backoff(attempt int) time.Duration {
	b := d.opts.BaseBackoff
	for i := 1; i < attempt && b < d.opts.MaxBackoff; i++ {
		b *= 2
	}
	b = min(b, d.opts.MaxBackoff)
	half := b / 2
	return half + rand.N(half+1)
}

// wait blocks until both the platform's and the chat's token buckets allow a send.
func (d *Dispatcher) wait(ctx context.Context, s Sender, r Reply) error {
	rl, ok := s.(RateLimited)
	if !ok {
		return nil
	}
	limits := rl.RateLimits()
	d.mu.Lock()
	plat := d.platformLim[r.Key.Platform]
	var chat *rate.Limiter
	if limits.PerChat > 0 {
		k := r.Key.Platform + "\x00" + r.Key.Chat
		cl := d.chatLim[k]
		if cl == nil {
			cl = &chatLimiter{lim: rate.NewLimiter(limits.PerChat, max(1, limits.PerChatBurst))}
			d.chatLim[k] = cl
		}
		cl.lastUsed = d.opts.Now()
		chat = cl.lim
	}
	d.mu.Unlock()
	if chat != nil {
		if err := chat.Wait(ctx); err != nil {
			return err
		}
	}
	if plat != nil {
		return plat.Wait(ctx)
	}
	return nil
}

// gcChatLimiters forgets per-chat limiters idle for ten minutes (their
// buckets are full again by then, so forgetting them changes nothing).
func (d *Dispatcher) gcChatLimiters(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, cl := range d.chatLim {
		if now.Sub(cl.lastUsed) > 10*time.Minute {
			delete(d.chatLim, k)
		}
	}
}

func (d *Dispatcher) warnNoSender(ctx context.Context, platform string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.warned[platform] {
		d.warned[platform] = true
		d.log.WarnContext(ctx, "outbox: replies waiting for a platform that is not enabled here", "platform", platform)
	}
}
