package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// begin records what the request is and runs the admission decision.
func (s *Server) begin(c echo.Context, op string) (*Exchange, *auth.Principal, error) {
	x := exchangeOf(c)
	x.Operation = op
	x.Type, x.ID = c.Param("type"), c.Param("id")
	if strings.HasPrefix(c.Path(), "/fhir/Patient/") {
		x.Type = "Patient"
	}
	p := auth.PrincipalFrom(c)
	x.Principal = p
	x.BreakGlass = strings.TrimSpace(c.Request().Header.Get("X-Break-Glass"))
	if x.Type != "" && !fhir.IsResourceType(x.Type) {
		return x, p, fmtErr(store.ErrNotFound, "%q is not a FHIR R4 resource type", x.Type)
	}
	if x.Type == "Patient" && x.ID != "" {
		x.Patient = x.ID
	}
	if err := s.policy.Admit(c.Request().Context(), p, x); err != nil {
		return x, p, err
	}
	return x, p, nil
}

func (x *Exchange) release(vs ...*store.Version) {
	for _, v := range vs {
		x.Released = append(x.Released, v.Type+"/"+v.ID+"/_history/"+strconv.FormatInt(v.VersionID, 10))
		if len(v.Patients) == 0 && v.Raw != nil && v.Type != "Patient" {
			// Naming no one, yet it may name a person: a Consent's
			// actor, or an item stored before items were given everyone
			// they name (search.NamedPeople) and not yet relabelled. The
			// log names them too.
			x.noteNamed(namedPeople(v.Raw)...)
		}
	}
}

// namedPeople are the people a resource names by reference ("Patient/id")
// or by NHS number alone ("nhs|number"), for the access log.
func namedPeople(raw []byte) []string {
	// Most such items are directory data naming no one: decoded only when
	// the bytes could hold a Patient reference or an NHS number (or an
	// escape that could spell either).
	if !bytes.Contains(raw, []byte("atient")) && !fhir.MayHoldNHSNumberSystem(raw) && bytes.IndexByte(raw, '\\') < 0 {
		return nil
	}
	var out []string
	m := decodeMap(raw)
	walkRefs(m, func(ref string) {
		if n, ok := search.NormalizeReference(ref); ok {
			if id, ok := strings.CutPrefix(n, "Patient/"); ok {
				out = append(out, id)
			}
		}
	})
	eachObject(m, "", func(o map[string]any) bool {
		if id, ok := o["identifier"].(map[string]any); ok && isNHSSystem(id["system"]) {
			if v, ok := id["value"].(string); ok && v != "" {
				// As the Patient search index holds it: no spaces.
				out = append(out, byNumber+strings.ReplaceAll(v, " ", ""))
			}
		}
		return true
	})
	return distinct(out)
}

func versionHeaders(v *store.Version) http.Header {
	h := http.Header{}
	h.Set("ETag", `W/"`+strconv.FormatInt(v.VersionID, 10)+`"`)
	h.Set("Last-Modified", v.LastUpdated.UTC().Format(http.TimeFormat))
	return h
}

func (s *Server) read(c echo.Context) error {
	x, p, err := s.begin(c, "read")
	if err != nil {
		return err
	}
	var view func(*store.Version, []byte) []byte
	if c.Request().URL.RawQuery != "" {
		if view, err = readView(x.Type, c.QueryParams()); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	v, err := s.store.Read(ctx, x.Type, x.ID)
	dv := s.asDecided(ctx, v)
	if dv != nil && len(dv.Patients) == 1 && !unresolved(dv.Patients[0]) {
		x.Patient = dv.Patients[0]
	}
	x.sharedItem(dv)
	vis := s.policy.Visible(ctx, p, x)
	if x.Type == "Patient" && (v == nil || !visible(vis, v)) {
		// Reading a person the user may not open at all is a 403.
		if err := s.policy.OpenPatient(ctx, p, x, x.ID); err != nil {
			x.Withheld = 0
			return err
		}
	}
	if v != nil && !visible(vis, v) {
		// Withheld and deleted-but-withheld look exactly like never-existed.
		x.Withheld = 1
		return withheldNotFound("%s/%s", x.Type, x.ID)
	}
	if err != nil {
		return err
	}
	x.release(v)
	body := x.body(v)
	if view != nil {
		body = view(v, body)
	}
	return respond(c, http.StatusOK, body, versionHeaders(v))
}

// sharedItem notes, for break-glass, the item a single-item request
// (read, version read, instance history) is about when its current
// version v belongs to several people: the person it is about opens (its subject), or, when
// none is recognisable, the item alone is released, opening no one.
func (x *Exchange) sharedItem(v *store.Version) {
	if v != nil && len(v.Patients) > 1 {
		x.sharedSeen = v // (its entry names its subject first: subjectFirst)
	}
	if v != nil && len(v.Patients) > 1 && x.BreakGlass != "" {
		x.bgPeople = knownPeople(v.Patients)
		x.bgSubject = subjectOf(v.Raw)
	}
}

// asDecided is v as a single-item request decides it: a Binary as the
// item its securityContext names now (binaryNow), with that item's people
// and subject, not the people copied onto the Binary when it was written
// (review 6d: the content of a letter moved from Margaret to Arthur was
// read, and break-glass chosen, as Margaret's). v itself otherwise, or when
// binaryNow fails (the decision then fails the same way).
func (s *Server) asDecided(ctx context.Context, v *store.Version) *store.Version {
	cp, ok := s.policy.(*ConsentPolicy)
	if v == nil || v.Type != "Binary" || !ok {
		return v
	}
	now, item, err := cp.binaryNow(ctx, &v.Meta)
	if err != nil {
		return v
	}
	out := &store.Version{Meta: *now}
	if item != nil {
		out.Raw = item.Raw // its subject (sharedItem); nil for a delete marker
	}
	return out
}

// subjectOf is the Patient id the element naming an item's focal person
// (subjectNamed) refers to.
func subjectOf(raw []byte) string {
	// (as the entry names it first: review 89d, "Patient/jane/_history/1"
	// was "jane/_history/1", no one)
	if id := subjectInRaw(raw); !strings.HasPrefix(id, byNumber) {
		return id
	}
	return ""
}

// currentGated releases an earlier version only when the resource's
// current version is released too: an item withheld now (coded HIV since
// its second version, say) must look like one that never existed, so
// none of its versions is shown, nor counted.
func (s *Server) currentGated(ctx context.Context, vis store.Visible) store.Visible {
	if vis == nil {
		return nil
	}
	var mu sync.Mutex
	current := map[string]bool{} // Type/id -> its current version is released
	return func(m *store.Meta) bool {
		key := m.Type + "/" + m.ID
		mu.Lock()
		ok, known := current[key]
		mu.Unlock()
		if known {
			return ok && vis(m)
		}
		cur, _ := s.store.Read(ctx, m.Type, m.ID)
		isCurrent := cur == nil || cur.VersionID == m.VersionID
		if isCurrent {
			ok = vis(m)
		} else {
			ok = vis(&cur.Meta)
		}
		mu.Lock()
		current[key] = ok
		mu.Unlock()
		return ok && (isCurrent || vis(m))
	}
}

// withheldOnce is vis counting each version it withholds once: a
// condition is matched more than once in its write transaction (the
// handler's prepare, the write decision, the store), and a search's
// _include may reach an item its matching withheld; each decision would
// count the item again in the access log (review 7a: one withheld item
// was logged as 2, or 3 in a transaction). A version withheld once is
// withheld again without a second decision; one released is decided
// again, as before (its decision counts nothing). nil stays nil.
func withheldOnce(vis store.Visible) store.Visible {
	if vis == nil {
		return nil
	}
	var mu sync.Mutex
	var refused map[versionKey]bool
	return func(m *store.Meta) bool {
		k := keyOf(m)
		mu.Lock()
		done := refused[k]
		mu.Unlock()
		if done {
			return false
		}
		if vis(m) {
			return true
		}
		mu.Lock()
		if refused == nil {
			refused = map[versionKey]bool{}
		}
		refused[k] = true
		mu.Unlock()
		return false
	}
}

func visible(vis store.Visible, v *store.Version) bool {
	return vis == nil || vis(&v.Meta)
}

func visibleOnly(found []*store.Meta, vis store.Visible) []*store.Meta {
	if vis == nil {
		return found
	}
	out := found[:0:0]
	for _, m := range found {
		if vis(m) {
			out = append(out, m)
		}
	}
	return out
}

func (s *Server) vread(c echo.Context) error {
	x, p, err := s.begin(c, "vread")
	if err != nil {
		return err
	}
	vid, perr := strconv.ParseInt(c.Param("vid"), 10, 64)
	if perr != nil || vid < 1 {
		return fmtErr(store.ErrNotFound, "%s/%s/_history/%s: version ids are positive integers", x.Type, x.ID, c.Param("vid"))
	}
	var view func(*store.Version, []byte) []byte
	if c.Request().URL.RawQuery != "" {
		if view, err = readView(x.Type, c.QueryParams()); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	v, err := s.store.VRead(ctx, x.Type, x.ID, vid)
	if x.BreakGlass != "" {
		cur, _ := s.store.Read(ctx, x.Type, x.ID)
		x.sharedItem(s.asDecided(ctx, cur))
	}
	if v != nil && !visible(s.currentGated(ctx, s.policy.Visible(ctx, p, x)), v) {
		x.Withheld = 1
		return withheldNotFound("%s/%s/_history/%d", x.Type, x.ID, vid)
	}
	if err != nil {
		return err
	}
	x.release(v)
	body := x.body(v)
	if view != nil {
		body = view(v, body)
	}
	return respond(c, http.StatusOK, body, versionHeaders(v))
}

// readBody reads and parses a resource body of the URL's type.
func (s *Server) readBody(c echo.Context, x *Exchange, typ string) (*fhir.Resource, error) {
	body, err := readAll(c)
	if err != nil {
		return nil, err
	}
	res, err := fhir.Parse(body)
	if err != nil {
		x.noteBody(body, typ)
		if rt := declaredType(body, err); typ != "" && rt != "" && rt != typ {
			// Not the Observation's missing elements: the client sent it
			// to the wrong URL (review 19b).
			return nil, fmtErr(ErrBadRequest, "resourceType %q does not match the URL's %q", rt, typ)
		}
		return nil, err
	}
	if typ != "" && res.Type != typ {
		return nil, fmtErr(ErrBadRequest, "resourceType %q does not match the URL's %q", res.Type, typ)
	}
	if ref := conditionalRef(res); ref != "" {
		// FHIR resolves conditional references only in a transaction;
		// stored as written, one would name no one carex can identify.
		return nil, fmtErr(ErrBadRequest, "conditional reference %q: carex resolves conditional references only inside a transaction; send the resource as an entry of a transaction Bundle (POST /fhir), or refer to the resource by id", ref)
	}
	return res, nil
}

// bodyPeople are the people a write's body refused as invalid names by
// reference, as a valid one's would be (review 14b: a Consent of Jane's
// refused for a bad status was logged against no one, while one refused
// for a missing dateTime, or for the writer's lack of a relationship, was
// logged against her, so her $who-accessed left out some attempts to
// change her sharing). Nothing when the body is not a JSON object of the
// URL's type.
func bodyPeople(body []byte, typ string) []string { return bodyPeopleIn(decodeMap(body), typ) }

// bodyPeopleIn is bodyPeople for the decoded body m.
func bodyPeopleIn(m map[string]any, typ string) []string {
	rt, _ := m["resourceType"].(string)
	if rt == "" || typ != "" && rt != typ || !fhir.IsResourceType(rt) {
		return nil
	}
	ids, _, _ := search.NamedPeople(rt, m)
	return ids
}

// declaredType is the R4 resourceType a body that failed validation (err)
// declares, "" when it is not one or the body failed for another reason:
// a resource sent to another type's URL is refused for that first.
func declaredType(body []byte, err error) string {
	if !errors.Is(err, fhir.ErrInvalid) {
		return ""
	}
	rt, _ := decodeMap(body)["resourceType"].(string)
	if !fhir.IsResourceType(rt) {
		return ""
	}
	return rt
}

// conditionalRef is the first conditional reference (Type?query) in res,
// "" if none.
func conditionalRef(res *fhir.Resource) string {
	for _, ref := range res.Refs {
		if typ, _, ok := strings.Cut(ref.Value, "?"); ok && fhir.IsResourceType(typ) {
			return ref.Value
		}
	}
	return ""
}

// readAll is the request's body, which must not be empty.
func readAll(c echo.Context) ([]byte, error) {
	body, err := readBody(c)
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		return nil, fmtErr(fhir.ErrMalformed, "empty body: send a FHIR resource as JSON")
	}
	return body, nil
}

// readBody is the request's body, perhaps empty. A body over --max-body is
// ErrTooLarge (413), one that breaks off or is badly framed a 400: the
// client's fault, not a 500.
func readBody(c echo.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(mbe.Limit)
		}
		return nil, fmtErr(ErrBadRequest, "reading body: %v", err)
	}
	return body, nil
}

// newWrite prepares a write of res on behalf of principal p: the writer's
// organisation becomes the source, and compartment, class, codes, clinical
// date, labels and search values are derived once here.
func (s *Server) newWrite(op store.Op, p *auth.Principal, res *fhir.Resource, id string) *store.Write {
	res.Map["id"] = id
	w := &store.Write{Op: op, Type: res.Type, ID: id, Raw: res.Raw, Resource: res.Map, SourceOrg: p.Org}
	s.derive(w)
	return w
}

// maxClinicalEnd stands for an open end (an ongoing period): the year
// 9999, which time.Time and every store keep exactly.
var maxClinicalEnd = time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC)

// minClinicalStart stands for an open start (a period with an end and no
// start: "until 20 June 2015"): the first millisecond of the year 1, not
// the zero time, which means no clinical date.
var minClinicalStart = time.Date(1, 1, 1, 0, 0, 0, 1e6, time.UTC)

// clinicalSpan is an item's clinical date from its range (unix ms, both
// inclusive, from clinicalRange, which reads a date without a time as days
// in England): its first instant, and its last when it is a range (a date
// to the year, month or day, a period; zero for an instant). An open start
// is minClinicalStart, an open end maxClinicalEnd.
func clinicalSpan(lo, hi int64) (start, end time.Time) {
	lo = max(lo, minClinicalStart.UnixMilli())
	start = time.UnixMilli(lo).UTC()
	if hi <= lo+999 { // an instant, to the second or millisecond
		return start, time.Time{}
	}
	if hi >= maxClinicalEnd.UnixMilli() { // ongoing: from a day, or an instant
		return start, maxClinicalEnd
	}
	return start, time.UnixMilli(hi).UTC()
}

// clinicalDateGroups name, in order of preference, the groups of search
// parameters whose values are an item's clinical date (for consent
// dataPeriod): the first group the item has dates in gives them all. The
// general order is when the care took place before when it was recorded.
var clinicalDateGroups = [][]string{{"date"}, {"onset-date"}, {"recorded-date"}, {"effective"}, {"authored"}, {"authoredon"}, {"authored-on"}, {"period"}, {"issued"}}

// typeDateGroups are the types whose care is dated otherwise, each group
// spanning what it holds:
//   - a document's "period" (DocumentReference context.period, Composition
//     event.period) is the care it documents, its "date" when it was
//     written or indexed (review 9c: a letter from 2015 scanned in 2024);
//   - a Task's "period" (executionPeriod) is when it was carried out
//     (review 31d), a referral's "occurrence" when the care it asks for
//     took place (review 32c);
//   - a message runs from when it was sent to when it was received;
//   - a problem runs from its onset to its abatement, before when it was
//     recorded; an allergy from its onset (an element no parameter
//     indexes, "" here) through its reactions ("onset") to its last
//     occurrence, before when it was recorded; a prescription from when
//     it was written through its doses (review 61c: each was judged by
//     its recording or its doses alone, and an allergy begun in June 2015
//     and recorded in 2024 escaped a deny of June 2015).
var typeDateGroups = map[string][][]string{
	"DocumentReference":  append([][]string{{"period"}}, clinicalDateGroups...),
	"Composition":        append([][]string{{"period"}}, clinicalDateGroups...),
	"Task":               append([][]string{{"period"}}, clinicalDateGroups...),
	"ServiceRequest":     append([][]string{{"occurrence"}}, clinicalDateGroups...),
	"Condition":          {{"onset-date", "abatement-date"}, {"recorded-date"}},
	"AllergyIntolerance": {{"", "onset", "last-date"}, {"date"}},
	"MedicationRequest":  {{"authoredon", "date"}},
	// a message from when it was sent to when it was received (revision
	// 2026-12-07a: undated before, so a permit of a period's data never
	// released one); a feeding regime from when it was ordered
	"Communication":  append([][]string{{"sent", "received"}}, clinicalDateGroups...),
	"NutritionOrder": append([][]string{{"datetime"}}, clinicalDateGroups...),
	// an assessment from when it was carried out (effective, which no
	// parameter indexes), an equipment order or a request to communicate
	// from when it is to happen, each before when it was written up or
	// asked for (revision 2026-12-07h, review 96b: an assessment of June
	// 2015 written up in 2024 escaped a deny of June 2015; 2026-12-07i,
	// review 97a: an order's occurrenceTiming, which its "event-date"
	// does not index, so too)
	"ClinicalImpression":   append([][]string{{""}}, clinicalDateGroups...),
	"DeviceRequest":        append([][]string{{"event-date", ""}}, clinicalDateGroups...),
	"CommunicationRequest": append([][]string{{"occurrence"}}, clinicalDateGroups...),
}

// clinicalDateElements are date elements no search parameter indexes: an
// allergy's onset (its "onset" parameter is a reaction's), an
// assessment's effective time (its "date" is when it was written up), an
// equipment order's occurrence as a Timing.
var clinicalDateElements = map[string][]string{
	"AllergyIntolerance": {"onsetDateTime", "onsetPeriod"},
	"ClinicalImpression": {"effectiveDateTime", "effectivePeriod"},
	"DeviceRequest":      {"occurrenceTiming"},
}

// codeParams are the token search parameters whose values are an item's
// codes (for consent provision.code and the sensitive code lists). A
// document's code is its type.
func codeParam(typ, param string) bool {
	switch param {
	case "code", "vaccine-code":
		return true
	case "type":
		return typ == "DocumentReference" || typ == "Composition"
	}
	return false
}

// clinicalRange is the clinical date (unix ms, both inclusive) of res, a
// resource of type typ: the dates of the first group of its date elements,
// in order of preference (clinicalDateGroups, typeDateGroups), that it
// has. Every value of each counts (a Timing's events, a Composition's
// event periods): the range runs from the first to the last (review 13a:
// a deny of June 2015 released an observation timed in January and
// June). A period with no start runs from the earliest time: it is not
// passed over for a later element (review 13a). A date without a time is
// read as days in England, as a Consent's dataPeriod is, each end of a
// period on its own; a time keeps its zone (review 31d). ok is false when
// it has none, or when it gives when its care began only in words, as an
// age or a range of ages (review 61c: a diagnosis with its onset as "June
// 2015", recorded in 2024, was judged by 2024): such an item is undated.
func clinicalRange(typ string, res map[string]any) (lo, hi int64, ok bool) {
	if undatedCare(res) {
		return 0, 0, false
	}
	groups := clinicalDateGroups
	if g, ok := typeDateGroups[typ]; ok {
		groups = g
	}
	dates := search.ExtractDatesIn(typ, res, consent.England())
	dates = append(dates, search.ElementDatesIn(res, clinicalDateElements[typ], consent.England())...)
	for _, group := range groups {
		for _, e := range dates {
			if !slices.Contains(group, e.Param) {
				continue
			}
			if !ok {
				lo, hi, ok = e.Lo, e.Hi, true
			}
			lo, hi = min(lo, e.Lo), max(hi, e.Hi)
		}
		if ok {
			return lo, hi, true
		}
	}
	return 0, 0, false
}

// undatedCare: res gives when its care began (onset, performed,
// occurrence) only in words, as an age or a range of ages; or gives no
// beginning and its end (abatement) so. (An end so given beside a dated
// onset leaves the start known: review 62a; with none, a problem resolved
// "June 2015" was judged by its recording in 2024: review 63a.)
func undatedCare(res map[string]any) bool {
	inWords := func(el string) bool {
		for _, kind := range [...]string{"String", "Age", "Range"} {
			if _, ok := res[el+kind]; ok {
				return true
			}
		}
		return false
	}
	for _, el := range [...]string{"onset", "performed", "occurrence"} {
		if inWords(el) {
			return true
		}
	}
	// (an onset present only as data-absent-reason is none: review 64a)
	onsetDate, _ := res["onsetDateTime"].(string)
	period, _ := res["onsetPeriod"].(map[string]any)
	_, start := period["start"]
	_, end := period["end"]
	return inWords("abatement") && onsetDate == "" && !start && !end
}

// innerClinicalRange widens lo..hi by the clinical dates of the resources
// an item carries (innerResources), as they count for its classes and
// codes. A
// person's demographics are no period's data.
//
// One that gives when its care began only in words or as an age leaves
// the item undated (ok false), as it is stored alone (review 62a: a 2024
// letter carrying a diagnosis begun "June 2015" escaped a deny of June
// 2015).
func innerClinicalRange(inner []map[string]any, lo, hi int64) (int64, int64, bool) {
	for _, x := range inner {
		if rt, _ := x["resourceType"].(string); !personResource(rt) {
			if undatedCare(x) {
				return 0, 0, false
			}
			if l, h, ok := clinicalRange(rt, x); ok {
				lo, hi = min(lo, l), max(hi, h)
			}
		}
	}
	return lo, hi, true
}

// innerResources are the resources res carries at any depth (contained,
// inside another element, or FHIR JSON in its attachments, attached),
// found in one walk for withInnerClasses and innerClinicalRange.
func innerResources(res map[string]any, attached []any) []map[string]any {
	var out []map[string]any
	visit := func(x map[string]any) bool {
		if rt, _ := x["resourceType"].(string); rt != "" {
			out = append(out, x)
		}
		return true
	}
	for _, v := range res {
		eachObject(v, "", visit)
	}
	for _, doc := range attached {
		eachObject(doc, "", visit)
	}
	return out
}

// derive fills the fields that depend on the resource's content.
func (s *Server) derive(w *store.Write) {
	// FHIR JSON inside its attachments (a document's content, a Binary),
	// decoded once: it counts for classes, codes and labels as a
	// contained resource does.
	attached, texts, over := attachedContentCapped(w.Resource, true)
	texts = append(texts, proseTexts(w.Type, w.Resource)...)
	scanned := make([][]byte, len(texts))
	for i, t := range texts {
		scanned[i] = scanText(t)
	}
	var inner []string
	carried := innerResources(w.Resource, attached)
	w.DataClass, inner = withInnerClasses(search.DataClassFrom(w.Type, w.Resource, w.SourceOrg), w.Type, w.Resource, carried, w.SourceOrg)
	// Its people: its compartment, anyone else it names (named.go).
	w.Patients = itemPeople(w.Type, w.Resource)
	if needsLookup(w.Patients) {
		w.Alone = true // resolved by a search inside the transaction (decideWrites)
	}
	w.Labels = securityLabels(w.Resource)
	if over {
		// Payloads past the cap, or compressed, were not read for codes:
		// the item is released to its source alone, as a labelled item
		// is (review 39b: fail closed rather than read without bound),
		// which no permit or break-glass releases (LabelUnread).
		w.Labels = appendNew(w.Labels, "R", consent.LabelUnread)
	}
	if w.Type == "Location" && patientResidence(w.Resource) {
		// A person's home kept as a Location names no one (directory
		// data), yet says where someone lives: it is released to its
		// source alone, as a labelled item is (review 21a: a restricted
		// person's home went to the district nurse, and a search by her
		// postcode, including the appointments held there, named her).
		w.Labels = appendNew(w.Labels, "R")
	}
	w.Index = search.Extract(w.Type, w.Resource)
	w.Codes, w.Date, w.DateEnd = nil, time.Time{}, time.Time{}
	for _, e := range w.Index {
		if e.Type == search.Token && codeParam(w.Type, e.Param) {
			w.Codes = append(w.Codes, e.System+"|"+e.Code)
		}
	}
	if lo, hi, ok := clinicalRange(w.Type, w.Resource); ok {
		// A date to the year or month, or a period, is a range: a
		// dataPeriod meets the item by the whole of it (a deny of June
		// 2015 covers an item dated "2015"). The resources it carries are
		// its content, and their dates are its too (review 13a: a care
		// plan of 2020 carrying an observation of June 2015).
		if lo, hi, ok := innerClinicalRange(carried, lo, hi); ok {
			w.Date, w.DateEnd = clinicalSpan(lo, hi)
		}
	}
	mentions := s.medicationCodes(w)
	mentions = append(mentions, s.definitionCodes(w)...)
	w.OtherCodes = nil
	if w.Type == "Binary" && len(w.Patients) == 0 {
		s.binaryContext(w)
	}
	if (w.Type != "Consent" || !privacyScope(w.Resource)) && (search.HasPatientCompartment(w.Type) || len(w.Patients) > 0) {
		// A patient-privacy Consent's codes name the data it governs, not
		// the person's own (a treatment or research Consent's are: review
		// 10b, a consent to a termination of pregnancy); a terminology or directory resource's codes are no one's,
		// but an item that names a person (a Device's patient) is theirs,
		// and so is one of a type with a compartment that names no one
		// (a feed's item with its subject left out). A stored Bundle's
		// codes are those of its entries that are a person's data.
		if w.Type == "Bundle" {
			w.OtherCodes = bundleCodings(w.Resource, w.Codes)
		} else {
			w.OtherCodes = otherCodings(w.Resource, w.Codes)
		}
		w.OtherCodes = append(w.OtherCodes, mentions...)
		if len(attached) > 0 {
			w.OtherCodes = append(w.OtherCodes, otherCodings(attached, slices.Concat(w.Codes, w.OtherCodes))...)
			w.Labels = appendNew(w.Labels, securityLabels(attached)...)
		}
		s.policy.LabelText(w, scanned)
	} else if w.Type == "Consent" && len(carried) > 0 {
		// The resources a patient-privacy Consent carries (a contained
		// Condition giving the reason for the person's choice, FHIR JSON
		// in its source attachment) are the person's data, as another
		// item's are, though the Consent's own codes are not (review 14b:
		// a Consent carrying Jane's HIV diagnosis went, unlabelled, to
		// the social worker and the district nurse).
		inner := make([]any, len(carried))
		for i, x := range carried {
			inner[i] = x
		}
		w.OtherCodes = otherCodings(inner, w.Codes)
		w.Labels = appendNew(w.Labels, securityLabels(attached)...)
	}
	directory := len(w.Patients) == 0 && (slices.Contains(store.DirectoryTypes, w.Type) || slices.Contains(definitionTypes, w.Type) || slices.Contains(ownCodeTypes, w.Type))
	if directory {
		// A directory item's codes are no one's, yet one coded in the
		// policy's lists (an HIV clinic's service type) is labelled by
		// them, as its source could have labelled it: withheld from
		// others, and a reference to it masked as one to the refuge is
		// (review 31b F4: Jane's appointment at an HIV clinic named it
		// to the district nurse). Its codes are not kept.
		w.OtherCodes = append(otherCodings(w.Resource, w.Codes), mentions...) // (a pathway's actions' definitions)
	}
	w.Codes, w.OtherCodes = canonicalCodes(w.Codes), canonicalCodes(w.OtherCodes)
	s.policy.Label(w)
	if directory {
		w.OtherCodes = nil
	}
	w.OtherCodes = clinicalCodings(w.OtherCodes)
	if len(inner) > 0 {
		// The types of the resources inside it, for a deny of a type
		// (consent.Item.OtherCodes): review 11a, Jane's deny of her
		// Observations released one contained in a care plan.
		for _, t := range inner {
			w.OtherCodes = append(w.OtherCodes, consent.SystemResourceTypes+"|"+t)
		}
	}
	// The items it carries copies of, for a deny of an instance (review
	// 31d: a summary Bundle carrying Condition/diabetes, denied to the
	// hospital, went to it).
	carriesCopies := false
	for _, ref := range carriedItems(w.Resource, attached, carried, texts, scanned) {
		if ref != w.Type+"/"+w.ID {
			w.OtherCodes = append(w.OtherCodes, consent.SystemCarriedItem+"|"+ref)
			typ, _, _ := strings.Cut(ref, "/")
			carriesCopies = carriesCopies || !slices.Contains(store.DirectoryTypes, typ) && !slices.Contains(definitionTypes, typ)
		}
	}
	// (addressees first: every other write has none, and skips the rest)
	if to := addressees(w.Type, w.Resource); len(to) > 0 && !carriesCopies && !carriesData(w.Resource, carried, w.SourceOrg) && plainMessage(w.Resource) {
		for _, org := range to {
			w.OtherCodes = append(w.OtherCodes, consent.SystemAddressee+"|"+org)
		}
	}
	slices.Sort(w.OtherCodes)
	w.OtherCodes = slices.Compact(w.OtherCodes)
}

// addressees are the organisations a message is sent to, by their codes:
// a Communication's or CommunicationRequest's recipient naming an
// Organization by its code (Organization/RCX, or an ODS or council code
// identifier, as a care team's member is read). The roles the policy lists
// in reads-addressed read it there (consent.SystemAddressee). A recipient
// that is a person, a team or an Organization stored under another id
// addresses no organisation.
func addressees(typ string, res map[string]any) []string {
	if !consent.MessageType(typ) {
		return nil
	}
	var out []string
	for _, r := range asList(res["recipient"]) {
		if org := strings.ToUpper(orgOf(r)); orgCodeShape.MatchString(org) {
			out = append(out, org)
		}
	}
	return out
}

// carriesData reports whether res carries (contained, or FHIR JSON in an
// attachment) a resource that is someone's data, as withInnerClasses
// counts one: not a directory resource (a contained Organization naming
// the sender), a definition or a Bundle itself. A message that does is
// decided by its content's classes, addressed or not (review 88a: a
// message carrying a FamilyMemberHistory, class other as the message is,
// or tagged observations and carrying a lab result, joined no class of
// its own and reached the nurse it was sent to).
func carriesData(res map[string]any, carried []map[string]any, org string) bool {
	for _, x := range carried {
		if x == nil {
			continue
		}
		rt, _ := x["resourceType"].(string)
		if rt == "Bundle" {
			continue
		}
		c := search.DataClassFrom(rt, x, org)
		if c != search.ClassDirectory && (c != search.ClassOther || search.HasPatientCompartment(rt) || namesSomeone(rt, x)) {
			return true
		}
	}
	return false
}

// plainMessage reports whether a message is words alone, which its
// addressee may read whatever its class: no attachment (a PDF, FHIR XML,
// an HL7 v2 message or FHIR JSON in text/plain, a compressed payload, one
// given by url), and no strings or narrative holding structured data
// (markup, a JSON object, an HL7 v2 segment, a data: url, an image). Such
// content may carry what carex does not read as resources, and a message
// with any is decided by its classes, addressed or not (reviews 88c, 88d:
// a lab result as FHIR XML in text/plain or as the message's string, as
// gzip JSON, as HL7 v2, as a data: url inside its words, and another
// person's record as XML without ids reached the nurse it was sent to).
func plainMessage(res map[string]any) bool {
	for _, p := range asList(res["payload"]) {
		pm, _ := p.(map[string]any)
		if _, ok := pm["contentAttachment"]; ok {
			return false
		}
		if s, ok := pm["contentString"].(string); ok && !plainWords(s) {
			return false
		}
	}
	for _, n := range asList(res["note"]) {
		nm, _ := n.(map[string]any)
		if s, ok := nm["text"].(string); ok && !plainWords(s) {
			return false
		}
	}
	if t, _ := res["text"].(map[string]any); t != nil {
		div, _ := t["div"].(string)
		lower := strings.ToLower(div)
		if strings.Contains(lower, "<img") || strings.Contains(lower, "data:") || !plainWords(narrativeWords(div)) {
			return false
		}
	}
	return true
}

// plainWords: s holds no structured data (see plainMessage): no tag
// (< before a letter, '?', '!' or '/'), no JSON object or array start
// ({ or [ before a quote, brace or bracket), no HL7 v2 segment (MSH|,
// OBX|…) and no data: url.
func plainWords(s string) bool {
	lower := strings.ToLower(s)
	if strings.Contains(lower, "data:") || hl7Segment.MatchString(s) || structureMark.MatchString(s) {
		return false
	}
	return true
}

var (
	hl7Segment    = regexp.MustCompile(`(^|[\r\n])[A-Z][A-Z0-9]{2}\|`)
	structureMark = regexp.MustCompile(`<[A-Za-z?!/]|[{\[]\s*["{\[]`)
)

// proseTexts are an item's own words in prose read for codes as a
// plain-text attachment is: a message's payload strings, notes and
// narrative's text (review 88c: "SNOMED 86406008" in a message's text to
// the nurses was not labelled, where the same words attached as
// text/plain were), and a Task's or a care plan's description, notes,
// inputs and outputs in words and activities' descriptions, where a
// council's assessment or a care plan quotes a discharge summary (review
// 112c: "HIV 86406008" so quoted reached the GP). **(choice)** Other
// items' notes and narratives are not read so: a problem's narrative
// listing its record's codes, a note giving a code as guidance or a list
// of numbers, are no diagnosis of the person (reviews 53c, 63a, 108a). A
// string that is structured data (JSON or XML) is read as such already,
// for the resources it holds, and a number in it is not a code (review
// 67a: a device's configuration, {"pollIntervalMs": 86406008}).
func proseTexts(typ string, res map[string]any) [][]byte {
	message := consent.MessageType(typ)
	if !message && typ != "Task" && typ != "CarePlan" {
		return nil
	}
	var out [][]byte
	prose := func(s string) {
		if t := strings.TrimSpace(s); t != "" && !structuredString(t) {
			out = append(out, []byte(s))
		}
	}
	strs := func(v any, keys ...string) {
		for _, x := range asList(v) {
			xm, _ := x.(map[string]any)
			for _, k := range keys {
				if s, _ := xm[k].(string); s != "" {
					prose(s)
				}
			}
		}
	}
	strs(res["note"], "text")
	switch typ {
	case "Task":
		strs(res, "description")
		strs(res["input"], "valueString", "valueMarkdown")
		strs(res["output"], "valueString", "valueMarkdown")
	case "CarePlan":
		strs(res, "description")
		for _, a := range asList(res["activity"]) {
			am, _ := a.(map[string]any)
			strs(am["detail"], "description")
			strs(am["progress"], "text")
		}
	default: // a message
		strs(res["payload"], "contentString")
		if t, _ := res["text"].(map[string]any); t != nil {
			if s, _ := t["div"].(string); s != "" {
				prose(narrativeWords(s))
			}
		}
	}
	return out
}

// structuredString: t (trimmed) is a JSON document (an object or array
// with a "key": in it) or an XML one (a declaration, a doctype or a root
// element with an end), which the reading of strings for resources reads
// as such; prose that merely starts with a bracket ("[URGENT] …",
// "<5 ml …": review 88e, an HIV code after either went unread) is words.
func structuredString(t string) bool {
	switch t[0] {
	case '{', '[':
		return jsonKey.MatchString(t)
	case '<':
		return xmlStart.MatchString(t) && (strings.Contains(t, "</") || strings.Contains(t, "/>"))
	}
	return false
}

var (
	jsonKey  = regexp.MustCompile(`"\s*:`)
	xmlStart = regexp.MustCompile(`^<(\?xml|!DOCTYPE|!--|[A-Za-z][\w:.-]*[\s>/])`)
)

// narrativeWords is the text of an XHTML narrative, its markup left out.
func narrativeWords(div string) string {
	d := xml.NewDecoder(strings.NewReader(div))
	d.Strict = false
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return b.String()
		}
		if cd, ok := tok.(xml.CharData); ok {
			b.Write(cd)
			b.WriteByte(' ')
		}
	}
}

// orgCodeShape: an ODS or council code (A81001, RCX, E06000999), which a
// codes column holds as one word.
var orgCodeShape = regexp.MustCompile(`^[A-Z0-9]{1,20}$`)

// carriedItems are the items (Type/id) res carries copies of: each
// resource inside it by its id, a Bundle entry's by its fullUrl too
// (relative or absolute), and a FHIR XML copy in an attachment's text
// (texts as stored, scanned as a reader sees them) by its <id value> or
// its entry's <fullUrl value> (review 33a: a copy named by its fullUrl
// alone, or written as XML, escaped a deny of the item); and
// consent.CarriedUnread when such text could not be read to its end.
func carriedItems(res map[string]any, attached []any, carried []map[string]any, texts, scanned [][]byte) []string {
	var out []string
	add := func(t, id string) {
		if fhir.IsResourceType(t) && fhir.ValidID(id) {
			out = append(out, t+"/"+id)
		}
	}
	for _, x := range carried {
		t, _ := x["resourceType"].(string)
		id, _ := x["id"].(string)
		add(t, id)
	}
	entries := func(x map[string]any) bool {
		u, _ := x["fullUrl"].(string)
		r, _ := x["resource"].(map[string]any)
		if t, _ := r["resourceType"].(string); u != "" && t != "" {
			if n, ok := search.NormalizeReference(u); ok {
				if typ, id, ok := strings.Cut(n, "/"); ok && typ == t {
					add(typ, id)
				}
			}
		}
		return true
	}
	eachObject(res, "", entries)
	for _, d := range attached {
		eachObject(d, "", entries)
	}
	names := func(b []byte) bool { return bytes.Contains(b, []byte("id")) || bytes.Contains(b, []byte("fullUrl")) }
	for i, t := range texts {
		// as stored, and as a reader sees it (markup shown escaped, an id
		// with an invisible character: review 37a), each read where it
		// may name an item (review 38a: "i\u200bd" stored, "id" seen)
		complete := true
		if names(t) {
			complete = xmlCarriedItems(t, add)
		}
		if i < len(scanned) && !bytes.Equal(scanned[i], t) && names(scanned[i]) {
			complete = xmlCarriedItems(scanned[i], add) && complete
		}
		if !complete {
			out = append(out, consent.CarriedUnread)
		}
	}
	return out
}

// xmlCarriedItems calls add with each FHIR XML resource in t and its id
// (its <id value> child, whatever the quotes, prefix, comments or
// elements before it), and with each Bundle entry's <fullUrl value> that
// names an item: review 34a, a regular expression missed those forms. t
// is read from its first '<' whatever its declared encoding (it is UTF-8
// by now), and after an error on from the next element's start (review
// 35a: "&lt;" in a value, a declared ISO-8859-1, a mail's headers before
// the XML, each stopped the reading before the copy). complete is false
// when it gave up before the end (maxXMLRestarts) with an id or a fullUrl
// still ahead.
func xmlCarriedItems(t []byte, add func(typ, id string)) (complete bool) {
	return xmlItems(t, xmlReads{item: add})
}

// xmlReads are what xmlItems reports: item, each resource's Type and
// <id value> and each entry's fullUrl naming an item; ident (optional),
// each <identifier>'s system and value, and a CDA <id root extension> as
// urn:oid:root and extension; ref (optional), each <reference value>.
type xmlReads struct {
	item  func(typ, id string)
	ident func(system, value string)
	ref   func(ref string)
}

// xmlItems is xmlCarriedItems reporting as well identifiers and
// references where r asks for them (review 38b: a labelled directory
// item's copy, or a reference to it, in FHIR XML: xmlDirCopies).
func xmlItems(t []byte, r xmlReads) (complete bool) {
	add := r.item
	// Where an id or a fullUrl may still come: past it, an error is the
	// end (review 36a: a restart at every '<' of 6 MiB of them took 2 s).
	// ("id" is in "identifier" too.)
	last := max(bytes.LastIndex(t, []byte("id")), bytes.LastIndex(t, []byte("fullUrl")))
	if r.ref != nil {
		last = max(last, bytes.LastIndex(t, []byte("reference")))
	}
	var identSys string // of the <identifier> open
	var stack []string  // kept over a restart (review 36a: an entry's fullUrl after an error in the entry)
	at := bytes.IndexByte(t, '<')
	for restarts := 0; at >= 0 && at < last; restarts++ {
		if restarts > maxXMLRestarts {
			return false // not read to its end: a copy may be past here (review 37a)
		}
		d := xml.NewDecoder(bytes.NewReader(t[at:]))
		d.Strict = false
		d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
		for {
			tok, err := d.RawToken()
			if err != nil {
				if err == io.EOF {
					return true
				}
				from := at + int(max(d.InputOffset(), 1))
				at = nextStartTag(t, from)
				stack = closedBetween(t, from, at, stack)
				break
			}
			switch el := tok.(type) {
			case xml.StartElement:
				parent := ""
				if len(stack) > 0 {
					parent = stack[len(stack)-1]
				}
				value, root, ext := "", "", ""
				for _, a := range el.Attr {
					switch a.Name.Local {
					case "value":
						value = a.Value
					case "root":
						root = a.Value
					case "extension":
						ext = a.Value
					}
				}
				switch {
				case r.ident != nil && parent == "identifier" && el.Name.Local == "system":
					identSys = value
				case r.ident != nil && parent == "identifier" && el.Name.Local == "value":
					// (FHIR XML writes system before value; one after it
					// leaves "" here, which matches under any system)
					r.ident(identSys, value)
				case r.ident != nil && el.Name.Local == "identifier":
					identSys = ""
				case r.ref != nil && el.Name.Local == "reference" && value != "":
					r.ref(value)
				case r.ident != nil && el.Name.Local == "id" && root != "" && ext != "":
					if !strings.HasPrefix(root, "urn:") {
						root = "urn:oid:" + root // CDA's II: an OID, or a UUID
					}
					r.ident(root, ext)
				case el.Name.Local == "id" && fhir.IsResourceType(parent):
					add(parent, value)
				case el.Name.Local == "fullUrl" && parent == "entry":
					if n, ok := search.NormalizeReference(value); ok {
						if typ, id, ok := strings.Cut(n, "/"); ok {
							add(typ, id)
						}
					}
				}
				stack = append(stack, el.Name.Local)
			case xml.EndElement:
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			}
		}
	}
	return true
}

// maxXMLRestarts bounds xmlCarriedItems' restarts after errors.
const maxXMLRestarts = 10000

// closedBetween is stack less the elements end tags in t[from:to] close
// (to -1: the end), innermost first, as a restart passes them by.
func closedBetween(t []byte, from, to int, stack []string) []string {
	if to < 0 {
		to = len(t)
	}
	seg := t[min(from, to):to]
	for {
		k := bytes.Index(seg, []byte("</"))
		if k < 0 || len(stack) == 0 {
			return stack
		}
		seg = seg[k+2:]
		name := seg
		if n := bytes.IndexAny(name, "> \t\r\n"); n >= 0 {
			name = name[:n]
		}
		if n := bytes.LastIndexByte(name, ':'); n >= 0 {
			name = name[n+1:]
		}
		if string(name) == stack[len(stack)-1] {
			stack = stack[:len(stack)-1]
		}
	}
}

// nextStartTag is the offset of the first '<' at or after from that starts
// an element (a letter follows it), -1 when none does.
func nextStartTag(t []byte, from int) int {
	for from < len(t) {
		k := bytes.IndexByte(t[from:], '<')
		if k < 0 {
			return -1
		}
		at := from + k
		if at+1 < len(t) && (t[at+1] >= 'a' && t[at+1] <= 'z' || t[at+1] >= 'A' && t[at+1] <= 'Z') {
			return at
		}
		from = at + 1
	}
	return -1
}

// clinicalCodings keeps the codings a deny by code may name: not those of
// units (UCUM) or of the code systems and value sets HL7 defines for
// FHIR's own elements (a category, a status, an encounter's class, a
// language), which name no one's condition, drug or procedure, and would
// only make every item's stored codes longer.
func clinicalCodings(l []string) []string {
	out := l[:0]
	for _, c := range l {
		sys, _, _ := strings.Cut(c, "|")
		switch {
		case strings.HasPrefix(sys, "http://hl7.org/fhir/sid/"):
			// ICD-10, NDC, CVX…: clinical code systems HL7 only names.
		case strings.HasPrefix(sys, "urn:carex:"):
			// carex's own marks (an addressee, a carried item) are derived,
			// never taken from what a writer sent (review 88a: a lab result
			// coded urn:carex:addressee|RCX reached the nurses).
			continue
		case sys == "http://unitsofmeasure.org", sys == "urn:ietf:bcp:47",
			strings.HasPrefix(sys, "http://terminology.hl7.org/"), strings.HasPrefix(sys, "http://hl7.org/fhir/"),
			strings.HasPrefix(sys, "urn:iso:std:iso:"):
			continue
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil
	}
	// Sorted: found by walking maps, they come in any order, and relabel
	// compares them as stored.
	slices.Sort(out)
	return out
}

// medicationTypes name their drug by medication[x].
var medicationTypes = map[string]bool{"MedicationRequest": true, "MedicationStatement": true, "MedicationAdministration": true, "MedicationDispense": true}

// medicationCodes adds to an item's codes (those a Consent's
// provision.code is matched with) the code of the Medication it names by
// medicationReference — contained, or stored here — as it has that of a
// medicationCodeableConcept: GP Connect and UK Core feeds name the drug
// by reference as often as not, and a deny by the drug's code withheld
// only the prescriptions that carried it inline (review 9c). A stored
// Medication is read as it is when the item is written (carex relabel
// reads it again).
func (s *Server) medicationCodes(w *store.Write) (mentions []string) {
	if !medicationTypes[w.Type] {
		return nil
	}
	var med map[string]any
	if id, ok := strings.CutPrefix(medicationReference(w), "#"); ok && id != "" {
		for _, c := range asList(w.Resource["contained"]) {
			if m, _ := c.(map[string]any); m["resourceType"] == "Medication" && m["id"] == id {
				med = m
			}
		}
	} else if n := medicationRef(w); n != "" {
		if v, err := s.store.Read(context.Background(), "Medication", strings.TrimPrefix(n, "Medication/")); err == nil {
			med = decodeMap(v.Raw)
		}
	}
	return addMedicationCodes(w, med)
}

// medicationReference is the reference string of an item's
// medicationReference ("" for none).
func medicationReference(w *store.Write) string {
	ref, _ := w.Resource["medicationReference"].(map[string]any)
	r, _ := ref["reference"].(string)
	return r
}

// medicationRef is the Medication/id an item names by medicationReference
// ("" for none, a contained one or another server's).
func medicationRef(w *store.Write) string {
	if id, ok := strings.CutPrefix(medicationReference(w), "Medication/"); ok && id != "" {
		id, _, _ = strings.Cut(id, "/")
		return "Medication/" + id
	}
	return ""
}

// addMedicationCodes adds the codes of Medication med to w's: its code's
// and its ingredients' (what the drug is: review 51f, a stored
// Medication's HIV-coded ingredient left the prescription naming it
// unlabelled); and returns its other codings (what it mentions: an
// extension's, a tag's), which are the item's other codes, as a contained
// one's are (review 53c: among its main codes, they released a
// prescription through a permit by what its Medication mentioned).
func addMedicationCodes(w *store.Write, med map[string]any) (mentions []string) {
	if med == nil {
		return nil
	}
	var main []string
	add := func(cc any) {
		m, _ := cc.(map[string]any)
		for _, c := range asList(m["coding"]) {
			cm, _ := c.(map[string]any)
			sys, _ := cm["system"].(string)
			if cd, _ := cm["code"].(string); cd != "" {
				main = append(main, sys+"|"+cd)
			}
		}
	}
	add(med["code"])
	for _, in := range asList(med["ingredient"]) {
		im, _ := in.(map[string]any)
		add(im["itemCodeableConcept"])
	}
	w.Codes = appendNew(w.Codes, main...) // (once: each appendNew builds a set)
	return otherCodings(med, main)
}

// bundleMedicationCodes: a prescription whose Medication the same
// transaction writes (a GP Connect bundle: the Medication, then the
// MedicationRequest naming it by urn:uuid) takes that Medication's codes,
// which the store does not hold yet.
func (s *Server) bundleMedicationCodes(w *store.Write, written map[string]*store.Write) {
	n := medicationRef(w)
	if n == "" {
		return
	}
	if t := written[n]; t != nil {
		before := len(w.Codes)
		mentions := addMedicationCodes(w, t.Resource)
		if len(w.Codes) > before || len(mentions) > 0 {
			w.Codes = canonicalCodes(w.Codes)
			w.OtherCodes = appendNew(w.OtherCodes, canonicalCodes(mentions)...)
			s.policy.Label(w)
			w.OtherCodes = clinicalCodings(w.OtherCodes)
		}
	}
}

// withInnerClasses joins an item's data class with the classes of the
// resources inside it — contained resources, a stored Bundle's entries,
// FHIR JSON carried in an attachment or a Binary — and those its content
// adds (search.ContentClasses: a lab alert Flag) that differ from it
// (consent.ClassSep, sorted), so that a role sees the item only when it
// sees each of them. Review 10b: a care plan containing a laboratory
// Observation went to the social worker, and a RelatedPerson or Consent
// carrying one to the IG officer, because only the carrier's type was
// classed (labels already came from everything inside). Directory
// resources (a contained Practitioner or Organization), definition and
// terminology resources (a contained Questionnaire) are no one's data and
// add nothing, nor does a Bundle itself (its entries do).
//
// It also returns the types of those resources other than typ, the
// item's own, sorted: a deny of a type covers an item carrying one
// (review 11a).
func withInnerClasses(class, typ string, res map[string]any, carried []map[string]any, org string) (string, []string) {
	seen := map[string]bool{search.ClassDirectory: true, class: true}
	var extra, types []string
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			extra = append(extra, c)
		}
	}
	rt, _ := res["resourceType"].(string)
	for _, c := range search.ContentClassesFrom(rt, res, org) {
		add(c)
	}
	if carriesDocument(rt, res, org) {
		add(search.ClassDocuments)
	}
	for _, x := range carried {
		rt, _ := x["resourceType"].(string)
		// A Bundle's entries count, not the Bundle; a definition or
		// terminology resource (a contained Questionnaire or
		// PlanDefinition) is no one's data and adds nothing.
		if carriesDocument(rt, x, org) {
			add(search.ClassDocuments) // (a letter in a resource it carries: review 100a)
		}
		if c := search.DataClassFrom(rt, x, org); rt != "Bundle" &&
			(c != search.ClassOther || search.HasPatientCompartment(rt) || namesSomeone(rt, x)) {
			add(c)
			if c != search.ClassDirectory && rt != typ && !slices.Contains(types, rt) {
				types = append(types, rt)
			}
		}
		for _, c := range search.ContentClassesFrom(rt, x, org) {
			add(c)
		}
	}
	slices.Sort(types)
	if len(extra) == 0 {
		return class, types
	}
	slices.Sort(extra)
	return class + consent.ClassSep + strings.Join(extra, consent.ClassSep), types
}

// otherCodings are the codings anywhere in a resource but its
// meta.security and main codes: an HIV diagnosis code as an Encounter's
// reason, an Observation's value or a contained Condition labels the item
// as surely as a Condition's code does. So do, since review 51f, a coding
// with no system (Policy.Labels reads a concept id there as SNOMED CT), a
// code in meta.tag, and a SNOMED CT concept's URI as a value
// (valueUri "http://snomed.info/id/86406008"): each such HIV diagnosis went
// out unlabelled.
func otherCodings(m any, main []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range main {
		seen[c] = true
	}
	add := func(sys, code string) {
		if c := sys + "|" + code; code != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	coding := func(x map[string]any) {
		code, _ := x["code"].(string)
		if sys, ok := x["system"].(string); ok {
			add(sys, code)
		} else if _, ok := x["system"]; !ok && codingShaped(x) {
			add("", code)
		}
	}
	eachObject(m, "meta", func(x map[string]any) bool {
		coding(x)
		if meta, ok := x["meta"].(map[string]any); ok {
			for _, t := range asList(meta["tag"]) {
				if tm, ok := t.(map[string]any); ok {
					coding(tm)
				}
			}
		}
		eachString(x, func(_, s string) {
			if id, ok := snomedConceptURI(s); ok {
				add("http://snomed.info/id", id) // (canonicalCodes: SNOMED CT)
			}
		})
		return true
	})
	return out
}

// codingShaped reports whether x, with no system, is a Coding: none of
// its keys is another type's (review 53c: a Quantity's unit code of
// digits, which FHIR gives no meaning without a system, was read as a
// SNOMED CT concept and withheld the Observation as HIV).
func codingShaped(x map[string]any) bool {
	for k := range x {
		switch strings.TrimPrefix(k, "_") {
		case "code", "display", "version", "userSelected", "id", "extension":
		default:
			return false
		}
	}
	return true
}

// snomedConceptURI is the concept id of a SNOMED CT concept's URI
// (http://snomed.info/id/86406008, any case, http or https).
func snomedConceptURI(s string) (string, bool) {
	if len(s) < len("http://snomed.info/id/123456") || len(s) > 64 {
		return "", false
	}
	i := strings.Index(strings.ToLower(s), "snomed.info/id/")
	if i < 0 {
		return "", false
	}
	switch strings.ToLower(strings.TrimSpace(s[:i])) {
	case "http://", "https://":
	default:
		return "", false
	}
	id := strings.TrimRight(strings.TrimSpace(s[i+len("snomed.info/id/"):]), "/")
	return id, id != "" && strings.Trim(id, "0123456789") == ""
}

// bundleCodings are the codings of a stored Bundle's entries that are a
// person's data (a ValueSet or Medication entry's codes are no one's),
// gathered in one walk so that each is de-duplicated once.
func bundleCodings(m map[string]any, main []string) []string {
	return otherCodings(personEntries(m, nil), main)
}

// personEntries appends to out the entry resources of Bundle m, and of the
// Bundles inside it, that are a person's data, and what the entries'
// outcomes say of them.
func personEntries(m map[string]any, out []any) []any {
	for _, e := range asList(m["entry"]) {
		em, _ := e.(map[string]any)
		if resp, ok := em["response"].(map[string]any); ok {
			if o, ok := resp["outcome"].(map[string]any); ok {
				// What the server said of the entry is about the entry's
				// data (review 61a: an OperationOutcome's issue details
				// naming an HIV diagnosis went to the hospital clinician).
				out = append(out, o)
			}
		}
		r, _ := em["resource"].(map[string]any)
		rt, _ := r["resourceType"].(string)
		switch {
		case rt == "Bundle":
			out = personEntries(r, out)
		case rt == "OperationOutcome" || rt == "Consent":
			// An outcome kept as an entry, as above; and a Consent of
			// any scope: a patient-privacy Consent's codes name the data
			// the person's choice is about, which its body masks when it
			// is read alone, but a copy in a stored Bundle is the
			// Bundle's content, labelled from them (review 61a: a deny of
			// an HIV code, kept in a collection, went to the hospital
			// clinician as written). A treatment, advance-directive or
			// research Consent is the person's clinical record (reviews
			// 10b, 14b); either's carried resources are the person's data
			// (review 15a).
			out = append(out, r)
		case search.HasPatientCompartment(rt) || namesSomeone(rt, r):
			out = append(out, r)
		}
	}
	return out
}

// definitionTypes are definitions that a person's items name (the form
// they answered, the pathway they follow): labelled by their own codes as
// directory items are (review 62b: Jane's answers named an HIV screening
// Questionnaire, and her care plan an HIV PlanDefinition, which anyone
// read in full).
var definitionTypes = []string{"Questionnaire", "PlanDefinition", "ActivityDefinition", "ChargeItemDefinition"}

// ownCodeTypes are the types, beside directory and definition types,
// that name no one yet are labelled by their own codes: a Slot says what
// service an appointment booked into it is with (review 64b: a Slot of an
// STD clinic, named by Jane's appointment, went to everyone).
var ownCodeTypes = []string{"Slot", "Schedule"}

// definitionCodes are the codings of the stored definitions an item
// follows — the Questionnaire a form answers (but the answer options it
// offers: withoutOffers), what it instantiates (the whole PlanDefinition or
// ActivityDefinition) — as codes it mentions: a form's answers are yes
// and no by linkId, and mean what its questionnaire's codes say (review
// 62b: Jane's "yes" to an HIV-coded question went to the hospital, where
// the same form with its questionnaire contained was withheld). Named by
// id or by a canonical url ending in Type/id; each read once (review 63a:
// one named 2,000 times took 23 s); past maxDefinitions found or
// maxDefinitionReads looked up, the item is labelled R, released to its
// source alone, as an item whose attachments are past their cap is. Read as stored when the item is
// written (carex relabel reads it again).
func (s *Server) definitionCodes(w *store.Write) []string {
	names := definitionNames(w.Resource)
	var out []string
	ctx := context.Background()
	read := map[string]bool{}
	found := 0
	for len(names) > 0 {
		n := names[0]
		names = names[1:]
		n, _, _ = strings.Cut(strings.TrimSpace(n), "|") // a canonical's version
		if n == "" || strings.HasPrefix(n, "#") {
			continue // contained: read with the item
		}
		for _, t := range definitionTypes {
			// By id, or by a canonical url ending in Type/id whose
			// definition carries that url (no index holds the urls).
			i := strings.LastIndex(n, t+"/")
			if i < 0 || i > 0 && n[i-1] != '/' {
				continue
			}
			id := n[i+len(t)+1:]
			if id == "" || strings.Contains(id, "/") || read[n] {
				continue
			}
			read[n] = true
			if len(read) > maxDefinitionReads || found >= maxDefinitions {
				w.Labels = appendNew(w.Labels, "R", consent.LabelUnread)
				return out
			}
			v, err := s.store.Read(ctx, t, id)
			if err != nil {
				continue
			}
			m := decodeMap(v.Raw)
			if m == nil || i > 0 && m["url"] != n {
				continue
			}
			found++
			if t == "Questionnaire" {
				out = append(out, otherCodings(withoutOffers(m), nil)...)
			} else {
				out = append(out, otherCodings(m, nil)...)
				// and what its actions name (review 64a: a pathway whose
				// action is an HIV-coded ActivityDefinition)
				names = append(names, definitionNames(m)...)
			}
		}
	}
	return out
}

// definitionNames are the definitions v names at any depth: a form's
// Questionnaire (its own, or a carried form's), what it or a part of it
// instantiates, a charge's definition (review 64a: a plan activity's
// instantiatesCanonical, a contained form, went unread).
func definitionNames(v any) []string {
	var names []string
	eachObject(v, "", func(m map[string]any) bool {
		if m["resourceType"] == "QuestionnaireResponse" {
			if q, ok := m["questionnaire"].(string); ok {
				names = append(names, q)
			}
		}
		for _, k := range [...]string{"instantiatesCanonical", "instantiatesUri", "definitionCanonical", "definitionUri"} {
			for _, v := range asList(m[k]) {
				if str, ok := v.(string); ok {
					names = append(names, str)
				}
			}
		}
		return true
	})
	return names
}

// maxDefinitions, maxDefinitionReads: the definitions read for one item,
// and the names looked up (most name nothing stored here: a national
// pathway's steps), past which it is labelled R (review 65a: a care plan
// of 34 national steps, and one following a 40-step pathway, were R at
// 32 names).
const (
	maxDefinitions     = 256
	maxDefinitionReads = 1024
)

// withoutOffers is Questionnaire q without the answers it offers
// (answerOption, initial) at any depth: what a form answering it means is
// everything else, its context, groups, display items and conditions
// (review 64a: an HIV screening form coded only in its useContext, or by
// the group or the enableWhen question of the one it answered, went to
// the hospital), not the options it did not choose (review 63a: a form
// answering "asthma" was labelled HIV for offering it).
//
// An offer repeated elsewhere is an offer too: an enableWhen's answer (the
// choice that shows a question: only the question it points to is kept)
// and a contained ValueSet of choices (review 65a: a form answering
// "asthma" was labelled HIV again through both).
func withoutOffers(q any) any {
	switch x := q.(type) {
	case map[string]any:
		if x["resourceType"] == "ValueSet" {
			return nil
		}
		out := make(map[string]any, len(x))
		for k, v := range x {
			switch {
			case k == "answerOption" || k == "initial" || k == "answerValueSet":
				continue
			case k == "enableWhen":
				var kept []any
				for _, e := range asList(v) {
					if em, ok := e.(map[string]any); ok {
						kept = append(kept, map[string]any{"question": em["question"]})
					}
				}
				out[k] = kept
				continue
			}
			out[k] = withoutOffers(v)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, v := range x {
			out[i] = withoutOffers(v)
		}
		return out
	}
	return q
}

// binaryContext: a Binary whose securityContext is another resource (the
// DocumentReference whose content it is) belongs to that resource's people
// and carries its labels, as stored when the Binary is written, when the
// same organisation recorded both. When that resource is not stored (yet)
// or is another organisation's, the Binary names no one and stays with its
// source.
func (s *Server) binaryContext(w *store.Write) {
	n, ok := securityContext(w)
	if !ok {
		return
	}
	typ, id, _ := strings.Cut(n, "/")
	v, err := s.store.Read(context.Background(), typ, id)
	// Only its own organisation's item gives a Binary its context: one it
	// may not see would tell, by the Binary's place in a record, that the
	// item exists and whose it is.
	if err != nil || v == nil || !strings.EqualFold(v.SourceOrg, w.SourceOrg) {
		return
	}
	w.Patients = slices.Clone(v.Patients)
	w.Labels = appendNew(w.Labels, v.Labels...)
}

// binaryNow is Binary m as the item its securityContext names is now. A
// Binary takes that item's people and labels when it is written
// (binaryContext), and the item may since have been relabelled (a letter
// coded PSY by an update) or moved to another person. FHIR applies the
// referenced resource's access rules to the Binary, so reads decide it by
// the item's current version, not by the copy (review 6b: the letter was
// withheld and its content released). Labels only add up: one the item
// lost stays on the Binary until carex relabel. m itself when the Binary
// took nothing from the item (none named, a Patient, another
// organisation's) or the item never existed. A deleted item decides it
// by its last version (which its delete marker keeps): the copy may be
// older than a relabelling (review 6c: a letter labelled PSY, then
// deleted, released its content again). A store error is returned, not
// answered by the copy.
//
// item is that item (its version now, or its delete marker; the one at
// the end of a chain of Binaries), nil when the Binary took nothing from
// it or the chain ends in a Binary: the read must release the item too,
// since a Consent that withholds it by its code, type, date or id does
// not name the Binary (review 6c).
func (cp *ConsentPolicy) binaryNow(ctx context.Context, m *store.Meta) (now *store.Meta, item *store.Version, err error) {
	return cp.binaryAt(ctx, m, maxBinaryChain)
}

// maxBinaryChain bounds how many Binaries binaryNow follows through
// securityContexts that name Binaries (a rendition of an attachment), so
// that a cycle ends.
const maxBinaryChain = 8

func (cp *ConsentPolicy) binaryAt(ctx context.Context, m *store.Meta, hops int) (now *store.Meta, item *store.Version, err error) {
	key := versionKey{m.Type, m.ID, m.VersionID}
	n, known := cp.binaryRefs.get(key)
	if !known {
		v, err := cp.store.VRead(ctx, "Binary", m.ID, m.VersionID)
		for ver := m.VersionID - 1; errors.Is(err, store.ErrGone) && ver > 0; ver-- {
			// A delete marker is decided by the securityContext of the
			// version it deleted (review 8: decided by the copy, the
			// deleted content of a letter labelled PSY since answered
			// 410, not the 404 of an id never used).
			v, err = cp.store.VRead(ctx, "Binary", m.ID, ver)
		}
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
			return m, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if v.Raw == nil {
			return m, nil, nil
		}
		var sc struct {
			Reference string `json:"reference"`
		}
		json.Unmarshal(topLevel(v.Raw, "securityContext"), &sc)
		n, _ = search.NormalizeReference(sc.Reference)
		cp.binaryRefs.put(key, n)
	}
	typ, id, _ := strings.Cut(n, "/")
	if n == "" || typ == "Patient" {
		return m, nil, nil
	}
	c, err := cp.store.Read(ctx, typ, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return m, nil, nil
	case errors.Is(err, store.ErrGone) && c != nil:
		// the delete marker: the last version's people and labels
	case err != nil:
		return nil, nil, err
	}
	if c == nil || !strings.EqualFold(c.SourceOrg, m.SourceOrg) {
		return m, nil, nil
	}
	ctxMeta := &c.Meta
	cut := false
	switch {
	case typ != "Binary":
		item = c
	case hops > 0:
		// Another Binary: as it is decided now, not as it was written
		// (review 6c: a letter's rendition kept the labels the letter's
		// text had copied before the letter was labelled PSY).
		if ctxMeta, item, err = cp.binaryAt(ctx, ctxMeta, hops-1); err != nil {
			return nil, nil, err
		}
	default:
		// The chain is longer than maxBinaryChain (or a cycle): what it
		// ends in is not known, and the copy may be older than a
		// relabelling (review 8: the tenth rendition of a letter labelled
		// PSY was released by the labels the ninth had copied). It
		// stays with its source, as an item naming someone carex cannot
		// identify does.
		cut = true
	}
	b := *m
	b.Labels = appendNew(slices.Clone(m.Labels), ctxMeta.Labels...)
	b.Patients = slices.Clone(ctxMeta.Patients)
	if cut {
		b.Patients = appendNew(b.Patients, unidentifiedPerson)
	}
	return &b, item, nil
}

// ofPerson is vis (nil: release all) for pid's record, without the
// Binaries that are no longer pid's: the content of a letter filed under
// the wrong person and then moved to the right one stays in the first
// person's compartment (the index keeps the people the Binary took when
// it was written) but belongs with the letter. It is left out, neither
// decided nor counted, as the letter itself is. On a store error the
// Binary goes on to vis, whose decision meets the same read.
func (g *gate) ofPerson(pid string, vis store.Visible) store.Visible {
	return func(m *store.Meta) bool {
		switch m.Type {
		case "Binary":
			if now, _, err := g.binaryNow(m); err == nil && !slices.Contains(now.Patients, pid) {
				return false
			}
		case "Provenance":
			if targets, err := g.provenanceNow(m); err == nil && provenanceLeft(targets, pid) {
				return false
			}
		}
		return vis == nil || vis(m)
	}
}

// provenanceLeft reports whether the Provenance of targets (provenanceNow)
// is no longer pid's: it took its people from the items it targets when it
// was written (targetPeople), and each item it targets that is a person's data is stored now as
// other people's (moved to the right person; a Binary as binaryNow makes
// it), none naming pid (review 8: the provenance of a letter moved from
// Jane to John stayed in Jane's record, released there, and once it went
// with the letter's decision, withheld there from those who may not see
// John, telling them Jane's record withheld something). A target that is
// not stored, deleted, unreadable or naming someone carex cannot identify
// keeps it where it is.
func provenanceLeft(targets []provTarget, pid string) bool {
	moved := false
	for _, t := range targets {
		switch {
		case t.typ == "":
			return false
		case t.typ == "Patient":
			if t.id == pid {
				return false
			}
			continue
		case unlookedDirectory(t.typ):
			continue
		case t.now == nil || t.gone:
			return false
		}
		if people := t.now.Patients; len(people) == 0 || slices.Contains(people, pid) || hasUnresolved(people) {
			return false
		}
		moved = true
	}
	return moved
}

// bundleBinaryContext: a Binary of a bundle whose securityContext names
// another write of the same bundle (the same organisation's, by then with
// its final id) belongs to that write's people and carries its labels.
func bundleBinaryContext(w *store.Write, written map[string]*store.Write) {
	n, ok := securityContext(w)
	if !ok {
		return
	}
	if t := written[n]; t != nil && t != w {
		// (A Patient written in the bundle is its own compartment, as the
		// Binary's already is.)
		w.Patients = slices.Clone(t.Patients)
		w.Labels = appendNew(w.Labels, t.Labels...)
	}
}

// securityContext is the resource a Binary's securityContext names, as
// "Type/id".
func securityContext(w *store.Write) (string, bool) {
	sc, _ := w.Resource["securityContext"].(map[string]any)
	ref, _ := sc["reference"].(string)
	return search.NormalizeReference(ref)
}

// distinct is list without repeats, in order: a loop gathers with append
// and calls it once, since each appendNew builds a set of what dst holds
// (called per value, it took the square of a Group of 30,000 members).
func distinct(list []string) []string { return appendNew(nil, list...) }

// appendNew appends to dst the strings of src it does not hold yet, in
// order, each once (in linear time: an attachment may carry millions).
func appendNew(dst []string, src ...string) []string {
	if len(src) == 0 {
		return dst
	}
	have := make(map[string]bool, len(dst)+len(src))
	for _, x := range dst {
		have[x] = true
	}
	for _, x := range src {
		if !have[x] {
			have[x] = true
			dst = append(dst, x)
		}
	}
	return dst
}

// attachedDocs decodes the FHIR JSON documents (one, or several as
// NDJSON) that attachment or Binary x carries as base64 data; nil when its
// content type is not JSON or its data does not decode. Data with no
// contentType (optional on an Attachment) is read when it decodes to JSON:
// it was opaque, and a letter carrying an HIV diagnosis that way went
// unlabelled (review 14c). A line that does not decode is passed over,
// not the end: what follows it is read too (review 14c: one broken line
// left the HIV diagnosis after it unlabelled).
func attachedDocs(x map[string]any) []any {
	ct, raw, ok := attachedJSONBytes(x)
	if !ok {
		return nil
	}
	return jsonDocs(ct, raw)
}

// jsonDocs is attachedDocs of data raw (text, attachmentText) given
// media type ct (a JSON one, or "").
func jsonDocs(ct string, raw []byte) []any {
	docs, _ := jsonDocSpans(ct, raw)
	return docs
}

// jsonDocSpans is jsonDocs, with where in raw each document was read
// (raw[span[0]:span[1]]), for a second reading of the same documents
// (keptFirst).
func jsonDocSpans(ct string, raw []byte) (docs []any, spans [][2]int) {
	if ct == "" {
		// An object, or an array of them (review 15a: a letter carrying
		// an HIV diagnosis as [{…}] went unlabelled, as it is read under
		// application/json).
		if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) == 0 || t[0] != '{' && t[0] != '[' {
			return nil, nil // not JSON: a PDF, an image, text
		}
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var at int64
	for {
		var doc any
		err := d.Decode(&doc)
		if err == io.EOF {
			return docs, spans
		}
		if err != nil {
			break
		}
		docs = append(docs, doc)
		spans = append(spans, [2]int{int(at), int(d.InputOffset())})
		at = d.InputOffset()
	}
	// Pass over the line that did not decode, and read on from the next
	// line. Resuming the stream there read every later line as the rest
	// of one unfinished object, again for each broken line: a letter of
	// 128 KiB of broken lines took seconds to write and to read (review
	// 22e). So each value is found by its brackets first, matched in one
	// pass over the data (jsonValueEnds), and decoded only when closed; a
	// document spread over several lines still counts (review 24a: read
	// line by line, a pretty-printed HIV diagnosis after a broken line
	// went unlabelled).
	nextLine := func(b []byte) int { return bytes.IndexFunc(b, func(r rune) bool { return r == '\n' || r == '\r' }) } // (CR alone ends one too)
	rest := raw[at:]
	if nl := nextLine(rest); nl >= 0 && len(bytes.TrimSpace(rest[:nl])) == 0 {
		at += int64(nl + 1) // the error is past a blank line: the bad line is the next
		rest = rest[nl+1:]
	}
	nl := nextLine(rest)
	if nl < 0 {
		return docs, spans
	}
	ends := jsonValueEnds(raw)
	// A value inside one that failed at a point it holds fails there too,
	// and is not read again: each was read to the same error (review 25a:
	// "[" on each of N lines took time in N squared, 64 KiB in 10 s). Only
	// what a decoder reads before its error counts against the budget, a
	// safety net (review 26a: charged whole lengths, nested junk used it
	// up before a diagnosis on its own line, which went unlabelled).
	budget := 16*len(raw) + 64<<10
	var failedAt []int       // where decoding failed, ascending
	var resume []int         // values after a failed one on its closing line, descending (the next is last)
	noneFrom, noneTo := 0, 0 // a stretch of a line known to begin no value
	for i := int(at) + nl + 1; i < len(raw); {
		for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
			i++
		}
		if i == len(raw) {
			break
		}
		if budget <= 0 {
			// Spent (values nested past encoding/json's depth limit, each
			// read to it): each line left is read on its own, at the cost
			// of its length, so one-line documents are still read (review
			// 29a: a diagnosis after 10,100 "[" lines went unlabelled).
			// Each value on the line in turn (after a number, in an array,
			// a second one: review 30a), and one that begins on the line
			// and closes on a later one (pretty-printed) whole, once; what
			// is inside that is not read again, so each byte is read at
			// most twice from here on.
			lineEnd := len(raw)
			if n := nextLine(raw[i:]); n >= 0 {
				lineEnd = i + n
			}
			next := lineEnd + 1
			if bytes.IndexByte(raw[i:lineEnd], '{') < 0 {
				i = next // no object begins on it: a resource is one
				continue
			}
			ld := json.NewDecoder(bytes.NewReader(raw[i:lineEnd]))
			ld.UseNumber()
			for {
				at := i + int(ld.InputOffset())
				var doc any
				if ld.Decode(&doc) == nil {
					docs = append(docs, doc)
					spans = append(spans, [2]int{at, i + int(ld.InputOffset())})
					continue
				}
				for at < lineEnd && (raw[at] == ' ' || raw[at] == '\t') {
					at++
				}
				if end, ok := ends[at]; ok && end > lineEnd && raw[at] == '{' { // (an array's lines are read: it may wrap them)
					vd := json.NewDecoder(bytes.NewReader(raw[at:end]))
					vd.UseNumber()
					if vd.Decode(&doc) == nil {
						docs = append(docs, doc)
						spans = append(spans, [2]int{at, end})
					}
					next = end
				}
				break
			}
			i = next
			continue
		}
		end, ok := ends[i]
		if !ok && (i < noneFrom || i >= noneTo) {
			// a value later on the line, after a scalar (review 28a)
			p := i
			for p < len(raw) && raw[p] != '\n' && raw[p] != '\r' {
				if _, v := ends[p]; v && (raw[p] == '{' || raw[p] == '[') {
					break
				}
				p++
			}
			if p < len(raw) && p > i && raw[p] != '\n' && raw[p] != '\r' {
				i = p
				continue
			}
			// none from i to the line's end: a later waiting value on the
			// same line need not look again (review 27a's shapes: a closing
			// line of N brackets, each a waiting value, took N squared)
			noneFrom, noneTo = i, p
		}
		if ok {
			// (strictly inside: one starting where the value around it
			// failed failed for where it sits, not for what it holds;
			// review 27a)
			if k, _ := slices.BinarySearch(failedAt, i+1); k < len(failedAt) && failedAt[k] < end || budget <= 0 {
				ok = false // holds a point where a value around it failed
			}
		}
		if ok {
			var doc any
			vd := json.NewDecoder(bytes.NewReader(raw[i:end]))
			vd.UseNumber()
			err := vd.Decode(&doc)
			if err == nil {
				docs = append(docs, doc)
				spans = append(spans, [2]int{i, end})
				budget -= end - i
			} else {
				e := i + int(vd.InputOffset())
				var se *json.SyntaxError
				if errors.As(err, &se) {
					e = i + int(se.Offset) - 1
				}
				e = min(max(e, i), end-1)
				budget -= e - i + 1
				// (not a depth error: a value inside decodes on its own
				// with less around it; review 28a)
				if k, found := slices.BinarySearch(failedAt, e); !found && !strings.Contains(err.Error(), "max depth") {
					failedAt = slices.Insert(failedAt, k, e)
				}
			}
			// Another value may follow on the same line, whether this one
			// decoded or not (review 25a); after one that did not, the
			// lines inside it are read first (review 26a).
			j := end
			for j < len(raw) && (raw[j] == ' ' || raw[j] == '\t') {
				j++
			}
			if err == nil || !bytes.ContainsAny(raw[i:end], "\r\n") {
				i = j // on from after it (no lines inside it to read)
				continue
			}
			if k, found := slices.BinarySearchFunc(resume, j, func(a, b int) int { return b - a }); !found {
				resume = slices.Insert(resume, k, j) // most often at the end: nested values close inner first
			}
		}
		// on to the next line, or to a value waiting before its end (the
		// line is searched only that far: review 27a, searched to its end
		// from each waiting value, a long line took time in N squared)
		for len(resume) > 0 && resume[len(resume)-1] <= i {
			resume = resume[:len(resume)-1] // reached already
		}
		limit := len(raw)
		if len(resume) > 0 {
			limit = resume[len(resume)-1]
		}
		if n := nextLine(raw[i:limit]); n >= 0 {
			i += n + 1
		} else if limit < len(raw) {
			i, resume = limit, resume[:len(resume)-1]
		} else {
			break
		}
	}
	return docs, spans
}

// jsonValueEnds maps the offset of each '{' or '[' of b that may begin a
// value of its own (see below), outside strings, to the offset just past
// its matching bracket; one that never closes, or closes with the other kind,
// is left out. One pass over b.
func jsonValueEnds(b []byte) map[int]int {
	ends := map[int]int{}
	type open struct {
		at        int
		c         byte
		candidate bool
	}
	var stack []open
	inStr, esc := false, false
	var prev byte // the last character on the line but spaces; 0 at its start
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inStr:
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
				prev = c
			}
			if c != '\n' && c != '\r' {
				continue
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			// A value begins here unless a container's syntax comes
			// before it on its line (a key's ':', a ',', an opening
			// bracket): at a line's start, after a value, and after a
			// scalar (review 28a: "1 {…}" after a broken line was never
			// read).
			stack = append(stack, open{i, c, prev == 0 || strings.IndexByte(":,[{", prev) < 0})
		case c == '}' || c == ']':
			if len(stack) == 0 {
				break
			}
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if o.candidate && (o.c == '{') == (c == '}') {
				ends[o.at] = i + 1
			}
		}
		switch {
		case c == '\n' || c == '\r':
			prev, inStr, esc = 0, false, false // a string does not run past a line end
		case c != ' ' && c != '\t':
			prev = c
		}
	}
	return ends
}

// dataURL reads u as a data: url: its media type, its data
// percent-decoded (base64 padding written %3D too: review 23a), and
// whether that data is base64; ok is false for any other url.
func dataURL(u string) (mediaType, data string, encoded, ok bool) {
	if len(u) <= 5 || !strings.EqualFold(u[:5], "data:") {
		return "", "", false, false
	}
	head, body, _ := strings.Cut(u[5:], ",")
	mediaType, _, _ = strings.Cut(head, ";")
	return mediaType, unescapeLoose(body), strings.HasSuffix(strings.ToLower(head), ";base64"), true
}

// attachedJSONBytes is the data of attachment or Binary x decoded (UTF-8,
// without a byte order mark), when its content type says JSON or it gives
// none; ok is false otherwise, or when the data does not decode.
func attachedJSONBytes(x map[string]any) (ct string, raw []byte, ok bool) {
	ct, _ = x["contentType"].(string)
	data, _ := x["data"].(string)
	if data == "" || ct != "" && !fhirJSONType(ct) {
		return ct, nil, false
	}
	if raw, ok = decodeBase64(data); !ok {
		return ct, nil, false
	}
	return ct, attachmentText(ct, raw), true
}

// jsonDocsBoth is jsonDocs of raw, and each document jsonDocs found that
// repeats a key read again keeping the first of each (fhir.DecodeKeepingFirst:
// jsonDocs keeps the last, as encoding/json does, so a Condition carrying
// the HIV code in its first "code" and a follow-up in a second went
// unlabelled, review 22e).
// Each is read where jsonDocs found it, however it was found (review 67a:
// only the whole data, or a line, was read again, and a pretty-printed
// Condition after a one-line header, its HIV code in the first of two
// "code" keys, went unread).
func jsonDocsBoth(ct string, raw []byte) (docs, kept []any) {
	docs, spans := jsonDocSpans(ct, raw)
	return docs, keptFirst(raw, spans)
}

// keptFirst is each document of raw at spans (jsonDocSpans) that repeats
// a key, read again keeping the first of each.
func keptFirst(raw []byte, spans [][2]int) []any {
	var kept []any
	for _, sp := range spans {
		if v, dups, err := fhir.DecodeKeepingFirst(bytes.TrimSpace(raw[sp[0]:sp[1]])); err == nil && dups {
			kept = append(kept, v)
		}
	}
	return kept
}

// spansWhole reports whether the documents at spans (jsonDocSpans) are
// all of raw: nothing but JSON's white space outside them, no part passed
// over (review 72a: a no-break space or a form feed beside a document,
// which JSON does not allow, was taken for white space and dropped).
func spansWhole(raw []byte, spans [][2]int) bool {
	at := 0
	for _, sp := range spans {
		if len(jsonTrim(raw[at:sp[0]])) > 0 {
			return false
		}
		at = sp[1]
	}
	return len(jsonTrim(raw[at:])) == 0
}

// jsonTrim is b without JSON's white space at either end.
func jsonTrim(b []byte) []byte { return bytes.Trim(b, " \t\r\n") }

// fromUTF16 is raw as UTF-8 when it is UTF-16 with a byte-order mark
// (either byte order; a Windows text writer's), raw itself otherwise: JSON
// in UTF-16 did not decode, so FHIR JSON attached that way was opaque and
// a letter carrying an HIV diagnosis went unlabelled (review 15a).
func fromUTF16(raw []byte) []byte {
	var order binary.ByteOrder
	switch {
	case len(raw) >= 2 && raw[0] == 0xff && raw[1] == 0xfe:
		order = binary.LittleEndian
	case len(raw) >= 2 && raw[0] == 0xfe && raw[1] == 0xff:
		order = binary.BigEndian
	default:
		return raw
	}
	return fromUTF16Order(raw[2:], order)
}

// fhirJSONType reports whether a media type says JSON (FHIR's, the legacy
// one, or plain) or NDJSON (FHIR's application/fhir+ndjson, or the plain
// ones: review 14c, they were opaque).
func fhirJSONType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(ct, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	switch mt {
	case "application/fhir+json", "application/json+fhir", "application/json", "text/json",
		"application/fhir+ndjson", "application/ndjson", "application/x-ndjson":
		return true
	}
	return false
}

// decodeBase64 reads base64 padded or not, standard or URL-safe, ignoring
// whitespace.
func decodeBase64(s string) ([]byte, bool) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// canonicalCodes is codes (system|code) as the policy and Consents name
// them (consent.CanonicalCoding), without repeats.
func canonicalCodes(codes []string) []string {
	out := make([]string, 0, len(codes))
	seen := make(map[string]bool, len(codes))
	for _, c := range codes {
		sys, code, _ := strings.Cut(c, "|")
		sys, code = consent.CanonicalCoding(sys, code)
		if c = sys + "|" + code; !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// patientResidence reports whether Location m is a patient's residence
// (type PTRES of HL7's v3 RoleCode, under any of its names or none), or a
// home by another code: SNOMED CT's 264362003 |Home| as its type or
// physical type, or, with no coded type, physical type ho (house) of FHIR's
// location-physical-type under any of its names or none (review 67b: a
// home-visit Encounter's Location typed Home by SNOMED CT gave a
// restricted person's refuge to the hospital through _include; review
// 68a: so did physical type ho under STU3's system; a care home typed a
// facility, of physical type ho, is not one; review 69a: one typed by
// text alone, "Client's own home", is).
func patientResidence(m map[string]any) bool {
	home := func(c map[string]any) bool {
		sys, _ := c["system"].(string)
		code, _ := c["code"].(string)
		cs, cc := consent.CanonicalCoding(sys, strings.TrimSpace(code))
		return cs == "http://snomed.info/sct" && cc == "264362003"
	}
	pt, _ := m["physicalType"].(map[string]any)
	for _, c := range asList(pt["coding"]) {
		cm, _ := c.(map[string]any)
		if cm == nil {
			continue
		}
		sys, _ := cm["system"].(string)
		code, _ := cm["code"].(string)
		switch strings.TrimRight(strings.ToLower(strings.TrimSpace(sys)), "/") {
		case "http://terminology.hl7.org/codesystem/location-physical-type", "http://hl7.org/fhir/location-physical-type", "":
			if strings.EqualFold(strings.TrimSpace(code), "ho") && !codedType(m) {
				return true
			}
		}
		if home(cm) {
			return true
		}
	}
	for _, t := range asList(m["type"]) {
		tm, _ := t.(map[string]any)
		for _, c := range asList(tm["coding"]) {
			cm, _ := c.(map[string]any)
			if cm == nil {
				continue
			}
			if home(cm) {
				return true
			}
			sys, _ := cm["system"].(string)
			switch strings.TrimRight(strings.ToLower(strings.TrimSpace(sys)), "/") {
			case "http://terminology.hl7.org/codesystem/v3-rolecode", "urn:oid:2.16.840.1.113883.5.111",
				"http://hl7.org/fhir/v3/rolecode", "": // STU3's name, and none (review 23a)
				if code, _ := cm["code"].(string); strings.EqualFold(strings.TrimSpace(code), "PTRES") {
					return true
				}
			}
		}
	}
	return false
}

// codedType reports whether Location m has a type coded by some coding.
// A type in words alone is not read (**choice**, fails closed: review 70a
// asked that "Residential care home" not be a home; review 71a showed
// words mislead both ways — "Hospital at Home" is a home, "Care-home" a
// care home — so a care home of physical type ho typed in words alone is
// labelled R, released to its source only).
func codedType(m map[string]any) bool {
	for _, t := range asList(m["type"]) {
		tm, _ := t.(map[string]any)
		for _, c := range asList(tm["coding"]) {
			if cm, _ := c.(map[string]any); cm != nil {
				if code, _ := cm["code"].(string); strings.TrimSpace(code) != "" {
					return true
				}
			}
		}
	}
	return false
}

// securityLabels are the meta.security codes of the resource and of every
// resource inside it (contained resources, a stored Bundle's entries): a
// source's PSY label on a contained Condition, or the R on a contained
// copy of a restricted person, protects whatever carries it. A document's
// own labels count as its meta.security does: a DocumentReference's
// securityLabel and a Composition's confidentiality (review 61b: a
// DocumentReference its source labelled HIV, and a Composition of
// confidentiality R, went to the hospital clinician).
func securityLabels(m any) []string {
	var out []string
	seen := map[string]bool{}
	add := func(code any) {
		// A label in any case and spacing is that label (review 106b:
		// "hfea" went out under break-glass, and "hiv" to the hospital).
		if c, ok := code.(string); ok {
			if c = strings.ToUpper(strings.TrimSpace(c)); c != "" && !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	eachObject(m, "meta", func(x map[string]any) bool {
		// Only a resource has a "meta" element in FHIR; an object in an
		// attachment that leaves out its resourceType counts too.
		if meta, ok := x["meta"].(map[string]any); ok {
			for _, s := range asList(meta["security"]) {
				if cd, ok := s.(map[string]any); ok {
					add(cd["code"])
				}
			}
		}
		switch x["resourceType"] {
		case "DocumentReference":
			for _, cc := range asList(x["securityLabel"]) {
				if c, ok := cc.(map[string]any); ok {
					for _, cd := range asList(c["coding"]) {
						if cd, ok := cd.(map[string]any); ok {
							add(cd["code"])
						}
					}
				}
			}
		case "Composition":
			add(x["confidentiality"])
		}
		return true
	})
	return out
}

func ifMatch(c echo.Context) (int64, error) {
	if v := c.Request().Header.Values("If-Match"); len(v) > 1 {
		// (a list on several lines, as on one: review 120a)
		return 0, fmtErr(ErrBadRequest, "If-Match given %d times: send one ETag such as W/\"3\"", len(v))
	}
	n, err := versionETag(c.Request().Header.Get("If-Match"))
	if err != nil {
		return 0, fmtErr(err, "If-Match")
	}
	return n, nil
}

// versionETag reads an If-Match value as carex writes ETags, W/"3" (or
// the strong "3"); empty is no condition. Digits carex never writes
// ("01", "+1") name no version and match none, not the version they
// parse to (review 117b: W/"01" updated version 1).
func versionETag(h string) (int64, error) {
	if strings.TrimSpace(h) == "" {
		return 0, nil
	}
	t := strings.Trim(strings.TrimPrefix(strings.TrimSpace(h), "W/"), `"`)
	if t == "" || strings.Trim(t, "0123456789") != "" {
		// (one ETag: a list, which RFC 9110 allows, is refused too —
		// carex's writes name the one version they were read at)
		return 0, fmtErr(ErrBadRequest, "%q: expected one ETag such as W/\"3\"", h)
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 1 || strconv.FormatInt(n, 10) != t {
		// (review 119a: W/"0" and one past int64 were a 400)
		return 0, fmtErr(store.ErrVersionConflict, "%q names no version carex issued (it writes W/\"1\", W/\"2\", …)", h)
	}
	return n, nil
}

func (s *Server) create(c echo.Context) error {
	x, p, err := s.begin(c, "create")
	if err != nil {
		return err
	}
	res, err := s.readBody(c, x, x.Type)
	if err != nil {
		return err
	}
	w := s.newWrite(store.OpCreate, p, res, uuid.NewString())
	if cond := c.Request().Header.Get("If-None-Exist"); cond != "" {
		if w.IfNoneExist, err = x.conditionQuery(x.Type, cond); err != nil {
			return err
		}
		w.Visible = x.placeShy(w.IfNoneExist, withheldOnce(s.policy.Visible(c.Request().Context(), p, x)))
		w.IfNoneExist = x.refSearch(w.IfNoneExist)
	}
	return s.commitOne(c, x, p, w)
}

// conditionQuery parses a condition of the request x (If-None-Exist, a
// conditional update's or reference's query). A condition is a search
// across people: under X-Break-Glass it must name the person it opens, as
// a search must, or a lookup by diagnosis would open whoever matched
// (review 5b). So must one on any type: an item of a type with no
// compartment may name its person too (a Device, a ward list), and is
// decided under theirs (search.NamedPeople).
func (x *Exchange) conditionQuery(typ, cond string) (*search.Query, error) {
	// A writer that sees its own organisation's items only (a feed's
	// system, carex import: x nil) sees nothing redacted, so a condition
	// on its own identifiers answers for no restricted person (review
	// 82d: a council's carer number, and a practice's patient number, were
	// refused, and a feed's retried create made a second carer).
	ownOrg := x == nil || x.gate != nil && x.gate.ownOrgOnly()
	q, err := conditionQuery(typ, cond, ownOrg)
	if err == nil && x != nil && x.BreakGlass != "" && patientParam(q) == "" && !onePersonSearch(q) {
		return nil, fmtErr(ErrBadRequest, "condition %q: X-Break-Glass opens one person's record, so a condition on %s must name the person: patient=Patient/ID, identifier= or _id=", cond, typ)
	}
	return q, err
}

func conditionQuery(typ, cond string, ownOrg bool) (*search.Query, error) {
	// The spec's form is the query alone; HL7's own examples also write
	// "Type?query", so accept that when the type matches.
	if t, q, ok := strings.Cut(cond, "?"); ok && (t == "" || t == typ) {
		cond = q
	}
	vals, err := url.ParseQuery(cond)
	if err != nil || len(vals) == 0 {
		return nil, fmtErr(ErrBadRequest, "condition %q is not a search query", cond)
	}
	q, err := search.ParseQuery(typ, vals)
	if err != nil {
		return nil, err
	}
	if len(q.Clauses) == 0 {
		// A search ignores an empty parameter (FHIR), so "identifier="
		// alone matched every item the caller sees: an update replaced
		// the trust's only care plan, and a feed's reference with an empty
		// NHS number was filed under its only Patient (review 22e).
		return nil, fmtErr(ErrBadRequest, "condition %q has no criterion with a value: a conditional write or reference needs at least one (identifier=system|value)", cond)
	}
	if param := consentCodeParam(q); param != "" {
		return nil, fmtErr(search.ErrUnknownParam, "condition %q: conditions on a Consent's %s are not supported (its clinical codes are masked for readers outside its recording organisation): use identifier=SYSTEM|VALUE", cond, param)
	}
	if !ownOrg && asksRedacted(q) {
		// A match would answer for a restricted person's redacted address,
		// telecom, GP or local identifier (created or not, which id):
		// refused for every role that sees other organisations' items, so
		// that the refusal says nothing about anyone.
		return nil, fmtErr(search.ErrUnknownParam, "condition %q: conditions on address, telecom, GP or an identifier other than the NHS number are not supported for %s here (a restricted person's are not released outside her source): use identifier=https://fhir.nhs.uk/Id/nhs-number|NUMBER, or write from your organisation's system", cond, typ)
	}
	return q, nil
}

// consentCodeParam is the first parameter of a Consent search q that
// may match or sort by a code maskClinicalCodes masks: refused for every
// role that may read another organisation's Consents, so that the refusal
// says nothing about anyone (review 55c: category=http://snomed.info/sct|44054006
// found the Consent whose body went out masked, and _sort=category ordered
// two by their codes; review 56a: so did scope, _security and identifier).
// A client system reads its own organisation's Consents, unmasked. Other
// token criteria are taken with a system that is not a clinical one, or a
// code with no digit (scope=patient-privacy, status=active), and no
// modifier; a sort by status only.
func consentCodeParam(q *search.Query) string {
	if q.Type != "Consent" {
		return ""
	}
	for _, c := range q.Clauses {
		if consentCodeParams[c.Param] {
			return c.Param
		}
		if c.Type != search.Token || consentPlainTokens[c.Param] {
			continue
		}
		if c.Modifier != "" {
			return c.Param + ":" + c.Modifier
		}
		for _, v := range c.Values {
			if v.System != "" && consent.ClinicalSystem(v.System) || v.System == "" && (v.Code == "" || strings.ContainsAny(v.Code, "0123456789")) {
				return c.Param
			}
		}
	}
	for _, k := range q.Sort {
		if consentCodeParams[k.Param] || search.Params(q.Type)[k.Param].Type == search.Token && !consentPlainTokens[k.Param] {
			return k.Param
		}
	}
	return ""
}

var consentCodeParams = map[string]bool{"category": true, "_tag": true, "action": true, "purpose": true}

// consentPlainTokens are the Consent token parameters no masked code is
// indexed under: taken as any search takes them.
var consentPlainTokens = map[string]bool{"status": true, "_id": true}

func (s *Server) update(c echo.Context) error {
	x, p, err := s.begin(c, "update")
	if err != nil {
		return err
	}
	res, err := s.readBody(c, x, x.Type)
	if err != nil {
		return err
	}
	if res.ID != x.ID {
		return fmtErr(ErrBadRequest, "the body's id %q must equal the id in the URL %q", res.ID, x.ID)
	}
	w := s.newWrite(store.OpUpdate, p, res, x.ID)
	if w.IfMatch, err = ifMatch(c); err != nil {
		return err
	}
	return s.commitOne(c, x, p, w)
}

// conditionalUpdate is PUT /Type?search: no match creates, one match
// updates it, several is 412.
func (s *Server) conditionalUpdate(c echo.Context) error {
	x, p, err := s.begin(c, "update")
	if err != nil {
		return err
	}
	res, err := s.readBody(c, x, x.Type)
	if err != nil {
		return err
	}
	q, err := x.conditionQuery(x.Type, c.Request().URL.RawQuery)
	if err != nil {
		return err
	}
	id := res.ID
	if id == "" {
		id = uuid.NewString()
	}
	w := s.newWrite(store.OpUpdate, p, res, id)
	w.Alone = true // its condition is matched inside the transaction
	// Checked against the resource the condition matches, as an update
	// checks it (review 79d: a stale If-Match was ignored, and the
	// update stored over a newer version).
	if w.IfMatch, err = ifMatch(c); err != nil {
		return err
	}
	vis := x.placeShy(q, s.policy.Visible(c.Request().Context(), p, x))
	q = x.refSearch(q)
	prepare := func(lookup store.Lookup) error {
		found, err := lookup.Search(q)
		if err != nil {
			return err
		}
		// Only what the caller may see can match: a condition must not
		// probe for withheld records.
		found = visibleOnly(found, vis)
		switch len(found) {
		case 0:
			return nil
		case 1:
			if res.ID != "" && res.ID != found[0].ID {
				return fmtErr(ErrBadRequest, "the body's id %q differs from the matched resource", res.ID)
			}
			w.ID = found[0].ID
			w.Resource["id"] = w.ID
			s.derive(w)
			return nil
		}
		return fmtErr(store.ErrPrecondition, "conditional update matched %d resources", len(found))
	}
	return s.commit(c, x, p, []*store.Write{w}, prepare)
}

func (s *Server) delete(c echo.Context) error {
	x, p, err := s.begin(c, "delete")
	if err != nil {
		return err
	}
	w := &store.Write{Op: store.OpDelete, Type: x.Type, ID: x.ID, SourceOrg: p.Org}
	if w.IfMatch, err = ifMatch(c); err != nil {
		return err
	}
	return s.commitOne(c, x, p, w)
}

func (s *Server) commitOne(c echo.Context, x *Exchange, p *auth.Principal, w *store.Write) error {
	return s.commit(c, x, p, []*store.Write{w}, nil)
}

// commit runs the write decision on each write inside the transaction (so
// it sees the version it replaces) and answers for the first write.
func (s *Server) commit(c echo.Context, x *Exchange, p *auth.Principal, ws []*store.Write, prepare func(store.Lookup) error) error {
	ctx := c.Request().Context()
	results, err := s.store.Commit(ctx, ws, func(lookup store.Lookup) error {
		if prepare != nil {
			if err := prepare(lookup); err != nil {
				return err
			}
		}
		if err := s.decideWrites(ctx, p, x, lookup, ws); err != nil {
			return err
		}
		s.keepEntry(lookup, x, ws, writeStatus(ws[0]))
		return nil
	})
	if err != nil {
		return err
	}
	r := results[0]
	w := ws[0]
	x.ID = w.ID
	if r.Version != nil && len(r.Version.Patients) == 1 && !unresolved(r.Version.Patients[0]) {
		x.Patient = r.Version.Patients[0]
	}
	if w.Op == store.OpDelete {
		if r.Version != nil {
			x.release(r.Version)
		}
		return respond(c, http.StatusNoContent, nil, nil)
	}
	v := r.Version
	x.release(v)
	if r.NoOp {
		x.matchedExisting()
	}
	h := versionHeaders(v)
	status := writeStatus(w)(results)
	if r.Created {
		h.Set("Location", s.base(c)+"/"+v.Type+"/"+v.ID+"/_history/"+strconv.FormatInt(v.VersionID, 10))
	}
	switch preferredReturn(c.Request().Header) {
	case "minimal":
		return respond(c, status, nil, h)
	case "operationoutcome":
		return respond(c, status, fhir.OperationOutcome("information", "informational", "ok"), h)
	}
	// x.body, not v.Raw: a conditional create that matched answers with the
	// stored resource, which may be another organisation's restricted
	// Patient to redact, or point at items the user may not see.
	return respond(c, status, x.bodyOf(v, r.NoOp), h)
}

// preferredReturn is the client's "return" preference (RFC 7240, FHIR's
// minimal, representation or OperationOutcome), lower-cased: read from
// every Prefer header and among other preferences and parameters, as
// clients send it (review 104c: "handling=strict, return=minimal" got the
// whole resource back).
func preferredReturn(h http.Header) string {
	for _, line := range h.Values("Prefer") {
		for _, pref := range strings.Split(line, ",") {
			pref, _, _ = strings.Cut(pref, ";")
			name, value, _ := strings.Cut(pref, "=")
			if strings.EqualFold(strings.TrimSpace(name), "return") {
				return strings.ToLower(strings.Trim(strings.TrimSpace(value), `"`))
			}
		}
	}
	return ""
}

// base is the public base URL of the FHIR API, without a trailing slash.
func (s *Server) base(c echo.Context) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimSuffix(s.cfg.BaseURL, "/")
	}
	if b, ok := c.Request().Context().Value(parentBaseKey{}).(string); ok && b != "" {
		return b // a bundle's entry: the bundle's (subRequest)
	}
	return c.Scheme() + "://" + c.Request().Host + "/fhir"
}

// postForm is a POST _search's form body alone. Echo's FormParams is
// net/http's Request.Form, which holds the URL's query too: added to the
// query, each of its parameters came twice (review 82a: POST
// Condition/_search?_count=1 was refused, _count "given twice").
func postForm(c echo.Context) (url.Values, error) {
	if _, err := c.FormParams(); err != nil { // parses the body, multipart too
		return nil, err
	}
	return c.Request().PostForm, nil
}

func (s *Server) search(c echo.Context) error {
	x, p, err := s.begin(c, "search")
	if err != nil {
		return err
	}
	vals := c.QueryParams()
	if c.Request().Method == http.MethodPost {
		form, err := postForm(c)
		if err != nil {
			return fmtErr(ErrBadRequest, "POST _search needs an application/x-www-form-urlencoded body")
		}
		for k, v := range form {
			vals[k] = append(vals[k], v...)
		}
	}
	q, err := search.ParseQuery(x.Type, vals)
	if err != nil {
		return err
	}
	for _, k := range q.Sort {
		// The order would show what a masked reference names: refused
		// for everyone, so that the refusal says nothing about anyone.
		if def := search.Params(q.Type)[k.Param]; def.Type == search.Reference || attachmentURLs(def) {
			return fmtErr(search.ErrUnknownParam, "_sort=%s: sorting by a reference or an attachment's url is not supported (references to items you may not see are masked, and the order would show them)", k.Param)
		}
	}
	if param := consentCodeParam(q); param != "" && x.gate != nil && !x.gate.ownOrgOnly() {
		return fmtErr(search.ErrUnknownParam, "Consent search by %s is not supported: a Consent's clinical codes are masked for readers outside its recording organisation, and a match or the order would tell them; search by patient, status or date, and by scope, identifier or a label with its (non-clinical) system", param)
	}
	ctx := c.Request().Context()
	x.NHSNumber = nhsSearched(q)
	searchedNumbers := searchedNHSNumbers(q)
	if x.NHSNumber == "" && len(searchedNumbers) > 0 {
		x.NHSNumber = searchedNumbers[0]
	}
	byID := patientByID(q)
	if x.BreakGlass != "" && patientParam(q) == "" && !onePersonSearch(q) {
		if !traceSearch(q) {
			return fmtErr(ErrBadRequest, "X-Break-Glass opens one person's record: search with patient=Patient/ID, identifier= (Patient?identifier= an NHS number) or _id=, trace them by an exact birthdate= with family=, given=, name= or address-postalcode= (no _include, first page only), or use Patient/ID/$everything")
		}
		// A trace: the matching people's demographics, at most a handful,
		// to find the one to open; no one's record is opened by it.
		x.bgTrace = true
		q.Count = min(q.Count, maxTraceMatches)
	}
	if pid := patientParam(q); pid != "" {
		x.Patient = pid
		if err := s.policy.OpenPatient(ctx, p, x, pid); err != nil {
			return err
		}
	} else if people := searchedPeople(q, true); len(people) > 1 {
		// patient=jane,bob opens each record as patient=jane does: a
		// person the user has no relationship with refuses the search
		// (review 105a: an unrelated nurse's list was answered empty and
		// logged as naming no one, nothing withheld).
		x.noteNamed(people...)
		for _, pid := range people {
			if err := s.policy.OpenPatient(ctx, p, x, pid); err != nil {
				return err
			}
		}
	} else if byID != "" {
		// The person a search by id names, as patient= does (their NHS
		// number goes on the entry, though an _revinclude reaches others
		// too), without opening their record: a Patient search answers
		// with what the user may see of whoever matches.
		x.Patient = byID
	} else if person := searchedPerson(q); person != "" {
		// subject=jane, a bare id, is Patient/jane or Group/jane: the
		// search is not opened as her record (each item is decided on its
		// own), but the entry names her whether or not anything matched,
		// as it does a search by patient=.
		x.Patient = person
	}
	view, err := resourceView(q.Type, q.Elements, q.Summary)
	if err != nil {
		return err
	}
	x.asksRedacted, x.bareNumbers = asksRedacted(q), bareNumbers(q)
	x.asksPlaceIdentifier = asksPlaceIdentifier(q)
	vis := withheldOnce(s.policy.Visible(ctx, p, x)) // an _include may meet a withheld match again
	if q.Summary == "count" {
		q.Count = 0
	}
	res, err := s.store.Search(ctx, x.refSearch(q), vis)
	if err != nil {
		return err
	}
	if byID != "" && x.gate != nil && len(q.Clauses) == 1 && res.Total == 0 {
		// A deleted Patient withheld from the user is answered as before
		// its delete: withheld, and counted, as its match was (review 8;
		// its $everything, review 7a). Without it, the notice's going
		// told the user that it had been deleted. (A match is not
		// deleted: no read then.)
		if pv, err := s.store.Read(ctx, "Patient", byID); errors.Is(err, store.ErrGone) && pv != nil {
			vis(&pv.Meta)
		}
	}
	var inc []*store.Version
	if len(q.Includes) > 0 && len(res.Items) > 0 {
		// (what the bare numbers matched is decided: an included item
		// was not matched by them, and is seen as read: review 47b)
		x.bareNumbers = nil
		if inc, err = s.included(ctx, x, res.Items, q.Includes, vis); err != nil {
			return err
		}
		inc = x.linkedOnly(res.Items, inc, q.Includes)
	}
	x.release(res.Items...)
	x.release(inc...)
	// The entry names whoever carries each number searched for, as a
	// refused search does (searchNames), though nothing matches: a search
	// by her number with another name or birth date is a probe of her
	// record, which her own report must list (review 97b: it was left out;
	// review 98a: a bare number, or several). A number a released Patient
	// carries, with nothing withheld, names her already: it is not looked
	// up again (review 99b: every search by NHS number ran twice).
	for _, nhs := range searchedNumbers {
		if x.Withheld > 0 || !releasedCarries(res.Items, nhs) {
			x.noteNamed(byNumber + nhs)
		}
	}
	if x.Patient == "" {
		// Several people by id (patient=jane,bob): each is named, found or
		// not (review 105a: neither was in their reports).
		x.noteNamed(searchedPeople(q, false)...)
	}
	notice, err := s.searchNotice(ctx, x, q)
	if err != nil {
		return err
	}
	b := newBundle("searchset", s.base(c), x)
	b.view = view
	b.notice = &notice
	b.total = &res.Total
	b.pageLinks(s.base(c)+"/"+x.Type, q.Encode(), q.Count, q.Offset, res.Total)
	for _, v := range res.Items {
		b.add(v, "match")
	}
	for _, v := range inc {
		b.add(v, "include")
	}
	return respond(c, http.StatusOK, b.json(), nil)
}

// searchNotice is whether a search's answer carries the confidential-items
// notice. It says that something was withheld, never what: had it followed
// what the search's filters withheld, Condition?patient=jane&code=<HIV>
// would tell from code=<other> that Jane has a withheld HIV diagnosis, and
// Patient?identifier=…&birthdate= a withheld person's date of birth. So a
// search that names one person (patient=, or Patient?_id=) and filters or
// includes further carries it when any item of that person's record of
// the types it may release is withheld from the user, whatever the
// filters (what Type?patient=X tells anyway); one that names no one and
// filters or includes carries it always (across people, some record is
// withheld from anyone but IG and the sources); an unfiltered search, when
// it withheld anything. Each is so whenever the search itself withheld something.
func (s *Server) searchNotice(ctx context.Context, x *Exchange, q *search.Query) (bool, error) {
	withheld := x.Withheld > 0
	pid := patientParam(q)
	if pid == "" {
		pid = patientByID(q)
	}
	switch {
	case x.gate == nil, withheld && pid != "":
		return withheld, nil
	case pid == "":
		// (an _include or _revinclude decides only the page's matches' items:
		// the notice followed the page, telling which Medication had a
		// withheld prescription, review 55c; a client system reads its own
		// organisation's items only, and is withheld nothing: review 56a)
		return withheld || len(q.Clauses) > 0 || len(q.Includes) > 0 && !x.gate.ownOrgOnly(), nil
	case len(q.Clauses) == 1 && len(q.Includes) == 0:
		return false, nil // Type?patient=X: what its own matches withheld (nothing)
	}
	types, anyType := []string{q.Type}, false
	for _, in := range q.Includes {
		switch {
		case in.Rev:
			types = append(types, in.SourceType)
		case in.TargetType != "":
			types = append(types, in.TargetType)
		default:
			targets := search.Params(in.SourceType)[in.Param].Targets
			anyType = anyType || len(targets) == 0
			types = append(types, targets...)
		}
	}
	if anyType {
		types = nil // the whole record
	}
	for _, t := range types {
		if !search.HasPatientCompartment(t) {
			// A Device names its person (Device.patient), and is
			// theirs, but patient= matches Device.patient alone and an
			// item stored before it was given its people (not yet
			// relabelled) is in no one's record: the scan could miss one
			// withheld, and the notice would follow the filters. As a
			// search naming no one.
			return true, nil
		}
	}
	return x.recordWithholds(ctx, s.store, pid, types)
}

// recordWithholds reports whether this request's user is refused any item
// of pid's record (their compartment) of the given types (nil: all),
// decided as the request decides them, counting and noting nothing.
func (x *Exchange) recordWithholds(ctx context.Context, st store.Store, pid string, types []string) (bool, error) {
	// (the scan stops at the first item refused, and does not read those
	// of the user's own organisation: ownSeen)
	refused := false
	refuses := x.gate.ofPerson(pid, func(m *store.Meta) bool { return !x.gate.refSees(m) })
	err := st.ScanCompartment(ctx, pid, types, x.gate.ownSeen(), func(m *store.Meta) bool {
		refused = refuses(m)
		return !refused
	})
	if err != nil || refused || len(types) > 0 && !slices.Contains(types, "Patient") {
		return refused, err
	}
	// A deleted Patient is in no one's compartment: withheld from the
	// user, it is as before its delete (review 8: the notice's going told
	// that it had been deleted).
	pv, err := st.Read(ctx, "Patient", pid)
	switch {
	case errors.Is(err, store.ErrGone) && pv != nil:
		return !x.gate.refSees(&pv.Meta), nil
	case err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrGone):
		return false, err
	}
	return false, nil
}

// patientByID is the id a Patient search names by _id (one value; the
// last such clause), "" when it names none.
func patientByID(q *search.Query) (id string) {
	if q.Type != "Patient" {
		return ""
	}
	for _, cl := range q.Clauses {
		if cl.Param == "_id" && cl.Modifier == "" && len(cl.Values) == 1 {
			id = cl.Values[0].Code
		}
	}
	return id
}

// nhsSearched is the NHS number a search looks for, for the access log:
// kept even when nothing matches, since a probe is what IG looks for.
func nhsSearched(q *search.Query) string {
	for _, cl := range q.Clauses {
		if cl.Param == "identifier" && cl.Modifier == "" && len(cl.Values) == 1 && cl.Values[0].System == fhir.NHSNumberSystem {
			return cl.Values[0].Code
		}
	}
	return ""
}

// searchedNHSNumbers are the NHS numbers a Patient search looks for by
// identifier (with the NHS number system, or bare, as the search reads a
// bare value that is one), at most maxSearchedNumbers, for the log.
func searchedNHSNumbers(q *search.Query) []string {
	if q.Type != "Patient" {
		return nil
	}
	var out []string
	for _, cl := range q.Clauses {
		if cl.Param != "identifier" || cl.Modifier != "" {
			continue
		}
		for _, v := range cl.Values {
			if v.HasSystem && !fhir.IsNHSNumberSystem(v.System) || len(out) == maxSearchedNumbers {
				continue
			}
			if nhs, err := fhir.NormaliseNHSNumber(v.Code); err == nil {
				out = append(out, nhs)
			}
		}
	}
	return out
}

// releasedCarries reports whether one of items is a Patient carrying NHS
// number nhs as its own (nhsNumbersOf; review 101a: a released Patient
// naming it in a next of kin's contact dropped its carrier from the log).
func releasedCarries(items []*store.Version, nhs string) bool {
	for _, v := range items {
		if v.Type == "Patient" && bytes.Contains(v.Raw, []byte(nhs[:3])) && slices.Contains(nhsNumbersOf(decodeMap(v.Raw)), nhs) {
			return true
		}
	}
	return false
}

// maxSearchedNumbers bounds the numbers one search's entry names.
const maxSearchedNumbers = 64

// patientParam names the patient a search is about, for the access log.
// onePersonSearch: a search for one identifier or id (a person by NHS
// number, an item by its identifier); the gate still lets break-glass
// open one person's record only.
func onePersonSearch(q *search.Query) bool {
	for _, cl := range q.Clauses {
		if (cl.Param == "identifier" || cl.Param == "_id") && len(cl.Values) == 1 && cl.Modifier == "" &&
			(cl.Values[0].Code != "" || cl.Values[0].Str != "") { // identifier=system| matches everyone's
			return true
		}
	}
	return false
}

// maxTraceMatches: a break-glass trace shows at most this many people.
const maxTraceMatches = 10

// traceSearch: a Patient search that finds a person by who they are (an
// exact birth date and a name or postcode), as a trace does, on its first
// page only: not a list of everyone born in a range.
func traceSearch(q *search.Query) bool {
	has := map[string]bool{}
	for _, cl := range q.Clauses {
		if cl.Modifier != "" && cl.Modifier != "exact" || len(cl.Values) != 1 {
			continue
		}
		v := cl.Values[0]
		switch cl.Param {
		case "birthdate":
			has[cl.Param] = (v.Prefix == "" || v.Prefix == "eq") && v.Hi-v.Lo < 24*60*60*1000
		case "family", "given", "name", "address-postalcode":
			has[cl.Param] = len([]rune(strings.TrimSpace(v.Str))) >= 2
		}
	}
	return q.Type == "Patient" && len(q.Includes) == 0 && q.Offset == 0 && has["birthdate"] &&
		(has["family"] || has["given"] || has["name"] || has["address-postalcode"])
}

func patientParam(q *search.Query) string {
	for _, cl := range q.Clauses {
		if (cl.Param == "patient" || cl.Param == "subject") && len(cl.Values) == 1 {
			if id, ok := strings.CutPrefix(cl.Values[0].Ref, "Patient/"); ok {
				return id
			}
		}
	}
	return ""
}

func pageParams(c echo.Context, def int) (store.Page, error) {
	p := store.Page{Count: def}
	if v := c.QueryParam("_count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, fmtErr(search.ErrBadValue, "_count=%q: expected a non-negative integer", v)
		}
		p.Count = min(n, search.MaxCount)
	}
	if v := c.QueryParam("_offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, fmtErr(search.ErrBadValue, "_offset=%q: expected a non-negative integer", v)
		}
		p.Offset = n
	}
	return p, nil
}

// everythingPage is large enough that a typical record opens in one page.
const everythingPage = 500

func (s *Server) everything(c echo.Context) error {
	x, p, err := s.begin(c, "everything")
	if err != nil {
		return err
	}
	for k, vs := range c.QueryParams() {
		switch k {
		case "_count", "_offset", "_type", "_format", "start", "end", "_since":
			if len(vs) > 1 {
				// (review 51b: _type=CarePlan&_type=Condition answered
				// for CarePlan alone, as if she had no diagnoses)
				return fmtErr(search.ErrBadValue, "$everything takes %s once: give several types as one comma-separated _type", k)
			}
		default:
			return fmtErr(search.ErrUnknownParam, "$everything does not support %q (supported: _count, _offset, _type, start, end, _since)", k)
		}
	}
	page, err := pageParams(c, everythingPage)
	if err != nil {
		return err
	}
	dates, err := parseEverythingDates(c.QueryParams())
	if err != nil {
		return err
	}
	var types []string
	if t := c.QueryParam("_type"); t != "" {
		for _, typ := range strings.Split(t, ",") {
			if !fhir.IsResourceType(typ) {
				return fmtErr(search.ErrBadValue, "_type %q is not a resource type", typ)
			}
			types = append(types, typ)
		}
	}
	ctx := c.Request().Context()
	if err := s.policy.OpenPatient(ctx, p, x, x.ID); err != nil {
		return err
	}
	vis := s.policy.Visible(ctx, p, x)
	// The Patient resource itself may be withheld (a person can object to
	// their demographics being shared) while the user's own data about
	// them stays visible: the compartment answers either way.
	if pv, err := s.store.Read(ctx, "Patient", x.ID); x.everythingRefuses(vis, types, pv, err) {
		return err
	}
	// The date filters run before the sharing decision: an item they
	// leave out is not withheld, and neither decided nor counted.
	vis = dates.visible(x.ID, vis)
	if x.gate != nil {
		vis = x.gate.ofPerson(x.ID, vis)
	}
	res, err := s.store.Compartment(ctx, x.ID, types, vis, page)
	if err != nil {
		return err
	}
	x.release(res.Items...)
	b := newBundle("searchset", s.base(c), x)
	b.total = &res.Total
	if dates.any() && x.gate != nil && x.Withheld == 0 {
		// The notice must not follow the filters (it would tell when a
		// withheld item is dated, or was written): as for a search naming
		// the person that filters, it is there when any item of their
		// record (of _type) is withheld from the user.
		notice, err := x.recordWithholds(ctx, s.store, x.ID, types)
		if err != nil {
			return err
		}
		b.notice = &notice
	}
	self := dates.given
	if len(types) > 0 {
		self.Set("_type", strings.Join(types, ","))
	}
	b.pageLinks(s.base(c)+"/Patient/"+x.ID+"/$everything", self, page.Count, page.Offset, res.Total)
	for _, v := range res.Items {
		b.add(v, "match")
	}
	return respond(c, http.StatusOK, b.json(), nil)
}

// everythingRefuses reports whether $everything answers with the error of
// reading the person's Patient resource (pv, err) rather than from their
// record. A deleted Patient withheld from the user is answered as before
// its delete, withheld (and counted where _type asks for it): its read
// and _history are the 404 of one that never existed, and a 410 here told
// what became of it (review 7a). A person with data stored and no Patient
// resource (yet) is answered from the compartment too: a 404 until one
// withheld from the user was written, and a 200 then, told that it had
// been.
func (x *Exchange) everythingRefuses(vis store.Visible, types []string, pv *store.Version, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrNotFound) && x.gate != nil && x.gate.known(x.ID):
		return false
	case !errors.Is(err, store.ErrGone) || pv == nil || x.gate == nil:
		return true
	case len(types) == 0 || slices.Contains(types, "Patient"):
		return vis(&pv.Meta) // decided and counted, as the compartment would
	}
	return x.gate.refSees(&pv.Meta)
}

func (s *Server) historyInstance(c echo.Context) error { return s.history(c, "history-instance") }
func (s *Server) historyType(c echo.Context) error     { return s.history(c, "history-type") }
func (s *Server) historySystem(c echo.Context) error   { return s.history(c, "history-system") }

func (s *Server) history(c echo.Context, op string) error {
	x, p, err := s.begin(c, op)
	if err != nil {
		return err
	}
	if x.ID == "" && x.BreakGlass != "" {
		// Newest first across everyone: it would open whoever was written
		// to last (review 5b).
		return fmtErr(ErrBadRequest, "X-Break-Glass opens one person's record: a history of a whole type or of the server names no one; use Patient/ID/$everything, or an item's own history (TYPE/ID/_history)")
	}
	for k := range c.QueryParams() {
		switch k {
		case "_count", "_offset", "_since", "_format":
		default:
			return fmtErr(search.ErrUnknownParam, "_history does not support %q (supported: _count, _offset, _since)", k)
		}
	}
	page, err := pageParams(c, search.DefaultCount)
	if err != nil {
		return err
	}
	var since time.Time
	if v := c.QueryParam("_since"); v != "" {
		lo, _, err := search.ParseDate(v)
		if err != nil {
			return fmtErr(search.ErrBadValue, "_since=%q: expected a FHIR instant", v)
		}
		since = time.UnixMilli(lo)
	}
	ctx := c.Request().Context()
	if x.ID != "" && x.BreakGlass != "" {
		cur, _ := s.store.Read(ctx, x.Type, x.ID)
		x.sharedItem(s.asDecided(ctx, cur))
	}
	vis := s.currentGated(ctx, s.policy.Visible(ctx, p, x))
	res, err := s.store.History(ctx, x.Type, x.ID, since, vis, page)
	if err != nil {
		return err
	}
	if x.ID != "" && res.Total == 0 {
		known := false
		if !since.IsZero() {
			// Nothing since: an empty history where the caller sees the
			// item at all (review 73b: a feed polling its own item's
			// changes was told it did not exist whenever nothing had
			// changed). The versions before _since are decided to tell,
			// not released: a withheld one counts only for the 404.
			withheld := x.Withheld
			var all *store.Result
			err := x.untold(func() (err error) {
				all, err = s.store.History(ctx, x.Type, x.ID, time.Time{}, vis, store.Page{Count: 1})
				return err
			})
			if err != nil {
				return err
			}
			if known = all.Total > 0; known {
				x.Withheld = withheld
			}
		}
		if !known {
			if x.Withheld > 0 { // every version withheld: the same 404, logged as such
				return withheldNotFound("%s/%s", x.Type, x.ID)
			}
			return fmtErr(store.ErrNotFound, "%s/%s", x.Type, x.ID)
		}
	}
	x.release(res.Items...)
	b := newBundle("history", s.base(c), x)
	b.total = &res.Total
	if !since.IsZero() && x.gate != nil {
		// _since filters like _lastUpdated: the notice must not follow it
		// (it would tell when a withheld version was written). An item's
		// history carries it when any of its versions is withheld; a
		// type's or the system's, always, as a search naming no one that
		// filters.
		notice := x.ID == "" || x.Withheld > 0 || x.gate.versionsWithheld(x.Type, x.ID)
		b.notice = &notice
	}
	self := s.base(c)
	if x.Type != "" {
		self += "/" + x.Type
	}
	if x.ID != "" {
		self += "/" + x.ID
	}
	q := url.Values{}
	if !since.IsZero() {
		q.Set("_since", c.QueryParam("_since"))
	}
	b.pageLinks(self+"/_history", q, page.Count, page.Offset, res.Total)
	for _, v := range res.Items {
		b.addHistory(v)
	}
	return respond(c, http.StatusOK, b.json(), nil)
}

var _ = json.Valid
