package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/carex-project/carex/fhir"
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
	// idValues: the labelled items' ids, of any type: a stored body
	// naming one as an "id" or a fullUrl's last segment may carry a copy
	// named by its id alone (maybeCopiedByID).
	idValues map[string]bool
	// byValue: the items carrying each identifier value (normValue), with
	// the identifier's system (normSystem) and value as written, trimmed.
	// A stored body is scanned once for its "value" strings, each looked
	// up here (maybeNamesLabelled).
	byValue map[string][]labelledIdent
	// oddValues: byValue's keys holding a character other than a
	// token's (maybeInText), found in a text by a search of their own.
	oddValues []string
}

type labelledIdent struct {
	system, value string
	item          refKey
}

// normValue is an identifier value as indexed: trimmed and upper case
// (review 34b: " NSREF31 " and "nsref31" named the refuge and went out
// with its name). named compares case only where the system's codes have
// none (caseless).
func normValue(v string) string {
	return strings.ToUpper(strings.TrimSpace(v))
}

// odsSystem is the one code space of ODS codes (normSystem form).
const odsSystem = "https://fhir.nhs.uk/id/ods-organization-code"

// caseless: codes of system (normSystem form) are compared without case:
// ODS codes are upper case, written in either by hand (review 34b).
func caseless(system string) bool { return system == odsSystem }

func newLabelledDir(items []store.LabelledItem) *labelledDir {
	d := &labelledDir{ids: make(map[refKey]bool, len(items)), idValues: make(map[string]bool, len(items)), byValue: map[string][]labelledIdent{}}
	for _, it := range items {
		k := refKey{it.Type, it.ID}
		d.ids[k] = true
		d.idValues[it.ID] = true
		for _, ident := range it.Identifiers {
			// (the store joins them as system|value; a system may hold "|")
			i := strings.LastIndex(ident, "|")
			sys, val := ident[:max(i, 0)], ident[i+1:]
			if val == "" {
				continue
			}
			if _, had := d.byValue[normValue(val)]; !had && strings.ContainsFunc(normValue(val), func(r rune) bool { return !textToken(r) }) {
				d.oddValues = append(d.oddValues, normValue(val))
			}
			d.byValue[normValue(val)] = append(d.byValue[normValue(val)], labelledIdent{normSystem(sys), strings.TrimSpace(val), k})
		}
	}
	return d
}

// textToken: r may be part of an id or a directory code as maybeInText
// reads a text's words (FHIR ids: letters, digits, '-' and '.').
func textToken(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_'
}

// maybeInText: text (an attachment's, not FHIR JSON) may name a labelled
// item, by its id or an identifier value, as one of its words: the
// cheap test before it is read as XML (xmlDirCopies). One pass over the
// text, each word looked up, as maybeNamesLabelled does.
func (d *labelledDir) maybeInText(text []byte) bool {
	if len(d.idValues) == 0 && len(d.byValue) == 0 {
		return false
	}
	for i := 0; i < len(text); {
		if !textToken(rune(text[i])) {
			i++
			continue
		}
		j := i
		for j < len(text) && textToken(rune(text[j])) {
			j++
		}
		w := text[i:j]
		if d.idValues[string(w)] {
			return true
		}
		if _, ok := d.byValue[string(w)]; ok {
			return true
		}
		if bytes.ContainsFunc(w, unicode.IsLower) {
			if _, ok := d.byValue[string(bytes.ToUpper(w))]; ok {
				return true
			}
		}
		i = j
	}
	if len(d.oddValues) > 0 {
		up := bytes.ToUpper(text)
		for _, v := range d.oddValues {
			if bytes.Contains(up, []byte(v)) {
				return true
			}
		}
	}
	return false
}

// systemAliases are other names writers give the identifier systems a
// directory item is named by (normSystem form): the ODS organisation
// code's OID and the retired fhir.nhs.net namespace (review 32b). ODS
// organisation and site codes are one code space, and writers confuse
// the two systems (review 34b: the refuge's code as a site code went
// out with its name): both are odsSystem.
var systemAliases = map[string]string{
	"urn:oid:2.16.840.1.113883.2.1.4.3":             odsSystem,
	"https://fhir.nhs.net/id/ods-organization-code": odsSystem,
	"https://fhir.nhs.net/id/ods-site-code":         odsSystem,
	"https://fhir.nhs.uk/id/ods-site-code":          odsSystem,
	"https://fhir.nhs.net/id/sds-user-id":           "https://fhir.nhs.uk/id/sds-user-id",
}

// normSystem is an identifier system as compared with a labelled item's:
// writers vary its case, a trailing slash, http for https, or give an
// OID (review 32b: the refuge's ODS code under any of them went out with
// its name). A wider match masks more, never less.
func normSystem(s string) string {
	s = strings.TrimRight(strings.ToLower(strings.TrimSpace(s)), "/")
	if rest, ok := strings.CutPrefix(s, "http://"); ok {
		s = "https://" + rest
	}
	if a, ok := systemAliases[s]; ok {
		return a
	}
	return s
}

// directorySystems are the code systems (normSystem form) a labelled
// item's identifier written without a system may be a code of: ODS and
// SDS codes name directory items. A patient's identifier (an NHS number)
// or a professional register's number is not read as one (review 36b: a
// labelled Practitioner's system-less "9434765919" masked Jane's NHS
// number, and its "G36B" took the GP's own Practitioner, GMC number G36B,
// out of a Bundle).
var directorySystems = map[string]bool{
	odsSystem:                                    true,
	"https://fhir.nhs.uk/id/sds-user-id":         true,
	"https://fhir.nhs.uk/id/sds-role-profile-id": true,
}

// named returns the labelled items an identifier (system, value) names:
// the same value under the same system (normSystem), or under no system
// on the reader's side (a feed writing the code alone), or a labelled
// identifier with no system under none or a directory code system
// (directorySystems); trimmed, and without case where either system's
// codes have none (caseless).
func (d *labelledDir) named(system, value string) []refKey {
	var out []refKey
	lis := d.byValue[normValue(value)]
	if len(lis) == 0 {
		return nil
	}
	system = normSystem(system)
	value = strings.TrimSpace(value)
	for _, li := range lis {
		if (li.system == system || system == "" || li.system == "" && directorySystems[system]) &&
			(li.value == value || caseless(li.system) || caseless(system)) {
			out = append(out, li.item)
		}
	}
	return out
}

// maybeNamesLabelled: raw may hold a labelled item's identifier value (a
// "value" string), which a logical reference or a contained copy would
// give. One pass over raw, each value unescaped (review 32b: "\/" in a
// value passed the byte search) and looked up, not one search of raw
// per labelled value (review 32b: 5,000 labelled Practitioners made
// $everything 50 times slower).
func (d *labelledDir) maybeNamesLabelled(raw []byte) bool {
	if len(d.byValue) == 0 {
		return false
	}
	found := false
	forEachString(raw, []byte(`"va`), []byte(`lue"`), func(v []byte) {
		if found {
			return
		}
		// (as indexed, normValue: most values need no copy for it)
		v = bytes.TrimSpace(v)
		if _, found = d.byValue[string(v)]; !found && bytes.ContainsFunc(v, unicode.IsLower) {
			_, found = d.byValue[string(bytes.ToUpper(v))]
		}
	})
	return found
}

// maybeCopiedByID: raw may hold a copy of a labelled item named by its id
// alone (review 36b: the refuge's Organization as a Bundle entry, its id,
// name and address, no identifier, a urn:uuid fullUrl or none, went out
// whole, maybeNamesLabelled finding no identifier value): an "id" value,
// or a fullUrl's last segment, is a labelled item's id. One pass over raw
// each, as maybeNamesLabelled.
func (d *labelledDir) maybeCopiedByID(raw []byte) bool {
	if len(d.idValues) == 0 {
		return false
	}
	found := false
	forEachString(raw, []byte(`"`), []byte(`id"`), func(v []byte) {
		found = found || d.idValues[string(v)]
	})
	if !found {
		forEachString(raw, []byte(`"full`), []byte(`Url"`), func(v []byte) {
			i := bytes.LastIndexByte(bytes.TrimRight(v, "/"), '/')
			found = found || i >= 0 && d.idValues[string(bytes.TrimRight(v[i+1:], "/"))]
		})
	}
	return found
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

// logicalRefs calls masked with logicalRefKey of each reference in v
// whose identifier names a labelled directory item the user may not see
// (review 31b: an appointment naming a refuge's site by its ODS code, the
// display giving its name, went out as stored where the literal
// reference was masked), with a literal reference or without (review
// 32b: a literal reference to an Organization nothing labelled, beside
// the refuge's identifier and name, went out whole). And with
// logicalRefKey of each such identifier carried by a copy of the withheld
// item: a contained directory resource (review 32b), a Bundle entry's or
// a parameter's (review 34b: the refuge's entry, name and address, went
// out whole as a collection Bundle's entry), which maskRefs takes out;
// and by an Identifier value that is not a resource's own (review 34b: an
// extension's valueIdentifier), which maskRefs masks.
// On a store error every logical reference, every contained or nested
// directory resource with an identifier and every such Identifier value
// is masked.
func (g *gate) logicalRefs(v any, masked func(string)) {
	withheld := g.identWithheld
	eachObject(v, "", func(m map[string]any) bool {
		for _, c := range asList(m["contained"]) {
			r, _ := c.(map[string]any)
			for _, k := range copyIdentifiers(r, withheld) {
				masked(k)
			}
		}
		for _, r := range nestedResources(m) {
			g.nestedCopy(m, r, withheld, masked)
		}
		for k, e := range m {
			if k == "identifier" || k == "telecom" {
				continue // (the resource's own, or a reference's: below)
			}
			list, _ := e.([]any)
			if _, ok := e.(map[string]any); ok {
				list = []any{e}
			}
			for _, x := range list {
				if sys, val, ok := identifierValue(x); ok && withheld(sys, val) {
					masked(logicalRefKey(sys, val))
				}
			}
		}
		ident, ok := m["identifier"].(map[string]any)
		if !ok || !referenceShaped(m) {
			return true
		}
		sys, _ := ident["system"].(string)
		val, _ := ident["value"].(string)
		if withheld(sys, val) {
			masked(logicalRefKey(sys, val))
			if lit, ok := m["reference"].(string); ok {
				// the literal reference beside names the same item: masked
				// as it is, an _include does not follow it either
				masked(lit)
			}
		}
		return false
	})
}

// identWithheld reports whether the identifier (sys, val) names a
// labelled directory item the user may not see (any, on a store error).
func (g *gate) identWithheld(sys, val string) bool {
	d := g.directory()
	if d == nil {
		return true
	}
	for _, k := range d.named(sys, val) {
		if !g.refVisible(k) {
			return true
		}
	}
	return false
}

// nestedCopy calls masked for r, the resource of e (a Bundle entry, a
// parameter), when it is a directory resource carrying an identifier
// withheld reports, or whose id or e's fullUrl names a labelled item the
// user may not see: a copy of that item (review 34b). Its identifiers,
// and e's fullUrl and the Type/id it names, are masked: maskRefs takes
// e out (entryCopy), and the references to it are masked.
func (g *gate) nestedCopy(e, r map[string]any, withheld func(sys, val string) bool, masked func(string)) {
	typ, _ := r["resourceType"].(string)
	if !slices.Contains(store.DirectoryTypes, typ) {
		return
	}
	keys := copyIdentifiers(r, withheld)
	id, _ := r["id"].(string)
	full, _ := e["fullUrl"].(string)
	var names []string
	if id != "" {
		names = append(names, typ+"/"+id)
	}
	fullNames := "" // the Type/id a RESTful fullUrl gives it
	if ft, fid, ok := fullUrlTarget(full); ok && ft == typ {
		fullNames = ft + "/" + fid
		names = append(names, fullNames)
	}
	copied := len(keys) > 0
	for _, n := range names {
		t, i, _ := strings.Cut(n, "/")
		if k := (refKey{t, i}); g.labelled(k) && !g.refVisible(k) {
			copied = true
		}
	}
	if !copied {
		return
	}
	for _, k := range keys {
		masked(k)
	}
	if full != "" {
		masked(full)
	}
	if fullNames != "" {
		// a relative reference in the Bundle resolves to it by fullUrl
		masked(fullNames)
	}
	if id != "" && g.labelled(refKey{typ, id}) && !g.refVisible(refKey{typ, id}) {
		masked(typ + "/" + id)
	}
}

// nestedResources are m's members that are resources of their own: a
// Bundle entry's resource, its response's outcome, a parameter's resource
// (review 38b: the refuge as a batch-response entry's outcome went out
// whole, only "resource" being read), any object with a resourceType.
func nestedResources(m map[string]any) map[string]map[string]any {
	var out map[string]map[string]any
	for k, e := range m {
		if r, ok := e.(map[string]any); ok {
			if _, ok := r["resourceType"].(string); ok {
				if out == nil {
					out = map[string]map[string]any{}
				}
				out[k] = r
			}
		}
	}
	return out
}

// dropNestedCopies takes out of m its members that are copies of withheld
// items (isCopy; nestedResources): a Bundle entry's response.outcome
// (review 38b). A list's element whose resource is one goes whole
// (dropEntryCopies, on the list's holder, first).
func dropNestedCopies(m map[string]any, mask map[string]bool) bool {
	full, _ := m["fullUrl"].(string)
	changed := false
	for k, r := range nestedResources(m) {
		if isCopy(r, full, true, mask) {
			delete(m, k)
			changed = true
		}
	}
	return changed
}

// fullUrlTarget is the Type/id a RESTful fullUrl ends with.
func fullUrlTarget(full string) (typ, id string, ok bool) {
	if strings.HasPrefix(full, "urn:") {
		return "", "", false
	}
	segs := strings.Split(strings.TrimRight(full, "/"), "/")
	if len(segs) < 2 || segs[len(segs)-1] == "" || !slices.Contains(store.DirectoryTypes, segs[len(segs)-2]) {
		return "", "", false
	}
	return segs[len(segs)-2], segs[len(segs)-1], true
}

// copyIdentifiers is logicalRefKey of each identifier withheld reports
// that r carries, when r is a directory resource: a copy of a labelled
// item, decided as that item (review 32b: the GP's encounter carried the
// refuge's entry, ODS code, name and address).
func copyIdentifiers(r map[string]any, withheld func(sys, val string) bool) []string {
	typ, _ := r["resourceType"].(string)
	if !slices.Contains(store.DirectoryTypes, typ) {
		return nil
	}
	var out []string
	for _, x := range asList(r["identifier"]) {
		ident, _ := x.(map[string]any)
		sys, _ := ident["system"].(string)
		val, _ := ident["value"].(string)
		if val != "" && withheld(sys, val) {
			out = append(out, logicalRefKey(sys, val))
		}
	}
	return out
}

// isCopy reports whether r is a directory resource maskedRefs found a
// copy of a withheld labelled item (copyIdentifiers, nestedCopy): one of
// its identifiers, or (a nested resource's) its Type/id or fullUrl, is
// in mask.
func isCopy(r map[string]any, full string, nested bool, mask map[string]bool) bool {
	typ, _ := r["resourceType"].(string)
	if !slices.Contains(store.DirectoryTypes, typ) {
		return false
	}
	for _, x := range asList(r["identifier"]) {
		ident, _ := x.(map[string]any)
		sys, _ := ident["system"].(string)
		val, _ := ident["value"].(string)
		if val != "" && mask[logicalRefKey(sys, val)] {
			return true
		}
	}
	if !nested {
		return false // (a contained resource's id is local)
	}
	id, _ := r["id"].(string)
	return id != "" && mask[typ+"/"+id] || full != "" && mask[full]
}

// dropContainedCopies takes out of m's contained list the copies of
// withheld items (isCopy), and masks the references to them ("#id") and
// its narrative's links to them in m alone: a contained id is local to
// its resource (review 34b: in a Bundle, another entry's contained
// resource of the same id was taken out or its references masked). FHIR
// requires a contained resource to be referenced: one taken out with its
// references masked leaves the resource valid.
func dropContainedCopies(m map[string]any, mask map[string]bool) bool {
	list, ok := m["contained"].([]any)
	if !ok {
		return false
	}
	kept := list[:0:0]
	gone := map[string]bool{}
	for _, c := range list {
		if r, ok := c.(map[string]any); ok && isCopy(r, "", false, mask) {
			id, _ := r["id"].(string)
			gone["#"+id] = true
			continue
		}
		kept = append(kept, c)
	}
	if len(kept) == len(list) {
		return false
	}
	if len(kept) == 0 {
		delete(m, "contained")
	} else {
		m["contained"] = kept
	}
	delete(gone, "#") // (a copy without an id: "#" names m itself)
	if len(gone) == 0 {
		return true
	}
	eachObject(m, "", func(o map[string]any) bool {
		if s, ok := o["reference"].(string); ok && gone[s] {
			clear(o)
			o["extension"] = maskedMark()
			return false
		}
		if div, ok := o["div"].(string); ok {
			// review 34b: <a href="#refuge"> went out, naming what was there
			if out, changed := fhir.ReplaceNarrativeLinks(div, func(v string) (string, bool) {
				return maskedNarrativeLink, gone[fhir.LinkRead(v)]
			}); changed {
				o["div"] = out
			}
		}
		return true
	})
	return true
}

// dropEntryCopies takes out of m's lists the elements (Bundle entries,
// parameters) whose resource is a copy of a withheld item (isCopy,
// nestedCopy; review 34b): withheld items are absent. The references to
// it (its fullUrl) are masked as any is.
func dropEntryCopies(m map[string]any, mask map[string]bool) bool {
	changed := false
	for k, e := range m {
		list, ok := e.([]any)
		if !ok {
			continue
		}
		kept := list[:0:0]
		matches := 0 // match entries taken out
		for _, x := range list {
			el, _ := x.(map[string]any)
			r, _ := el["resource"].(map[string]any)
			full, _ := el["fullUrl"].(string)
			if r != nil && isCopy(r, full, true, mask) {
				if search, _ := el["search"].(map[string]any); search["mode"] == nil || search["mode"] == "match" {
					matches++
				}
				continue
			}
			kept = append(kept, x)
		}
		if len(kept) == len(list) {
			continue
		}
		changed = true
		if k == "entry" && m["resourceType"] == "Bundle" {
			lowerTotal(m, matches)
		}
		if len(kept) == 0 {
			delete(m, k)
		} else {
			m[k] = kept
		}
	}
	return changed
}

// lowerTotal lowers a stored Bundle's total by n match entries taken out:
// withheld items are absent from totals, and a total beside fewer entries
// says how many were withheld (review 36b, SPEC §5).
func lowerTotal(b map[string]any, n int) {
	var total float64
	switch t := b["total"].(type) {
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return
		}
		total = f
	case float64:
		total = t
	default:
		return
	}
	b["total"] = json.Number(strconv.FormatFloat(max(total-float64(n), 0), 'f', -1, 64))
}

// identifierValue reports the system and value of x when it is an
// Identifier (not a ContactPoint: its system is no uri).
func identifierValue(x any) (sys, val string, ok bool) {
	m, _ := x.(map[string]any)
	val, _ = m["value"].(string)
	if val == "" {
		return "", "", false
	}
	for k := range m {
		switch k {
		case "id", "extension", "use", "type", "system", "value", "period", "assigner",
			"_use", "_system", "_value":
		default:
			return "", "", false
		}
	}
	sys, _ = m["system"].(string)
	if sys != "" && !strings.Contains(sys, ":") {
		return "", "", false
	}
	return sys, val, true
}

// maskIdentifierValues masks each Identifier among m's values but its
// own "identifier" (a resource's, or a reference's: logicalMasked) that
// names a withheld item (in mask: logicalRefs; review 34b: the refuge's
// ODS code as an extension's valueIdentifier), as a reference is: the
// data-absent-reason "masked" alone.
func maskIdentifierValues(m map[string]any, mask map[string]bool) bool {
	changed := false
	for k, e := range m {
		if k == "identifier" || k == "telecom" {
			continue
		}
		if sys, val, ok := identifierValue(e); ok && mask[logicalRefKey(sys, val)] {
			m[k] = map[string]any{"extension": maskedMark()}
			changed = true
			continue
		}
		list, _ := e.([]any)
		for i, x := range list {
			if sys, val, ok := identifierValue(x); ok && mask[logicalRefKey(sys, val)] {
				list[i] = map[string]any{"extension": maskedMark()}
				changed = true
			}
		}
	}
	return changed
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

// logicalMasked: m is a reference whose identifier is in mask (with a
// literal reference or without: review 32b); not a resource or element
// with an identifier of its own, which the key names too since review
// 34b masks Identifier values (maskIdentifierValues).
func logicalMasked(m map[string]any, mask map[string]bool) bool {
	ident, ok := m["identifier"].(map[string]any)
	if !ok || !referenceShaped(m) {
		return false
	}
	sys, _ := ident["system"].(string)
	val, _ := ident["value"].(string)
	return mask[logicalRefKey(sys, val)]
}

// textCopyMark, in a mask, says it holds payloadKey of some payload text
// to mask whole (xmlDirCopies): only then are payloads other than FHIR
// JSON decoded again to release them (maskAttachedRefs).
const textCopyMark = "\x00payload"

// payloadKey is how maskedRefs names a payload, by its text
// (attachmentText), to mask whole: no reference string starts with a NUL.
func payloadKey(text []byte) string {
	sum := sha256.Sum256(text)
	return textCopyMark + "\x00" + string(sum[:])
}

// xmlDirCopies calls masked with payloadKey of each payload m carries, at
// any depth of the FHIR JSON it carries, whose text is not FHIR JSON and
// names a labelled directory item the user may not see (textWithholds),
// and with textCopyMark: maskRefs masks it whole, as an attachment whose
// FHIR JSON is such a copy (review 38b: the refuge's Organization as an
// application/fhir+xml attachment, by its id or its ODS code, went out
// whole; XML was read for consent's instance denies alone). Only while
// some directory item is labelled (or the store failed: fail closed).
func (g *gate) xmlDirCopies(m map[string]any, masked func(string)) {
	d := g.directory()
	if d != nil && len(d.ids) == 0 {
		return
	}
	var walk func(v any)
	walk = func(v any) {
		eachObject(v, "", func(x map[string]any) bool {
			editPayloads(x, true, func(ct string, text []byte) (payloadEdit, []byte) {
				// JSON whatever its type says (review 40a); typed other
				// than JSON, its text is read as XML too: JSON may open
				// it and XML follow
				jsonType := ct == "" || fhirJSONType(ct)
				if jsonType || jsonLike(text) {
					if docs := jsonDocs(ct, text); len(docs) > 0 {
						for _, doc := range docs {
							walk(doc) // (its own payloads; its copies: attachedRefs)
						}
						if jsonType {
							return payloadKept, nil
						}
					}
				}
				if g.textWithholds(d, text, false) {
					masked(textCopyMark)
					masked(payloadKey(text))
				}
				return payloadKept, nil
			})
			return true
		})
	}
	walk(m)
}

// textWithholds reports whether text t names a labelled directory item
// the user may not see, as stored or as a reader sees it (scanText): as
// FHIR XML, a directory resource of its id (its <id value>, an entry's
// fullUrl), an <identifier> or a CDA <id root extension> naming it
// (identWithheld), or a <reference value> to it; and, failing closed,
// where t is not read to its end, or a base64 run in it (a FHIR XML
// Attachment's <data value>: nested) that is not XML holds its id or one
// of its identifier values as a word. Text holding none of those words
// (maybeInText) is not read as XML: most is not. d nil (a store error):
// every directory resource, identifier and reference in XML counts.
//
// What the payloads inside t decode to is capped as attachedContent's is
// (maxDecodedFactor times t, at least minDecodedCap), failing closed past
// it: a data: url's data may be a base64 run as well, each read at every
// level of a crafted nesting (review 40a).
func (g *gate) textWithholds(d *labelledDir, t []byte, nested bool) bool {
	return g.textWithholdsIn(d, t, nested, newReadOnce(len(t)))
}

// textWithholdsIn is textWithholds within one reading (r: review 42a, a
// data: url read as a base64 run and as a url, in each of the text's
// forms, was read again at every level, passed the budget, and masked an
// ordinary note nested three deep).
func (g *gate) textWithholdsIn(d *labelledDir, t []byte, nested bool, r *readOnce) bool {
	if binaryFormat(t) {
		return false
	}
	if nested {
		fresh, spent := r.first("", t)
		if !fresh {
			return false // read already, with the same answer
		}
		if spent {
			return true // not read: fail closed
		}
	}
	withheld := func(typ, id string) bool {
		k := refKey{typ, id}
		return slices.Contains(store.DirectoryTypes, typ) && g.labelled(k) && !g.refVisible(k)
	}
	forms := [][]byte{t}
	if s := scanText(t); !bytes.Equal(s, t) {
		forms = append(forms, s)
	}
	for _, s := range forms {
		if d != nil && !d.maybeInText(s) {
			continue
		}
		if bytes.IndexByte(s, '<') < 0 {
			if nested {
				return true // not read: fail closed
			}
			continue // (plain text, a v2 message: free text, as a note's)
		}
		found := false
		complete := xmlItems(s, xmlReads{
			item:  func(typ, id string) { found = found || withheld(typ, id) },
			ident: func(sys, val string) { found = found || g.identWithheld(sys, val) },
			ref: func(ref string) {
				if typ, id, _, ok := refTarget(refCore(ref)); ok {
					found = found || withheld(typ, id)
				}
			},
		})
		if found || !complete {
			return true
		}
	}
	found := false
	eachEmbeddedPayload(t, func(ct string, raw []byte) bool {
		found = g.textWithholdsIn(d, attachmentText(ct, raw), true, r)
		return !found
	})
	return found
}
