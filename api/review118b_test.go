package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carex-project/carex/api"
)

// Review 118b: a hostile or buggy client holding a valid token. Each probe
// runs a real server (newEnv: SQLite file, real tokens) at the default
// --max-body (8 MiB), not the tests' 64 KiB.

const review118bMaxBody = 8 << 20

func review118bEnv(t *testing.T) *env {
	return newEnv(t, func(c *api.Config) { c.MaxBody = review118bMaxBody })
}

// review118bEntries is how many access-log entries the server has recorded.
func review118bEntries(e *env) int {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	return len(e.rec.xs)
}

// review118bRaw sends body as bytes with the given headers (no defaults).
func review118bRaw(t *testing.T, e *env, method, path, token string, body []byte, hdr ...string) resp {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, string(b)}
}

// review118bRefused checks a refused write: the wanted status, an
// OperationOutcome, no Go internals, one access-log entry, nothing stored.
func review118bRefused(t *testing.T, e *env, name string, want []int, r resp, before int, storedPath, token string) {
	t.Helper()
	ok := false
	for _, w := range want {
		ok = ok || r.status == w
	}
	if !ok || !strings.Contains(r.body, `"OperationOutcome"`) {
		t.Errorf("%s: %d %.300s; want one of %v with an OperationOutcome", name, r.status, r.body, want)
	}
	for _, bad := range []string{"goroutine ", ".go:", "/work/", "panic", "runtime error"} {
		if strings.Contains(r.body, bad) {
			t.Errorf("%s: answer shows %q: %.300s", name, bad, r.body)
		}
	}
	if n := review118bEntries(e) - before; n != 1 {
		t.Errorf("%s: %d access-log entries for one request; want 1", name, n)
	}
	if storedPath != "" {
		if g := e.do("GET", storedPath, token, ""); g.status != 404 {
			t.Errorf("%s: %s stored after a refusal: %d %.200s", name, storedPath, g.status, g.body)
		}
	}
}

// review118bMem runs f and returns its wall time and the bytes it allocated.
func review118bMem(f func()) (time.Duration, uint64) {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	t0 := time.Now()
	f()
	d := time.Since(t0)
	runtime.ReadMemStats(&b)
	return d, b.TotalAlloc - a.TotalAlloc
}

// TestReview118bSoundParserEdgeCases: SPEC §3/§7, each malformed or
// invalid body gets its status and an OperationOutcome with no Go
// internals, one access-log entry (SPEC §6), and nothing stored; sent by
// a system client at the default 8 MiB --max-body.
func TestReview118bSoundParserEdgeCases(t *testing.T) {
	e := review118bEnv(t)
	sys := e.token("system", "nhs", "A81001")
	ok := `{"resourceType":"Patient","id":"ID","name":[{"family":"Zoë"}]}`
	ct := "application/fhir+json"
	cases := []struct {
		name, ct string
		body     []byte
		want     []int
	}{
		{"byte-order mark", ct, append([]byte("\xef\xbb\xbf"), ok...), []int{400}},
		{"raw NUL after the object", ct, []byte(ok + "\x00"), []int{400}},
		{"escaped NUL in a string", ct, []byte(strings.Replace(ok, "Zoë", `a\u0000b`, 1)), []int{400, 422}},
		{"trailing garbage", ct, []byte(ok + "xyz"), []int{400}},
		{"two JSON values", ct, []byte(ok + "{}"), []int{400}},
		{"invalid UTF-8", ct, []byte(strings.Replace(ok, "Zoë", "Zo\xeb", 1)), []int{400}},
		{"number 1e999999", ct, []byte(`{"resourceType":"Patient","id":"ID","multipleBirthInteger":1e999999}`), []int{400, 422}},
		{"100,000-digit integer", ct, []byte(`{"resourceType":"Patient","id":"ID","multipleBirthInteger":` + strings.Repeat("9", 100000) + `}`), []int{400, 422}},
		{"duplicate key", ct, []byte(`{"resourceType":"Patient","id":"ID","gender":"male","gender":"female"}`), []int{400, 422}},
		{"100,000 nested arrays", ct, []byte(`{"resourceType":"Patient","id":"ID","extension":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`), []int{400}},
		{"100,000 nested objects", ct, []byte(`{"resourceType":"Patient","id":"ID","x":` + strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000) + `}`), []int{400}},
		{"empty body", ct, nil, []int{400}},
		{"JSON null", ct, []byte("null"), []int{400}},
		{"JSON array", ct, []byte("[]"), []int{400}},
		{"id unlike the URL", ct, []byte(`{"resourceType":"Patient","id":"other"}`), []int{400}},
		{"wrong resourceType", ct, []byte(`{"resourceType":"Observation","id":"ID","status":"final","code":{"text":"x"}}`), []int{400}},
		{"invalid NHS number", ct, []byte(`{"resourceType":"Patient","id":"ID","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000001"}]}`), []int{422}},
		{"application/fhir+xml", "application/fhir+xml", []byte(ok), []int{415}},
		{"no Content-Type", "", []byte(ok), []int{415}},
		{"text/plain", "text/plain", []byte(ok), []int{415}},
		{"multipart/form-data", "multipart/form-data; boundary=x", []byte(ok), []int{415}},
		{"fhirVersion=3.0", "application/fhir+json; fhirVersion=3.0", []byte(ok), []int{415}},
		{"9 MiB body", ct, []byte(`{"resourceType":"Patient","id":"ID","name":[{"family":"` + strings.Repeat("a", 9<<20) + `"}]}`), []int{413}},
	}
	for i, c := range cases {
		id := fmt.Sprintf("p118b%d", i)
		body := bytes.ReplaceAll(c.body, []byte(`"ID"`), []byte(`"`+id+`"`))
		var hdr []string
		if c.ct != "" {
			hdr = []string{"Content-Type", c.ct}
		}
		before := review118bEntries(e)
		r := review118bRaw(t, e, "PUT", "/fhir/Patient/"+id, sys, body, hdr...)
		review118bRefused(t, e, c.name, c.want, r, before, "/fhir/Patient/"+id, sys)
	}
	// The same malformed writes from every role: refused with an
	// OperationOutcome, one entry each, never a 5xx.
	for _, tok := range []string{e.token("gp", "nhs", "A81001"), e.token("district-nurse", "nhs", "RCX"),
		e.token("social-worker", "council", "E06000999"), e.token("ig-officer", "nhs", "A81001"), e.token("system", "council", "E06000999")} {
		for _, body := range []string{`{"resourceType":"Condition","x":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`,
			`{"resourceType":"Condition","code":{"text":"x"}}garbage`, "\xff\xfe{}"} {
			before := review118bEntries(e)
			r := review118bRaw(t, e, "POST", "/fhir/Condition", tok, []byte(body), "Content-Type", ct)
			review118bRefused(t, e, "role POST", []int{400, 403, 422}, r, before, "", "")
		}
	}
}

// TestReview118bDeclaredEncodingIgnored: FHIR R4 bodies are UTF-8
// (R4 http.html: "FHIR uses UTF-8 for all request and response bodies"),
// and SPEC §3 answers a wrong media type 415. carex ignores the charset
// parameter and Content-Encoding: a body declared Latin-1 or UTF-16, or
// gzip-coded, is stored 201 as if it were plain UTF-8 (the bytes C3 AB,
// "Ã«" in the declared Latin-1, stored as "ë"). Judgement: a careful
// operator expects a representation carex did not read as declared to be
// refused (RFC 9110 §15.5.16: 415 for an unsupported content coding), not
// stored under a reading the sender did not ask for. (Review 22e checked
// non-UTF-8 bytes and real gzip bodies: refused 400, which stands.)
func TestReview118bDeclaredEncodingIgnored(t *testing.T) {
	e := review118bEnv(t)
	sys := e.token("system", "nhs", "A81001")
	for i, h := range [][]string{
		{"Content-Type", "application/fhir+json; charset=iso-8859-1"},
		{"Content-Type", "application/fhir+json; charset=utf-16"},
		{"Content-Type", "application/fhir+json", "Content-Encoding", "gzip"},
		{"Content-Type", "application/fhir+json", "Content-Encoding", "br"},
	} {
		id := fmt.Sprintf("enc118b%d", i)
		before := review118bEntries(e)
		r := review118bRaw(t, e, "PUT", "/fhir/Patient/"+id, sys, []byte(`{"resourceType":"Patient","id":"`+id+`","name":[{"family":"Zoë"}]}`), h...)
		review118bRefused(t, e, strings.Join(h, " "), []int{415}, r, before, "/fhir/Patient/"+id, sys)
	}
}

// TestReview118bSoundSearchLimits: a hostile search is bounded: _count is
// capped at 1,000, more than 50 parameters or 400 values, 300 _sort keys,
// _include=* and a 500,000-character value are refused with an
// OperationOutcome and one entry each.
func TestReview118bSoundSearchLimits(t *testing.T) {
	e := review118bEnv(t)
	sys := e.token("system", "nhs", "A81001")
	e.putAll(t, sys, [2]string{"/fhir/Patient/jane", `{"resourceType":"Patient","id":"jane","name":[{"family":"Smith"}]}`})
	var tx strings.Builder
	tx.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
	for i := 0; i < 1500; i++ {
		if i > 0 {
			tx.WriteString(",")
		}
		tx.WriteString(`{"resource":{"resourceType":"Basic","code":{"text":"x"},"subject":{"reference":"Patient/jane"}},"request":{"method":"POST","url":"Basic"}}`)
	}
	tx.WriteString(`]}`)
	if r := e.do("POST", "/fhir", sys, tx.String()); r.status != 200 {
		t.Fatalf("seed: %d %.200s", r.status, r.body)
	}
	var page bundlePage
	r := e.do("GET", "/fhir/Basic?_count=1000000", sys, "")
	if err := json.Unmarshal([]byte(r.body), &page); err != nil || r.status != 200 || len(page.Entry) > 1000 {
		t.Errorf("_count=1000000: %d, %d entries; want at most 1000", r.status, len(page.Entry))
	}
	for name, q := range map[string]string{
		"51 parameters":      strings.TrimSuffix(strings.Repeat("code=x&", 51), "&"),
		"401 values":         "code=" + strings.TrimSuffix(strings.Repeat("x,", 401), ","),
		"300 _sort keys":     "_sort=" + strings.TrimSuffix(strings.Repeat("_id,", 300), ","),
		"_include=*":         "_include=*&_include:iterate=*&_revinclude=*",
		"500,000-char value": "subject:Patient.name=" + strings.Repeat("a", 500000),
		"_has chain":         "_has:Basic:subject:_has:Basic:subject:code=x",
	} {
		before := review118bEntries(e)
		r := e.do("GET", "/fhir/Basic?"+q, sys, "")
		review118bRefused(t, e, name, []int{400}, r, before, "", "")
	}
}

// TestReview118bSoundSlowUploadHoldsNoLock: a client sending its body
// slowly (half a PUT or a transaction, then a pause) holds no lock:
// another organisation's write and a GP's read are answered meanwhile.
func TestReview118bSoundSlowUploadHoldsNoLock(t *testing.T) {
	e := review118bEnv(t)
	sys := e.token("system", "nhs", "A81001")
	other := e.token("system", "nhs", "RCX")
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, sys, [2]string{"/fhir/Patient/jane", `{"resourceType":"Patient","id":"jane","name":[{"family":"Smith"}]}`})
	for i, c := range []struct{ method, path, body string }{
		{"PUT", "/fhir/Patient/slow", `{"resourceType":"Patient","id":"slow","name":[{"family":"Slow"}]}`},
		{"POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","id":"slow2"},"request":{"method":"PUT","url":"Patient/slow2"}}]}`},
	} {
		pr, pw := io.Pipe()
		req, _ := http.NewRequest(c.method, e.base+c.path, pr)
		req.Header.Set("Authorization", "Bearer "+sys)
		req.Header.Set("Content-Type", "application/fhir+json")
		done := make(chan int, 1)
		go func() {
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- -1
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			done <- res.StatusCode
		}()
		pw.Write([]byte(c.body[:len(c.body)/2]))
		time.Sleep(200 * time.Millisecond)
		wr := make(chan resp, 2)
		go func() {
			wr <- review118bRaw(t, e, "POST", "/fhir/Basic", other, []byte(`{"resourceType":"Basic","code":{"text":"visit"}}`), "Content-Type", "application/fhir+json")
			wr <- e.do("GET", "/fhir/Patient/jane", gp, "")
		}()
		for k := 0; k < 2; k++ {
			select {
			case r := <-wr:
				if r.status != 201 && r.status != 200 {
					t.Errorf("case %d: other user's request %d %.200s", i, r.status, r.body)
				}
			case <-time.After(5 * time.Second):
				t.Errorf("case %d: other user's request waited 5 s behind a slow upload", i)
			}
		}
		pw.Write([]byte(c.body[len(c.body)/2:]))
		pw.Close()
		if s := <-done; s != 200 && s != 201 {
			t.Errorf("case %d: slow request %d", i, s)
		}
	}
}

// TestReview118bLargeTransactionStallsOtherWriters: one system
// client's transaction of ~84,000 tiny entries, just under the default
// 8 MiB --max-body, holds SQLite's single writer for seconds; every other
// organisation's write waits behind it (measured: 4.2 s worst, 11 ms
// alone, ~380x). Sent back to back it keeps other writes stalled most of
// the time. README states no entry limit; judgement: a careful operator
// expects one client's bundle not to stall a district nurse's visit note
// by seconds (a bound on entries, or commits that let others in). The
// bound asserted is 1 s, ~90x the write alone.
//
// Fixed by --max-entries (default 5,000): the 84,000-entry transaction is
// refused 413 before it takes the writer, and one of 5,000 entries, the
// most a server takes by default, is bounded as before.
func TestReview118bLargeTransactionStallsOtherWriters(t *testing.T) {
	for _, entries := range []int{1 << 30, 5000} {
		r118bStall(t, entries)
	}
}

func r118bStall(t *testing.T, entries int) {
	e := review118bEnv(t)
	sys := e.token("system", "nhs", "A81001")
	other := e.token("system", "nhs", "RCX")
	ct := []string{"Content-Type", "application/fhir+json"}
	var tx strings.Builder
	tx.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
	n := 0
	for tx.Len() < review118bMaxBody-300 && n < entries {
		if n > 0 {
			tx.WriteString(",")
		}
		tx.WriteString(`{"resource":{"resourceType":"Basic","code":{"text":"x"}},"request":{"method":"POST","url":"Basic"}}`)
		n++
	}
	tx.WriteString(`]}`)
	write := func() time.Duration {
		t0 := time.Now()
		if w := review118bRaw(t, e, "POST", "/fhir/Basic", other, []byte(`{"resourceType":"Basic","code":{"text":"visit"}}`), ct...); w.status != 201 {
			t.Errorf("other write %d %.200s", w.status, w.body)
		}
		return time.Since(t0)
	}
	var alone time.Duration
	for i := 0; i < 10; i++ {
		alone = max(alone, write())
	}
	done := make(chan resp, 1)
	t0 := time.Now()
	go func() { done <- review118bRaw(t, e, "POST", "/fhir", sys, []byte(tx.String()), ct...) }()
	var worst, txd time.Duration
	var r resp
loop:
	for {
		select {
		case r = <-done:
			txd = time.Since(t0)
			break loop
		default:
		}
		worst = max(worst, write())
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("transaction of %d entries (%d bytes): %d in %v; another organisation's write: worst %v beside it, %v alone", n, tx.Len(), r.status, txd, worst, alone)
	if want := map[bool]int{true: 413, false: 200}[n > 5000]; r.status != want {
		t.Errorf("transaction of %d entries: %d, want %d (--max-entries 5,000)", n, r.status, want)
	}
	// (1 s, 90x a write alone; scaled under -race, where CI's clean run
	// measured a 5,000-entry transaction holding it 3.1 s)
	if worst > raceSlowdown*time.Second {
		t.Errorf("another organisation's single write waited %v behind one client's %d-entry transaction (alone: %v)", worst, n, alone)
	}
}

// TestReview118bSoundInvalidBodiesDoNotStallReads: an 8 MB body of four
// million numbers where strings belong is refused 422, nothing stored, but
// only after the whole tree is built and every element validated (~2.6 s
// and ~450 MB of live heap for one request, against 0.15 s for a 7 MB
// Binary stored). Four such requests at once from one valid token, at
// serve's GOGC=800 / GOMEMLIMIT=1GiB, slow a GP's $everything (measured
// 6.6 ms alone, ~180 ms beside them) but do not stall it: bounded here at
// 5 s. Peak heap is logged, not asserted (see the report).
func TestReview118bSoundInvalidBodiesDoNotStallReads(t *testing.T) {
	e := review118bEnv(t)
	sys := e.token("system", "nhs", "A81001")
	gp := e.token("gp", "nhs", "A81001")
	e.putAll(t, sys, [2]string{"/fhir/Patient/jane", `{"resourceType":"Patient","id":"jane","name":[{"family":"Smith"}]}`})
	defer debug.SetGCPercent(debug.SetGCPercent(800))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(1 << 30))
	read := func() time.Duration {
		t0 := time.Now()
		if r := e.do("GET", "/fhir/Patient/jane/$everything", gp, ""); r.status != 200 {
			t.Errorf("gp $everything: %d %.200s", r.status, r.body)
		}
		return time.Since(t0)
	}
	var alone time.Duration
	for i := 0; i < 10; i++ {
		alone = max(alone, read())
	}
	bad := []byte(`{"resourceType":"Patient","id":"h118b","name":[{"given":[` + strings.TrimSuffix(strings.Repeat(`1,`, 4_000_000), ",") + `]}]}`)
	stop := make(chan struct{})
	var peak uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}()
	statuses := make([]int, 4)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = review118bRaw(t, e, "PUT", "/fhir/Patient/h118b", sys, bad, "Content-Type", "application/fhir+json").status
		}()
	}
	time.Sleep(time.Second)
	var worst time.Duration
	for i := 0; i < 10; i++ {
		worst = max(worst, read())
	}
	close(stop)
	wg.Wait()
	t.Logf("4 hostile %d-byte bodies: %v; gp $everything worst %v beside them, %v alone; peak heap %d MB", len(bad), statuses, worst, alone, peak>>20)
	for _, s := range statuses {
		if s != 422 {
			t.Errorf("hostile body answered %d; want 422", s)
		}
	}
	if g := e.do("GET", "/fhir/Patient/h118b", sys, ""); g.status != 404 {
		t.Errorf("hostile body stored: %d", g.status)
	}
	if worst > 5*time.Second {
		t.Errorf("a GP's $everything took %v beside four invalid bodies (alone %v)", worst, alone)
	}
}

// TestReview118bSoundNestedBundles: Bundles nested 120 deep are refused
// 400 (nesting too deep) and a transaction whose entries lack a request
// 422, each with one access-log entry and nothing stored.
func TestReview118bSoundNestedBundles(t *testing.T) {
	e := review118bEnv(t)
	sys := e.token("system", "nhs", "A81001")
	nest := func(n int, typ string) string {
		s := `{"resourceType":"Patient","id":"nest118b"}`
		for i := 0; i < n; i++ {
			s = `{"resourceType":"Bundle","type":"` + typ + `","entry":[{"resource":` + s + `}]}`
		}
		return s
	}
	before := review118bEntries(e)
	r := review118bRaw(t, e, "POST", "/fhir/Bundle", sys, []byte(nest(120, "collection")), "Content-Type", "application/fhir+json")
	review118bRefused(t, e, "collection 120 deep", []int{400}, r, before, "", "")
	before = review118bEntries(e)
	r = review118bRaw(t, e, "POST", "/fhir", sys, []byte(nest(2, "transaction")), "Content-Type", "application/fhir+json")
	review118bRefused(t, e, "transaction of a transaction", []int{400, 422}, r, before, "/fhir/Patient/nest118b", sys)
	var page bundlePage
	if s := e.do("GET", "/fhir/Bundle", sys, ""); json.Unmarshal([]byte(s.body), &page) != nil || page.Total == nil || *page.Total != 0 {
		t.Errorf("Bundles stored after refusals: %.300s", s.body)
	}
}
