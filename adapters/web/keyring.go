package web

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// The HMAC keys of session tokens are one record of the store, so that every
// replica and every restart verifies the tokens the others issued.
const (
	keyringNamespace = "web_session_keys"
	keyringKey       = "keyring"
	keySecretBytes   = 32
	// keyringReload is how often, at most, an unknown key id makes the
	// keyring be read again (another replica may have rotated).
	keyringReload = 5 * time.Second
)

// sessionKey is one HMAC key of session tokens.
type sessionKey struct {
	ID      uint32    `json:"id"`
	Secret  []byte    `json:"secret"`
	Created time.Time `json:"created"`
}

// keyring caches the session keys, newest first. A new key is made when the
// newest is older than rotate; a key is dropped once no token it signed can
// be valid without a session record (rotate + unused TTL after it was made).
// Safe for concurrent use.
type keyring struct {
	store  core.Store
	rotate time.Duration
	keep   time.Duration

	mu     sync.Mutex
	keys   []sessionKey
	loaded time.Time // when keys were last read from the store; zero = never
}

func newKeyring(st core.Store, rotate, unused time.Duration) *keyring {
	return &keyring{store: st, rotate: rotate, keep: rotate + unused}
}

// current returns the key to sign new tokens with, rotating when it is due.
func (k *keyring) current(ctx context.Context, now time.Time) (sessionKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.loaded.IsZero() {
		if err := k.load(ctx, now); err != nil {
			return sessionKey{}, err
		}
	}
	if len(k.keys) > 0 && now.Sub(k.keys[0].Created) < k.rotate {
		return k.keys[0], nil
	}
	// Rotate: re-read first so that a key another replica just made is
	// kept, then add ours.
	if err := k.load(ctx, now); err != nil {
		return sessionKey{}, err
	}
	if len(k.keys) > 0 && now.Sub(k.keys[0].Created) < k.rotate {
		return k.keys[0], nil
	}
	nk := sessionKey{Secret: make([]byte, keySecretBytes), Created: now}
	var id [4]byte
	if _, err := rand.Read(id[:]); err != nil {
		return sessionKey{}, fmt.Errorf("web: read random key id: %w", err)
	}
	if _, err := rand.Read(nk.Secret); err != nil {
		return sessionKey{}, fmt.Errorf("web: read random session key: %w", err)
	}
	nk.ID = binary.BigEndian.Uint32(id[:])
	keys := []sessionKey{nk}
	for _, old := range k.keys {
		if now.Sub(old.Created) < k.keep {
			keys = append(keys, old)
		}
	}
	b, err := json.Marshal(keys)
	if err != nil {
		return sessionKey{}, fmt.Errorf("web: encode session keys: %w", err)
	}
	if err := k.store.Put(ctx, keyringNamespace, keyringKey, b, 0); err != nil {
		return sessionKey{}, fmt.Errorf("web: store session keys: %w", err)
	}
	k.keys = keys
	return nk, nil
}

// lookup returns the key with id. An unknown id reads the keyring again at
// most every keyringReload; it then returns errUnknownKey.
func (k *keyring) lookup(ctx context.Context, id uint32, now time.Time) (sessionKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.find(id, now); ok {
		return key, nil
	}
	if k.loaded.IsZero() || now.Sub(k.loaded) >= keyringReload {
		if err := k.load(ctx, now); err != nil {
			return sessionKey{}, err
		}
		if key, ok := k.find(id, now); ok {
			return key, nil
		}
	}
	return sessionKey{}, errUnknownKey
}

func (k *keyring) find(id uint32, now time.Time) (sessionKey, bool) {
	for _, key := range k.keys {
		if key.ID == id && now.Sub(key.Created) < k.keep {
			return key, true
		}
	}
	return sessionKey{}, false
}

// load reads the keyring from the store; the caller holds k.mu.
func (k *keyring) load(ctx context.Context, now time.Time) error {
	b, err := k.store.Get(ctx, keyringNamespace, keyringKey)
	switch {
	case errors.Is(err, core.ErrNotFound):
		k.keys = nil
	case err != nil:
		return fmt.Errorf("web: load session keys: %w", err)
	default:
		var keys []sessionKey
		if err := json.Unmarshal(b, &keys); err != nil {
			return fmt.Errorf("web: decode session keys: %w", err)
		}
		k.keys = keys
	}
	k.loaded = now
	return nil
}
