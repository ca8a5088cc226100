package api

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/carex-project/carex/store"
)

// Directory data (an Organization, a Practitioner, a Location…) is no
// one's record, and a reference to an Organization, Practitioner,
// PractitionerRole or Endpoint is released without a lookup (unlookedTypes):
// every Patient names its GP organisation. A source may label a directory
// item, though (a women's refuge): it is then withheld from others, and a
// reference to it, its display naming the refuge, said what the item
// withheld says (review 31b). The labelled directory items are few; they
// are kept here, read again only after a directory item is written
// (store.Store.DirectoryChanges), and a reference to one of them is
// decided as a reference to any item is.

// labelledDir is the store's labelled directory items
// (store.Store.LabelledDirectory), as looked up.
type labelledDir struct {
	ids map[refKey]bool
	// byValue: the items carrying each identifier value, with the
	// identifier's system.
	byValue map[string][]labelledIdent
	// values: the identifier values as JSON strings, for the scan of a
	// stored body (maybeNamesLabelled).
	values [][]byte
}

type labelledIdent struct {
	system string
	item   refKey
}

func newLabelledDir(items []store.LabelledItem) *labelledDir {
	d := &labelledDir{ids: make(map[refKey]bool, len(items)), byValue: map[string][]labelledIdent{}}
	for _, it := range items {
		k := refKey{it.Type, it.ID}
		d.ids[k] = true
		for _, ident := range it.Identifiers {
			// (the store joins them as system|value; a system may hold "|")
			i := strings.LastIndex(ident, "|")
			sys, val := ident[:max(i, 0)], ident[i+1:]
			if val == "" {
				continue
			}
			if _, had := d.byValue[val]; !had {
				d.values = append(d.values, []byte(`"`+val+`"`))
			}
			d.byValue[val] = append(d.byValue[val], labelledIdent{sys, k})
		}
	}
	return d
}

// named returns the labelled items an identifier (system, value) names:
// the same value under the same system, or under no system on either side
// (a feed writing the code alone).
func (d *labelledDir) named(system, value string) []refKey {
	var out []refKey
	for _, li := range d.byValue[value] {
		if li.system == system || li.system == "" || system == "" {
			out = append(out, li.item)
		}
	}
	return out
}

// maybeNamesLabelled: raw may hold a labelled item's identifier value (as
// a JSON string), which a logical reference would give.
func (d *labelledDir) maybeNamesLabelled(raw []byte) bool {
	for _, v := range d.values {
		if bytes.Contains(raw, v) {
			return true
		}
	}
	return false
}

// dirCache keeps the labelled directory items found while the store's
// DirectoryChanges read at (even: no commit of a directory item under way).
type dirCache struct {
	mu sync.Mutex
	at uint64
	d  *labelledDir
}

// labelledDirectory is the store's labelled directory items now, from the
// cache while no directory item has been written since.
func (cp *ConsentPolicy) labelledDirectory(ctx context.Context) (*labelledDir, error) {
	at, stampErr := cp.store.DirectoryChanges(ctx)
	if stampErr == nil {
		cp.dir.mu.Lock()
		d := cp.dir.d
		ok := d != nil && cp.dir.at == at
		cp.dir.mu.Unlock()
		if ok {
			return d, nil
		}
	}
	items, err := cp.store.LabelledDirectory(ctx)
	if err != nil {
		return nil, fmt.Errorf("labelled directory items: %w", err)
	}
	d := newLabelledDir(items)
	// Kept only if no directory item was committed, nor under way, from
	// before the query to after it.
	if stampErr == nil && at%2 == 0 {
		if now, err := cp.store.DirectoryChanges(ctx); err == nil && now == at {
			cp.dir.mu.Lock()
			cp.dir.at, cp.dir.d = at, d
			cp.dir.mu.Unlock()
		}
	}
	return d, nil
}

// directoryLabelled reports whether a reference to typ/id is decided by a
// lookup though typ is an unlooked directory type: the item is labelled.
// Fails closed: on a store error every such reference is looked up.
func (cp *ConsentPolicy) directoryLabelled(ctx context.Context, typ, id string) bool {
	d, err := cp.labelledDirectory(ctx)
	return err != nil || d.ids[refKey{typ, id}]
}

// unlooked reports whether a reference to typ/id is released without a
// lookup: directory data of unlookedTypes that no source labelled.
func (g *gate) unlooked(typ, id string) bool {
	return unlookedDirectory(typ) && !g.labelled(refKey{typ, id})
}

// labelled reports whether k is a labelled directory item (all are, on a
// store error: looked up, failing closed there).
func (g *gate) labelled(k refKey) bool {
	d := g.directory()
	return d == nil || d.ids[k]
}

// directory is the labelled directory items, looked up once a request;
// nil on a store error.
func (g *gate) directory() *labelledDir {
	g.dirOnce.Do(func() {
		d, err := g.cp.labelledDirectory(g.ctx)
		if err == nil {
			g.dir = d
		}
	})
	return g.dir
}

// logicalRefs calls masked with logicalRefKey of each logical reference
// in v (an object with an identifier and no literal reference) naming a
// labelled directory item the user may not see (review 31b: an
// appointment naming a refuge's site by its ODS code, the display giving
// its name, went out as stored where the literal reference was masked).
// On a store error every logical reference is masked.
func (g *gate) logicalRefs(v any, masked func(string)) {
	d := g.directory()
	eachObject(v, "", func(m map[string]any) bool {
		if _, lit := m["reference"].(string); lit {
			return true
		}
		ident, ok := m["identifier"].(map[string]any)
		if !ok || !referenceShaped(m) {
			return true
		}
		sys, _ := ident["system"].(string)
		val, _ := ident["value"].(string)
		if d == nil {
			masked(logicalRefKey(sys, val))
			return false
		}
		for _, k := range d.named(sys, val) {
			if !g.refVisible(k) {
				masked(logicalRefKey(sys, val))
				break
			}
		}
		return false
	})
}

// referenceShaped: m holds only what a Reference may (reference, type,
// identifier, display and their extensions): not an element that has an
// identifier of its own (a Resource, a BackboneElement).
func referenceShaped(m map[string]any) bool {
	for k := range m {
		switch k {
		case "reference", "type", "identifier", "display", "id", "extension",
			"_reference", "_type", "_display":
		default:
			return false
		}
	}
	return true
}

// logicalRefKey is how maskedRefs names a logical reference by its
// identifier to mask: no reference string starts with a NUL.
func logicalRefKey(system, value string) string {
	return "\x00identifier\x00" + system + "|" + value
}

// logicalMasked: m is a logical reference whose identifier is in mask.
func logicalMasked(m map[string]any, mask map[string]bool) bool {
	if _, lit := m["reference"].(string); lit {
		return false
	}
	ident, ok := m["identifier"].(map[string]any)
	if !ok {
		return false
	}
	sys, _ := ident["system"].(string)
	val, _ := ident["value"].(string)
	return mask[logicalRefKey(sys, val)]
}
