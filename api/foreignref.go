package api

import (
	"strings"

	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// checkForeignPatientRefs refuses a write naming a Patient by an absolute
// URL on another server. A reference is read by its type and id whatever
// its base, so `https://other-trust.example/fhir/Patient/jane` (another
// server's patient "jane") filed the item under carex's Jane: another
// person's diagnosis in her record (review 78b). base is this server's
// (--base-url, or the request's own); "" for an import, which has none:
// there any absolute Patient reference is refused. So is one naming an
// entry of a stored Bundle by its fullUrl on another server: the entry is
// that server's patient, filed by its id all the same (review 79a: a
// trust's discharge document about its own "jane" went into carex's
// Jane's record).
func checkForeignPatientRefs(w *store.Write, base string) error {
	if w.Op == store.OpDelete || w.Resource == nil {
		return nil
	}
	var err error
	eachObject(w.Resource, "", func(o map[string]any) bool {
		v, ok := o["reference"].(string)
		if err != nil || !ok || !strings.Contains(v, "://") {
			return err == nil
		}
		if n, ok := search.NormalizeReference(v); ok && strings.HasPrefix(n, "Patient/") && (base == "" || refBase(v) != base) {
			where := w.Type + "/" + w.ID
			if w.Where != "" { // (review 81b: an import's error named no entry)
				where = w.Where + ".resource (" + where + ")"
			}
			if at := referencePath(w.Resource, v); at != "" {
				where += ", " + at
			}
			advice := "; where carex's public address differs from the one this request reached, give it to carex serve as --base-url"
			if base == "" {
				advice = "" // an import has no address
			}
			err = fmtErr(fhir.ErrInvalid, "%s: reference %q names a Patient on another server, whom carex cannot tell from its own record %s: name carex's record (Patient/ID), or the person by NHS number as the reference's identifier (https://fhir.nhs.uk/Id/nhs-number) with no reference%s", where, v, n, advice)
		}
		return err == nil
	})
	return err
}

// refBase is an absolute reference's base: what comes before Type/id, a
// /_history/version, an #fragment, a |version or a ?query.
func refBase(v string) string {
	if i := strings.IndexAny(v, "|?#"); i >= 0 {
		v = v[:i]
	}
	v = strings.TrimSuffix(v, "/")
	if i := strings.LastIndex(v, "/_history/"); i >= 0 {
		v = v[:i]
	}
	for range 2 {
		if i := strings.LastIndexByte(v, '/'); i >= 0 {
			v = v[:i]
		}
	}
	return v
}
