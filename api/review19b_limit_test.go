package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/carex-project/carex/api"
)

// TestReview19bTooLargeSaysTheLimit: a client system whose bundle was
// refused 413 was told "request body too large: the limit is set by
// --max-body" — a flag of a server it does not run, with no number, so it
// could not tell how far to split its bundles. Now the 413 says how many
// bytes this server takes, whether the body declared its length
// (Content-Length) or was sent chunked.
func TestReview19bTooLargeSaysTheLimit(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBody = 4321 })
	gp := e.token("system", "nhs", "A81001")
	big := `{"resourceType":"Patient","id":"big19b","name":[{"family":"` + strings.Repeat("A", 5000) + `"}]}`
	r := e.do("PUT", "/fhir/Patient/big19b", gp, big)
	if r.status != 413 || !strings.Contains(r.body, "4321 bytes") {
		t.Errorf("with Content-Length: %d %s; want 413 saying 4321 bytes", r.status, r.body)
	}
	// Chunked: no Content-Length, the limit is met while reading.
	req, _ := http.NewRequest("PUT", e.base+"/fhir/Patient/big19b", io.MultiReader(strings.NewReader(big)))
	req.Header.Set("Authorization", "Bearer "+gp)
	req.Header.Set("Content-Type", "application/fhir+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 413 || !strings.Contains(string(b), "4321 bytes") {
		t.Errorf("chunked: %d %s; want 413 saying 4321 bytes", res.StatusCode, b)
	}
	if r := e.do("GET", "/fhir/Patient/big19b", gp, ""); r.status != 404 {
		t.Errorf("nothing stored: %d", r.status)
	}
}
