package api_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/store/sqlite"
)

// TestReview41aSoundLinkWrittenByAnotherProcessSeenAtOnce: the server
// (one store handle) has answered the nurse about the hospital's record
// of Jane, caching its number's and links' look-ups; another process on
// the same database (an import: a second handle and its own write path)
// then stores the council's restricted Patient of her linking to that
// record, by reference or by her number. The server's next answers
// withhold the address (no stale cached answer).
func TestReview41aSoundLinkWrittenByAnotherProcessSeenAtOnce(t *testing.T) {
	links := []string{`{"other":{"reference":"Patient/hosp-p41"},"type":"seealso"}`,
		`{"other":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},"type":"seealso"}`}
	for i, link := range links {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "carex.db")
			open := func() *sqlite.DB {
				db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			db1, db2 := open(), open()
			srv := newEnv(t, func(c *api.Config) { c.Store = db1 })
			imp := newEnv(t, func(c *api.Config) { c.Store = db2 })
			seedShared(t, srv)
			hospPatient38c(t, srv, "hosp-p41", `,"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}]`)
			nurse := srv.token("district-nurse", "nhs", "RCX")
			for _, p := range []string{"/fhir/Patient/hosp-p41", "/fhir/Patient/hosp-p41/$everything"} {
				if r := srv.do("GET", p, nurse, ""); !leaks38c(r.body) {
					t.Fatalf("premise: GET %s: %d %.200s", p, r.status, r.body)
				}
			}
			if r := imp.do("PUT", "/fhir/Patient/council-p41", imp.token("system", "council", "E06000999"),
				`{"resourceType":"Patient","id":"council-p41",`+rLabel21a+`,"name":[{"family":"Smith"}],"link":[`+link+`]}`); r.status != 201 {
				t.Fatalf("the other process's write: %d %s", r.status, r.body)
			}
			for _, p := range []string{"/fhir/Patient/hosp-p41", "/fhir/Patient/hosp-p41/$everything", "/fhir/Patient?identifier=9434765919"} {
				if r := srv.do("GET", p, nurse, ""); leaks38c(r.body) {
					t.Errorf("link written by another process: GET %s still releases the address: %d …%s…", p, r.status, around21a(r.body, "SECRET-ADDR"))
				}
			}
		})
	}
}
