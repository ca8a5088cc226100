package auth

import (
	"sync"
	"time"
)

const (
	defaultCacheSize = 4096
	cacheMaxAge      = 60 * time.Second
)

// tokenCache remembers verified tokens (by their exact string) for at most
// min(exp, 60s) so that the signature is not re-verified on every request.
// exp and nbf are re-checked against the clock on every hit. It is bounded:
// when full, expired entries are dropped, then arbitrary ones (map order).
type tokenCache struct {
	mu   sync.Mutex
	max  int
	m    map[string]*cacheEntry
	hits uint64
}

type cacheEntry struct {
	p     Principal
	nbf   time.Time
	until time.Time // verifiedAt + cacheMaxAge
}

func newTokenCache(max int) *tokenCache {
	if max <= 0 {
		return nil
	}
	return &tokenCache{max: max, m: make(map[string]*cacheEntry, 64)}
}

func (c *tokenCache) get(token string, now time.Time, leeway time.Duration) *Principal {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	e := c.m[token]
	if e == nil {
		c.mu.Unlock()
		return nil
	}
	if !now.Before(e.until) || !now.Before(e.p.ExpiresAt.Add(leeway)) || (!e.nbf.IsZero() && now.Before(e.nbf.Add(-leeway))) {
		delete(c.m, token)
		c.mu.Unlock()
		return nil
	}
	c.hits++
	p := e.p // copy: callers may modify their Principal
	c.mu.Unlock()
	return &p
}

func (c *tokenCache) put(token string, p *Principal, nbf, now time.Time) {
	if c == nil || p.ExpiresAt.IsZero() {
		return
	}
	e := &cacheEntry{p: *p, nbf: nbf, until: now.Add(cacheMaxAge)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for k, old := range c.m {
			if !now.Before(old.until) || !now.Before(old.p.ExpiresAt) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < c.max*7/8 {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[token] = e
}
