package sqlite

import (
	"context"
	"sync"

	"github.com/carex-project/carex/store"
)

// pcCache keeps each patient's PatientContext (relationships, consents,
// sources) between requests: loading it is two queries over the person's
// whole record, and every request that decides about another
// organisation's data needs it.
//
// Correctness rests on versions, not timing:
//   - This process's commits bump the version of every patient whose
//     compartment they touched (old and new), after the commit is visible.
//     An entry is used only if the patient's version is unchanged since
//     before the entry was loaded.
//   - Another process (carex import on the same file) is noticed through
//     the versions table's largest key: every resource write adds a row.
//     A lookup that sees a key this process did not write, or a commit
//     that finds one, drops the whole cache. The key is queried again only
//     after a commit by anyone (see walWatch).
type pcCache struct {
	mu      sync.Mutex
	max     int               // entries kept at most
	ver     map[string]uint64 // per patient, bumped by commits
	gen     uint64            // bumped when the whole cache is dropped
	ownVPK  int64             // largest versions key this process has written or seen
	pending int64             // largest key of a commit under way (0: none)
	// inflight counts, per patient, commits under way that touch them:
	// between such a commit becoming visible and its bookkeeping, the
	// patient's context is loaded fresh and not cached.
	inflight map[string]int
	entries  map[string]pcEntry
}

type pcEntry struct {
	pc       *store.PatientContext
	ver, gen uint64
}

func newPCCache(max int) *pcCache {
	return &pcCache{max: max, ver: map[string]uint64{}, entries: map[string]pcEntry{}, inflight: map[string]int{}}
}

// get returns a cached context, or the stamps to store a fresh one with.
func (c *pcCache) get(id string, latestVPK int64) (pc *store.PatientContext, ver, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if latestVPK > max(c.ownVPK, c.pending) {
		c.dropLocked(latestVPK) // someone else wrote
	}
	if c.inflight[id] > 0 {
		return nil, 0, noCache
	}
	e, ok := c.entries[id]
	if ok && e.ver == c.ver[id] && e.gen == c.gen {
		return e.pc, 0, 0
	}
	return nil, c.ver[id], c.gen
}

// noCache: a generation no cache ever has, so put keeps nothing.
const noCache = ^uint64(0)

func (c *pcCache) put(id string, pc *store.PatientContext, ver, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ver != c.ver[id] || gen != c.gen {
		return // changed while loading
	}
	if len(c.entries) >= c.max {
		for k := range c.entries { // evict one, any
			delete(c.entries, k)
			break
		}
	}
	c.entries[id] = pcEntry{pc: pc, ver: ver, gen: gen}
}

// committing announces a commit about to become visible. Its patients'
// cached contexts go now, and until committed or failed their contexts
// are loaded fresh, never cached: a lookup after the commit is visible but
// before its bookkeeping must not use the context from before it (a
// consent and the data it withholds may land in the same commit).
// Its keys are announced too, so that a lookup that sees them first does
// not take them for another process's writes and drop the whole cache
// (with writes every few milliseconds, that emptied it constantly).
// foundVPK is the largest key the transaction saw before writing, wroteVPK
// the largest it wrote. No other process can commit while this transaction
// holds the write lock.
func (c *pcCache) committing(patients []string, foundVPK, wroteVPK int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if foundVPK > c.ownVPK {
		c.dropLocked(foundVPK) // another process wrote before this transaction
	}
	for _, p := range patients {
		c.inflight[p]++
		c.ver[p]++
		delete(c.entries, p)
	}
	c.pending = wroteVPK
}

// failed: the announced commit did not happen. Another process may commit
// keys up to the announced ones from now on, so the cache starts afresh.
func (c *pcCache) failed(patients []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.landed(patients)
	c.pending = 0
	c.dropLocked(c.ownVPK)
}

func (c *pcCache) landed(patients []string) {
	for _, p := range patients {
		if c.inflight[p]--; c.inflight[p] <= 0 {
			delete(c.inflight, p)
		}
	}
}

// committed records that the commit announced by committing is visible:
// its keys, up to wroteVPK, are this process's own from now on. committing
// already dropped what other processes wrote before it and invalidated
// the patients, whose contexts were not cached since.
func (c *pcCache) committed(patients []string, wroteVPK int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.landed(patients)
	c.pending = 0
	c.ownVPK = max(c.ownVPK, wroteVPK)
	if len(c.ver) > 4*c.max { // versions of long-evicted patients
		c.dropLocked(c.ownVPK)
	}
}

func (c *pcCache) dropLocked(vpk int64) {
	c.gen++
	clear(c.entries)
	clear(c.ver) // safe: gen changed, so no older entry can match
	c.ownVPK = max(c.ownVPK, vpk)
}

// cachedPatientContext wraps the loader with the cache.
func (db *DB) cachedPatientContext(ctx context.Context, id string, load func() (*store.PatientContext, error)) (*store.PatientContext, error) {
	latest, err := db.latestVPK(ctx)
	if err != nil {
		return nil, err
	}
	pc, ver, gen := db.pcc.get(id, latest)
	if pc != nil {
		return pc, nil
	}
	if pc, err = load(); err != nil {
		return nil, err
	}
	db.pcc.put(id, pc, ver, gen)
	return pc, nil
}

// latestVPK is the versions table's largest key. It is queried only when
// something committed since the last query (walWatch): under reads alone,
// a request's sharing decision needs no query to know its cache is fresh.
func (db *DB) latestVPK(ctx context.Context) (int64, error) {
	v, hit, hdr, ok := db.wal.cached()
	if hit {
		return v, nil
	}
	var latest int64
	if err := db.stMaxVPK.QueryRowContext(ctx).Scan(&latest); err != nil {
		return 0, err
	}
	if ok {
		db.wal.remember(hdr, latest)
	}
	return latest, nil
}
