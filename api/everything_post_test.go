package api_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestEverythingPostBodyErrors: a POST $everything body that cannot be
// read is answered as any other body is: over --max-body a 413 (whether the
// client declared its length, refused before the handler, or streamed it
// chunked, refused while the handler reads it), broken chunked framing a
// 400, not a 500; refused in the handler, it is logged as an $everything of
// the person. An empty body is still no parameters.
func TestEverythingPostBodyErrors(t *testing.T) {
	e := newEnv(t) // MaxBody 64 KiB
	seedShared(t, e)
	gp := e.token("gp", "nhs", "A81001")
	big := `{"resourceType":"Parameters","parameter":[{"name":"_type","valueString":"` + strings.Repeat("x", 70<<10) + `"}]}`

	chunked := func() (int, string) {
		t.Helper()
		// A reader net/http cannot size: sent chunked, no Content-Length.
		req, err := http.NewRequest("POST", e.base+"/fhir/Patient/jane/$everything", io.MultiReader(strings.NewReader(big)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+gp)
		req.Header.Set("Content-Type", "application/fhir+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	// A chunk that claims more bytes than follow, then the connection's
	// write side closes: the body read fails with io.ErrUnexpectedEOF.
	broken := func() (int, string) {
		t.Helper()
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "POST /fhir/Patient/jane/$everything HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+gp+
			"\r\nContent-Type: application/fhir+json\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n{\"resourceType\"")
		conn.(*net.TCPConn).CloseWrite()
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, c := range []struct {
		name    string
		send    func() (int, string)
		status  int
		text    string
		handler bool // refused by the handler, after the caller was admitted
	}{
		{"oversized, chunked", chunked, http.StatusRequestEntityTooLarge, "too large", true},
		{"broken chunked framing", broken, http.StatusBadRequest, "reading body", true},
		// Refused by the body limit before authentication: logged, but not
		// as anyone's $everything (as for every route).
		{"oversized, with Content-Length", func() (int, string) {
			r := e.do("POST", "/fhir/Patient/jane/$everything", gp, big)
			return r.status, r.body
		}, http.StatusRequestEntityTooLarge, "too large", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.rec.mu.Lock()
			e.rec.xs = nil
			e.rec.mu.Unlock()
			status, body := c.send()
			if status != c.status || !strings.Contains(body, `"resourceType":"OperationOutcome"`) || !strings.Contains(body, c.text) {
				t.Errorf("POST $everything: %d %.300s; want a %d OperationOutcome saying %q", status, body, c.status, c.text)
			}
			e.rec.mu.Lock()
			defer e.rec.mu.Unlock()
			if len(e.rec.xs) != 1 {
				t.Fatalf("%d access-log entries; want 1", len(e.rec.xs))
			}
			x := e.rec.xs[0]
			if x.Status != c.status {
				t.Errorf("logged status %d; want %d", x.Status, c.status)
			}
			if c.handler && (x.Operation != "everything" || x.Patient != "jane") {
				t.Errorf("logged as operation %q patient %q; want everything of jane", x.Operation, x.Patient)
			}
		})
	}
	for _, body := range []string{"", " \n"} {
		if r := e.do("POST", "/fhir/Patient/jane/$everything", gp, body, "Content-Type", "application/fhir+json"); r.status != 200 {
			t.Errorf("POST $everything with body %q: %d %.200s; want 200", body, r.status, r.body)
		}
	}
}
