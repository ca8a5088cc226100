package api_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/carex-project/carex/api"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestReview4gStoreFaultLogsNoPatientID: when the database fails (disk
// error, locked, closed), the 500 is logged with the store's error text,
// which names the patient ("read Patient/<id>: …", "sharing context of
// Patient/<id>: …"). The application log must never hold personal data
// (SPEC, README "it never contains personal data"); a client that uses
// the NHS number as the id puts that number in the log.
func TestReview4gStoreFaultLogsNoPatientID(t *testing.T) {
	var buf lockedBuf
	e := newEnv(t, func(c *api.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	gp := e.token("gp", "nhs", "A81001")
	const id = "9434765919"
	e.putAll(t, gp, [2]string{"/fhir/Patient/" + id, `{"resourceType":"Patient","id":"` + id + `","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Faulty"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`})
	e.db.Close() // the database fails under the server
	for _, path := range []string{"/fhir/Patient/" + id, "/fhir/Patient/" + id + "/_history/1", "/fhir/Patient/" + id + "/_history", "/fhir/Patient/" + id + "/$everything", "/fhir/Condition?patient=" + id, "/fhir/Condition?patient=other-" + id} {
		r := e.do("GET", path, gp, "")
		if r.status < 500 {
			t.Logf("%s: %d (no fault reached)", path, r.status)
		}
	}
	e.do("PUT", "/fhir/Patient/"+id, gp, `{"resourceType":"Patient","id":"`+id+`","name":[{"family":"Faulty"}]}`)
	e.do("DELETE", "/fhir/Patient/"+id, gp, "")
	if log := buf.String(); strings.Contains(log, id) {
		t.Errorf("the application log names the patient:\n%s", log)
	}
}

// TestReview4gDevModeVisible: a server that accepts development tokens
// (anyone with the dev key, or `carex token` on a shared host, is any user
// of any organisation) says so only in one start-up log line. /metrics,
// which monitoring scrapes, and the CapabilityStatement say nothing:
// api.Config.Dev is set but never read.
func TestReview4gDevModeVisible(t *testing.T) {
	dev := newEnv(t)
	prod := newEnv(t, func(c *api.Config) { c.Dev = false })
	tok := dev.token("gp", "nhs", "A81001")
	tok2 := prod.token("gp", "nhs", "A81001") // the env's verifier still takes it: only Config.Dev differs
	same := true
	for _, path := range []string{"/metrics", "/fhir/metadata"} {
		a, b := dev.do("GET", path, tok, ""), prod.do("GET", path, tok2, "")
		if a.status != 200 || b.status != 200 {
			t.Fatalf("%s: %d / %d", path, a.status, b.status)
		}
		if devLines(a.body) != devLines(b.body) {
			same = false
		}
	}
	if same {
		t.Error("neither /metrics nor /fhir/metadata tells a development-mode server (dev tokens accepted) from a production one")
	}
}

// devLines are the lines that mention "dev" without the values that differ
// between any two servers (ids, times, ports).
func devLines(body string) int {
	n := 0
	for _, l := range strings.FieldsFunc(strings.ToLower(body), func(r rune) bool { return r == '\n' || r == ',' }) {
		if strings.Contains(l, "dev") && !strings.Contains(l, "device") {
			n++
		}
	}
	return n
}

// TestReview4gLongPathBoundedInAccessLog: every request to /fhir is logged,
// unauthenticated ones too, with the request's whole URL path. Net/http
// takes request lines up to its 1 MB header limit, so one request without
// a token writes ~1 MB into the append-only access log, which nobody may
// ever prune: 20 such requests grew carex-access.db by 17 MB and its
// journal by 32 MB in a run of the real binary. The logged path must be
// bounded (or such a request refused before it is logged).
func TestReview4gLongPathBoundedInAccessLog(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("A", 500_000)
	for _, p := range []string{"/fhir/" + long, "/fhir/Patient/" + long, "/fhir/Patient/x/_history/" + long} {
		r := e.do("GET", p, "", "")
		if r.status < 400 {
			t.Fatalf("%d", r.status)
		}
	}
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	for _, x := range e.rec.xs {
		if n := len(x.Path) + len(x.ID) + len(x.Type); n > 16<<10 {
			t.Errorf("an unauthenticated %s request put %d bytes of its URL into the access log entry (status %d)", x.Method, n, x.Status)
		}
	}
}
