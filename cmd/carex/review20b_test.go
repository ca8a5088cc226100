package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestReview20bRequestInFlightAtStopIsAnsweredAndLogged: a system's PUT
// whose body is still arriving when carex serve is told to stop (SIGTERM)
// is finished, answered 201 and logged before the log is closed; the log
// verifies afterwards. A probe: it passed when first written.
func TestReview20bRequestInFlightAtStopIsAnsweredAndLogged(t *testing.T) {
	dir := t.TempDir()
	s, db, devKey, logKey := e2eDevServer(t, dir)
	code, out, errs := e2eRun(t, "token", "--dev-key", devKey, "--sub", "feed", "--role", "system", "--sector", "nhs", "--org", "A81001")
	if code != 0 {
		t.Fatalf("token: %s", errs)
	}
	tok := strings.TrimSpace(out)
	body := `{"resourceType":"Patient","id":"late","name":[{"family":"Late"}],"generalPractitioner":[{"reference":"Organization/A81001"}]}`
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /fhir/Patient/late HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/fhir+json\r\nX-Request-Id: in-flight-at-stop\r\nContent-Length: %d\r\n\r\n%s", tok, len(body), body[:20])
	time.Sleep(200 * time.Millisecond) // the server is reading the body
	s.cancel()                         // SIGTERM
	time.Sleep(200 * time.Millisecond) // shutting down, waiting for the request
	fmt.Fprint(conn, body[20:])
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to the request in flight at stop: %v\n%s", err, s.stderr.String())
	}
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("request in flight at stop: %d", res.StatusCode)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, s.stderr.String())
	}
	conn2, err := sql.Open("sqlite", "file:"+accessLogPath(db)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	var n, status int
	if err := conn2.QueryRow(`SELECT count(*), max(json_extract(entry, '$.status')) FROM audit_log WHERE json_extract(entry, '$.request_id') = 'in-flight-at-stop'`).Scan(&n, &status); err != nil {
		t.Fatal(err)
	}
	if n != 1 || status != 201 {
		t.Errorf("the request answered at stop is logged %d times (status %d), want once with 201", n, status)
	}
	if code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub"); code != 0 {
		t.Errorf("verify after the stop: exit %d\n%s%s", code, out, errOut)
	}
}
