package slack

import (
	"context"
	"sync"
	"time"
)

// Name cache lifetimes: a name found is kept an hour, a failed lookup is
// retried after a minute, and the cache is emptied when it grows past
// maxNames entries.
const (
	nameTTL       = time.Hour
	nameFailedTTL = time.Minute
	maxNames      = 10000
	lookupTimeout = 2 * time.Second
)

// nameCache caches users' display names (users.info). It is safe for
// concurrent use.
type nameCache struct {
	lookup func(ctx context.Context, userID string) (string, error)
	now    func() time.Time

	mu sync.Mutex
	m  map[string]cachedName
}

type cachedName struct {
	name    string
	expires time.Time
}

func newNameCache(lookup func(context.Context, string) (string, error), now func() time.Time) *nameCache {
	return &nameCache{lookup: lookup, now: now, m: make(map[string]cachedName)}
}

// get returns the display name of userID, or userID itself when Slack does
// not tell (no users:read scope, unknown user, Slack unreachable).
func (c *nameCache) get(ctx context.Context, userID string) string {
	if userID == "" {
		return ""
	}
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[userID]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.name
	}
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	name, err := c.lookup(lctx, userID)
	cancel()
	e = cachedName{name: name, expires: now.Add(nameTTL)}
	if err != nil || name == "" {
		e = cachedName{name: userID, expires: now.Add(nameFailedTTL)}
	}
	c.mu.Lock()
	if len(c.m) >= maxNames {
		clear(c.m)
	}
	c.m[userID] = e
	c.mu.Unlock()
	return e.name
}

// lookupName asks users.info for a user's display name, falling back to
// the real name and the user name.
func (a *Adapter) lookupName(ctx context.Context, userID string) (string, error) {
	u, err := a.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		a.log.DebugContext(ctx, "slack: users.info failed; showing the user id", "user", userID, "err", sendErr("users.info", err))
		return "", err
	}
	for _, n := range []string{u.Profile.DisplayName, u.Profile.RealName, u.RealName, u.Name} {
		if n != "" {
			return n, nil
		}
	}
	return "", nil
}

// resolver returns a lookup of display names for mentions in agents'
// messages, through the cache.
func (c *nameCache) resolver(ctx context.Context) func(userID string) string {
	return func(userID string) string { return c.get(ctx, userID) }
}
