package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/store/sqlite"
)

// Review 16c: concurrency between changes to what may be shared and the
// requests that release data. The promise: once a change's request has
// been answered (an objection written, a Patient marked restricted, a care
// relationship ended), every request that starts afterwards decides with
// it, whatever else runs at the same time. carex caches between requests
// (the per-patient sharing context and its successor carried over neutral
// writes, the WAL-index "has anything committed?" watch, the NHS-number
// restriction answers); these tests run those caches under load.

// load16c is background traffic on Jane's record and on others': neutral
// clinical writes by several sources (which carry the cached context over
// as a successor) and reads of every kind. It stops when stop is closed;
// errs collects what went wrong (no t.Fatal off the test goroutine).
type load16c struct {
	e    *env
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []string
	n    atomic.Int64
	once sync.Once
}

func (e *env) get16c(method, path, token, body string) (int, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

func (l *load16c) fail(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) < 10 {
		l.errs = append(l.errs, fmt.Sprintf(format, a...))
	}
}

// loop runs f until stop, with an increasing counter.
func (l *load16c) loop(f func(i int)) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for i := 0; ; i++ {
			select {
			case <-l.stop:
				return
			default:
			}
			f(i)
			l.n.Add(1)
		}
	}()
}

func (l *load16c) finish(t *testing.T) {
	t.Helper()
	l.halt()
	for _, s := range l.errs {
		t.Error(s)
	}
}

// halt stops the traffic (also when a test stops early: startLoad16c
// registers it as a cleanup).
func (l *load16c) halt() {
	l.once.Do(func() { close(l.stop) })
	l.wg.Wait()
}

// startLoad16c starts neutral writers for Jane (GP and hospital feeds) and
// for another person, and readers of Jane's record as the nurse.
func startLoad16c(t *testing.T, e *env) *load16c {
	l := &load16c{e: e, stop: make(chan struct{})}
	t.Cleanup(l.halt)
	gpSys := e.token("system", "nhs", "A81001")
	hospSys := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	write := func(tok, path, body string) {
		if s, b, err := e.get16c("PUT", path, tok, body); err != nil || (s != 200 && s != 201) {
			l.fail("background write %s: %d %v %.200s", path, s, err, b)
		}
	}
	l.loop(func(i int) {
		write(gpSys, fmt.Sprintf("/fhir/Observation/bg-gp-%d", i%7),
			fmt.Sprintf(`{"resourceType":"Observation","id":"bg-gp-%d","status":"final","code":{"text":"GP-BG-OBS"},"subject":{"reference":"Patient/jane"},"valueQuantity":{"value":%d}}`, i%7, i))
	})
	l.loop(func(i int) {
		write(hospSys, fmt.Sprintf("/fhir/Encounter/bg-hosp-%d", i),
			fmt.Sprintf(`{"resourceType":"Encounter","id":"bg-hosp-%d","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/jane"}}`, i))
		write(hospSys, fmt.Sprintf("/fhir/Encounter/bg-other-%d", i%5),
			fmt.Sprintf(`{"resourceType":"Encounter","id":"bg-other-%d","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/other-%d"}}`, i%5, i%3))
	})
	paths := []string{"/fhir/Patient/jane/$everything", "/fhir/Condition?patient=jane", "/fhir/Condition/diabetes", "/fhir/Patient/jane"}
	l.loop(func(i int) {
		if _, _, err := e.get16c("GET", paths[i%len(paths)], nurse, ""); err != nil {
			l.fail("background read: %v", err)
		}
	})
	return l
}

// check16c reads what the nurse gets now, in the three ways a record is
// released, and reports each response that holds (or lacks) the marker.
func check16c(e *env, token string, paths []string, marker string) (holding, lacking []string) {
	for _, p := range paths {
		s, b, err := e.get16c("GET", p, token, "")
		if err != nil {
			lacking = append(lacking, p+": "+err.Error())
			continue
		}
		if strings.Contains(b, marker) {
			holding = append(holding, fmt.Sprintf("%s: %d %.300s", p, s, b))
		} else {
			lacking = append(lacking, fmt.Sprintf("%s: %d %.300s", p, s, b))
		}
	}
	return holding, lacking
}

// want16c checks every read of paths by token: with withhold, none may
// release marker (each that does is reported with ifReleased), else each
// must (reported with ifWithheld).
func want16c(t *testing.T, e *env, token string, paths []string, marker string, withhold bool, round int, ifReleased, ifWithheld string) {
	t.Helper()
	holding, lacking := check16c(e, token, paths, marker)
	wrong, why := lacking, ifWithheld
	if withhold {
		wrong, why = holding, ifReleased
	}
	for _, h := range wrong {
		t.Errorf("round %d: %s: %s", round, why, h)
	}
}

var everyWay16c = []string{"/fhir/Patient/jane/$everything", "/fhir/Condition?patient=jane", "/fhir/Condition/diabetes"}

// TestReview16cObjectionTogglesUnderLoad: Jane objects to sharing her
// record (an OPTOUT Consent) and withdraws the objection, again and again,
// while her GP's and the hospital's feeds write neutral data for her (the
// server carries her cached context over those writes) and the nurse reads
// her record. After each answered objection, a read begun then must
// withhold the GP's diagnosis in every way; after each answered
// withdrawal, it must release it. Passed when first written.
func TestReview16cObjectionTogglesUnderLoad(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	nurse := e.token("district-nurse", "nhs", "RCX")
	l := startLoad16c(t, e)
	const rounds = 12
	for i := range rounds {
		status := "active"
		for _, on := range []bool{true, false} {
			if !on {
				status = "inactive"
			}
			body := strings.Replace(janeConsent("jane-objects", "2026-02-01", "OPTOUT", ""), `"status":"active"`, `"status":"`+status+`"`, 1)
			if s, b, err := e.get16c("PUT", "/fhir/Consent/jane-objects", gpSys, body); err != nil || (s != 200 && s != 201) {
				t.Fatalf("round %d: consent %s: %d %v %.200s", i, status, s, err, b)
			}
			want16c(t, e, nurse, everyWay16c, "GP-DIABETES", on, i,
				"after her objection was answered, a read released the GP's diagnosis",
				"after her objection was withdrawn, a read still withheld the GP's diagnosis")
		}
	}
	l.finish(t)
	t.Logf("%d background requests", l.n.Load())
}

// TestReview16cRestrictionTogglesUnderLoad: the GP marks Jane's
// demographics restricted (confidentiality R) and lifts it, again and
// again, while feeds write for her and Patients of other people are
// written (which move the NHS-number answers' stamp). After each answered
// restriction, the nurse's read of the hospital's own record of her (same
// NHS number, unlabelled) and of the GP's must not hold her address; the
// hospital's record is restricted through the number cache
// (restrictedNumber). Passed when first written.
func TestReview16cRestrictionTogglesUnderLoad(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hospSys := e.token("system", "nhs", "RHX")
	nurse := e.token("district-nurse", "nhs", "RCX")
	janeWith := func(security string) string {
		return `{"resourceType":"Patient","id":"jane",` + security + `"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
"name":[{"family":"Smith","given":["Jane"]}],"address":[{"line":["GP-ADDR 1 Hidden Lane"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`
	}
	const restricted = `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},`
	e.putAll(t, hospSys,
		[2]string{"/fhir/Patient/hosp-jane", `{"resourceType":"Patient","id":"hosp-jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
			"name":[{"family":"Smith"}],"address":[{"line":["HOSP-ADDR 2 Hidden Lane"]}]}`},
		[2]string{"/fhir/CareTeam/hosp-jane-nursing", `{"resourceType":"CareTeam","id":"hosp-jane-nursing","status":"active","subject":{"reference":"Patient/hosp-jane"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	l := startLoad16c(t, e)
	// Other people's Patients written meanwhile: each moves PatientChanges.
	l.loop(func(i int) {
		if s, b, err := e.get16c("PUT", fmt.Sprintf("/fhir/Patient/other-%d", i%3), hospSys,
			fmt.Sprintf(`{"resourceType":"Patient","id":"other-%d","name":[{"family":"Other%d"}]}`, i%3, i)); err != nil || (s != 200 && s != 201) {
			l.fail("other Patient: %d %v %.200s", s, err, b)
		}
	})
	const rounds = 12
	for i := range rounds {
		for _, on := range []bool{true, false} {
			sec := ""
			if on {
				sec = restricted
			}
			if s, b, err := e.get16c("PUT", "/fhir/Patient/jane", gpSys, janeWith(sec)); err != nil || s != 200 {
				t.Fatalf("round %d: Patient/jane (restricted %v): %d %v %.200s", i, on, s, err, b)
			}
			for _, c := range []struct{ path, marker string }{
				{"/fhir/Patient/jane", "GP-ADDR"}, {"/fhir/Patient/hosp-jane", "HOSP-ADDR"},
				{"/fhir/Patient/jane/$everything", "GP-ADDR"}, {"/fhir/Patient/hosp-jane/$everything", "HOSP-ADDR"},
			} {
				want16c(t, e, nurse, []string{c.path}, c.marker, on, i,
					"after she was marked restricted, a read released her address",
					"after the restriction was lifted, a read still withheld her address")
			}
		}
	}
	l.finish(t)
	t.Logf("%d background requests", l.n.Load())
}

// TestReview16cCareTeamEndedUnderLoad: the only relationship of a
// hospice (RYY) with Jane is a CareTeam the community trust recorded;
// the trust ends it and starts it again, again and again, under load.
// After each answered end, the hospice's nurse must be refused Jane's
// record, and nothing of it released. Passed when first written.
func TestReview16cCareTeamEndedUnderLoad(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	trustSys := e.token("system", "nhs", "RCX")
	hospice := e.token("district-nurse", "nhs", "RYY", func(c *auth.DevClaims) { c.Sub = "hospice-nurse" })
	team := func(status string) string {
		return `{"resourceType":"CareTeam","id":"hospice","status":"` + status + `","subject":{"reference":"Patient/jane"},"participant":[{"member":{"reference":"Organization/RYY"}}]}`
	}
	l := startLoad16c(t, e)
	l.loop(func(int) {
		if _, _, err := e.get16c("GET", "/fhir/Patient/jane/$everything", hospice, ""); err != nil {
			l.fail("hospice read: %v", err)
		}
	})
	const rounds = 12
	for i := range rounds {
		for _, status := range []string{"active", "inactive"} {
			if s, b, err := e.get16c("PUT", "/fhir/CareTeam/hospice", trustSys, team(status)); err != nil || (s != 200 && s != 201) {
				t.Fatalf("round %d: CareTeam %s: %d %v %.200s", i, status, s, err, b)
			}
			want16c(t, e, hospice, everyWay16c, "GP-DIABETES", status == "inactive", i,
				"after the hospice's care team ended, a read released Jane's diagnosis to it",
				"with the hospice's care team active, a read withheld Jane's diagnosis")
		}
	}
	l.finish(t)
	t.Logf("%d background requests", l.n.Load())
}

// TestReview16cImportedChangesUnderLoad: the changes come from another
// process on the same file (carex import beside carex serve: a second
// store.Open), while the server's own feeds write neutral data for Jane
// (its cache carries her context over them) and the nurse reads her
// record. After each import returns, a read begun then decides with what
// it imported: her objection, its withdrawal, her restriction.
// Passed when first written.
func TestReview16cImportedChangesUnderLoad(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	other, err := sqlite.Open(context.Background(), e.db.Path(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	importer := api.New(api.Config{Store: other})
	gpImport := &auth.Principal{Sub: "carex-import", Name: "carex import", Org: "A81001", Sector: "nhs", Role: "system", Purpose: "TREAT"}
	imp := func(raw string) {
		t.Helper()
		if _, err := importer.Import(context.Background(), gpImport, []byte(raw)); err != nil {
			t.Fatalf("import: %v", err)
		}
	}
	nurse := e.token("district-nurse", "nhs", "RCX")
	l := startLoad16c(t, e)
	const rounds = 10
	for i := range rounds {
		for _, status := range []string{"active", "inactive"} {
			imp(strings.Replace(janeConsent("jane-objects", "2026-02-01", "OPTOUT", ""), `"status":"active"`, `"status":"`+status+`"`, 1))
			want16c(t, e, nurse, everyWay16c, "GP-DIABETES", status == "active", i,
				"after her imported objection, a read released the GP's diagnosis",
				"after her imported withdrawal, a read still withheld the GP's diagnosis")
		}
		for _, on := range []bool{true, false} {
			sec := ""
			if on {
				sec = `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},`
			}
			imp(`{"resourceType":"Patient","id":"jane",` + sec + `"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
"name":[{"family":"Smith","given":["Jane"]}],"address":[{"line":["GP-ADDR 1 Hidden Lane"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`)
			want16c(t, e, nurse, []string{"/fhir/Patient/jane", "/fhir/Patient/jane/$everything"}, "GP-ADDR", on, i,
				"after her imported restriction, a read released her address",
				"after the imported restriction was lifted, a read withheld her address")
		}
	}
	l.finish(t)
	t.Logf("%d background requests", l.n.Load())
}

// togglesUnderReaders switches a change on and off (change(on) returns
// once answered) 30 times while three readers read paths as token; each
// read that began after one change was answered and ended before the next
// was sent must have decided with it: the marker absent while the change
// is on, present while it is off.
func togglesUnderReaders(t *testing.T, e *env, l *load16c, token string, paths []string, marker string, change func(on bool)) {
	t.Helper()
	// epoch: odd while a change is on its way, even once answered; the
	// change is on in epochs 2, 6, 10, … (epoch/2 odd).
	var epoch, checked atomic.Int64
	for r := range 3 {
		l.loop(func(i int) {
			path := paths[(i+r)%len(paths)]
			e1 := epoch.Load()
			s, b, err := e.get16c("GET", path, token, "")
			e2 := epoch.Load()
			if err != nil {
				l.fail("read: %v", err)
				return
			}
			if e1 != e2 || e1%2 == 1 || e1 == 0 {
				return // a change was under way: either answer may hold
			}
			checked.Add(1)
			on := (e1/2)%2 == 1
			if on && strings.Contains(b, marker) {
				l.fail("epoch %d: a read begun after the change was answered released %s: %s %d %.300s", e1, marker, path, s, b)
			}
			if !on && !strings.Contains(b, marker) {
				l.fail("epoch %d: a read begun after the change was undone withheld %s: %s %d %.300s", e1, marker, path, s, b)
			}
		})
	}
	for i := range 30 {
		epoch.Add(1)
		change(i%2 == 0)
		epoch.Add(1)
		// Let the readers read in this state.
		for n, k := checked.Load(), 0; checked.Load() < n+6 && k < 5000; k++ {
			time.Sleep(time.Millisecond)
		}
	}
	l.finish(t)
	t.Logf("%d background requests, %d checked", l.n.Load(), checked.Load())
}

// TestReview16cReadersDuringObjectionToggles: as
// TestReview16cObjectionTogglesUnderLoad, but the checks are the
// concurrent readers' own (togglesUnderReaders), in $everything, search
// and read alike. Passed when first written.
func TestReview16cReadersDuringObjectionToggles(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	l := startLoad16c(t, e)
	togglesUnderReaders(t, e, l, e.token("district-nurse", "nhs", "RCX"), everyWay16c, "GP-DIABETES", func(on bool) {
		status := "inactive"
		if on {
			status = "active"
		}
		body := strings.Replace(janeConsent("jane-objects", "2026-02-01", "OPTOUT", ""), `"status":"active"`, `"status":"`+status+`"`, 1)
		if s, b, err := e.get16c("PUT", "/fhir/Consent/jane-objects", gpSys, body); err != nil || (s != 200 && s != 201) {
			t.Fatalf("consent %s: %d %v %.200s", status, s, err, b)
		}
	})
}

// TestReview16cReadersDuringRestrictionToggles: the GP's record of Jane
// marked restricted and not, while the nurse's readers read the
// hospital's own record of her (same NHS number: restricted through the
// number answers kept between requests) and other people's Patients are
// written (moving those answers' stamp). Passed when first written.
func TestReview16cReadersDuringRestrictionToggles(t *testing.T) {
	e := newEnv(t)
	seedShared(t, e)
	gpSys := e.token("system", "nhs", "A81001")
	hospSys := e.token("system", "nhs", "RHX")
	e.putAll(t, hospSys,
		[2]string{"/fhir/Patient/hosp-jane", `{"resourceType":"Patient","id":"hosp-jane","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
			"name":[{"family":"Smith"}],"address":[{"line":["HOSP-ADDR 2 Hidden Lane"]}]}`},
		[2]string{"/fhir/CareTeam/hosp-jane-nursing", `{"resourceType":"CareTeam","id":"hosp-jane-nursing","status":"active","subject":{"reference":"Patient/hosp-jane"},"participant":[{"member":{"reference":"Organization/RCX"}}]}`})
	l := startLoad16c(t, e)
	l.loop(func(i int) {
		if s, b, err := e.get16c("PUT", fmt.Sprintf("/fhir/Patient/other-%d", i%3), hospSys,
			fmt.Sprintf(`{"resourceType":"Patient","id":"other-%d","name":[{"family":"Other%d"}]}`, i%3, i)); err != nil || (s != 200 && s != 201) {
			l.fail("other Patient: %d %v %.200s", s, err, b)
		}
	})
	togglesUnderReaders(t, e, l, e.token("district-nurse", "nhs", "RCX"),
		[]string{"/fhir/Patient/hosp-jane", "/fhir/Patient/hosp-jane/$everything", "/fhir/Patient?identifier=9434765919&_id=hosp-jane"}, "HOSP-ADDR", func(on bool) {
			sec := ""
			if on {
				sec = `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},`
			}
			body := `{"resourceType":"Patient","id":"jane",` + sec + `"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
"name":[{"family":"Smith","given":["Jane"]}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`
			if s, b, err := e.get16c("PUT", "/fhir/Patient/jane", gpSys, body); err != nil || s != 200 {
				t.Fatalf("Patient/jane (restricted %v): %d %v %.200s", on, s, err, b)
			}
		})
}
