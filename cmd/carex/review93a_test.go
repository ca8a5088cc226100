package main

import (
	"database/sql"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// Review 93a: 86621b9 (carex serve checks the whole access log in the
// background and says so to IG), on review 90a's real server and tamper.

// r93aTamperedServer serves (verify-log on) a log whose entry 2 (Jane's
// read, covered by the shutdown checkpoint) was edited with the server
// stopped, waits for the background check to say so, and returns the
// server and an IG officer's token.
func r93aTamperedServer(t *testing.T) (*server, string) {
	t.Helper()
	db, devKey, logKey := r90aLog(t)
	r90aTamper(t, db, func(conn *sql.DB) { r90aEdit(t, conn, 2, `"patient":"jane"`, `"patient":"jone"`, false) })
	code, out, errs := e2eRun(t, "token", "--dev-key", devKey, "--sub", "r93a-ig", "--role", "ig-officer", "--sector", "nhs", "--org", "A81001")
	if code != 0 {
		t.Fatalf("token: %s", errs)
	}
	addr := e2eFreeAddr(t)
	s := e2eServe(t, addr, "--dev", "--addr", addr, "--db", db, "--dev-key", devKey, "--log-key", logKey)
	for i := 0; i < 200 && !strings.Contains(s.stderr.String(), "the access log does not verify"); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(s.stderr.String(), "the access log does not verify") {
		t.Fatalf("premise: the background check did not report the edit:\n%s", s.stderr.String())
	}
	return s, strings.TrimSpace(out)
}

// TestReview93aSoundEveryIGReportSaysLogDoesNotVerify: POST _search, each
// report in JSON, text and HTML ($who-accessed, $user-activity,
// $break-glass, $alerts) carries the warning, naming entry 2.
func TestReview93aSoundEveryIGReportSaysLogDoesNotVerify(t *testing.T) {
	s, ig := r93aTamperedServer(t)
	defer s.stop(t)
	var paths []string
	for _, r := range []string{"$who-accessed?patient=jane", "$user-activity?agent=e2e", "$break-glass?", "$alerts?"} {
		for _, f := range []string{"json", "text", "html"} {
			sep := "&"
			if strings.HasSuffix(r, "?") {
				sep = ""
			}
			paths = append(paths, "/fhir/AuditEvent/"+r+sep+"_format="+f)
		}
	}
	for _, p := range paths {
		code, body := s.get(t, p, ig)
		if code != 200 || !strings.Contains(body, "does not verify") || !strings.Contains(body, "entry 2") {
			t.Errorf("%s: %d, no warning naming entry 2: %.400s", p, code, body)
		}
	}
	req, _ := http.NewRequest("POST", s.base+"/fhir/AuditEvent/_search", strings.NewReader(url.Values{"patient": {"jane"}}.Encode()))
	req.Header.Set("Authorization", "Bearer "+ig)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"severity":"error"`) || !strings.Contains(string(b), "does not verify (FAILED at entry 2") {
		t.Errorf("POST _search: %d %.500s", resp.StatusCode, b)
	}
}

// TestReview93aAuditEventReadByIDSaysNothing: the README's
// "Checking the log" says IG's searches and reports carry the warning;
// the report rows each name their entry ("each row names its entry"),
// and IG follows one to GET AuditEvent/{seq}. Read by id, the very entry
// the check named as edited (2) is served 200 as the record, with no
// header, extension or tag saying the log does not verify. Judgement
// (SPEC §6: IG must be able to rely on what the log shows): a careful IG
// officer who opens the entry itself expects the warning there too.
func TestReview93aAuditEventReadByIDSaysNothing(t *testing.T) {
	s, ig := r93aTamperedServer(t)
	defer s.stop(t)
	req, _ := http.NewRequest("GET", s.base+"/fhir/AuditEvent/2", nil)
	req.Header.Set("Authorization", "Bearer "+ig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("read AuditEvent/2: %d %.300s", resp.StatusCode, b)
	}
	said := strings.Contains(string(b), "does not verify")
	for k, v := range resp.Header {
		if strings.Contains(strings.Join(v, " "), "does not verify") {
			said = true
			t.Logf("header %s", k)
		}
	}
	if !said {
		t.Errorf("WRONG (judgement): AuditEvent/2, the entry the background check found edited, is served to IG with nothing saying the log does not verify:\n%.500s", b)
	}
}
