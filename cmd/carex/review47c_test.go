package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store/sqlite"
)

// Review 47c: carex import, in process (SPEC §2: atomically per bundle;
// §7: an invalid write stores nothing; output without personal data).

func r47cStored(t *testing.T, db, typ, id string) bool {
	t.Helper()
	st, err := sqlite.Open(context.Background(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = st.Read(context.Background(), typ, id)
	return err == nil
}

// TestReview47cSoundImportAtomicPerBundleAndBatch: a collection Bundle with
// one invalid entry (an NHS number failing its check) stores none of its
// entries; an NDJSON file whose third line is invalid stores none of the
// lines of its batch; the error names the line, not the number; a Bundle
// with two entries of one id is refused whole.
func TestReview47cSoundImportAtomicPerBundleAndBatch(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "carex.db")
	bad := `{"resourceType":"Patient","id":"r47c-bad","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765918"}]}`
	good := `{"resourceType":"Patient","id":"r47c-good","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}]}`
	obs := `{"resourceType":"Observation","id":"r47c-obs","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/r47c-good"}}`
	bundle := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":` + good + `},{"resource":` + obs + `},{"resource":` + bad + `}]}`
	bf := filepath.Join(dir, "b.json")
	os.WriteFile(bf, []byte(bundle), 0o600)
	code, out, errs := e2eRun(t, "import", "--quiet", "--db", db, "--org", "A81001", bf)
	if code == 0 {
		t.Fatalf("invalid bundle imported: %s %s", out, errs)
	}
	if strings.Contains(errs, "9434765918") {
		t.Errorf("error quotes the NHS number: %s", errs)
	}
	if r47cStored(t, db, "Patient", "r47c-good") || r47cStored(t, db, "Observation", "r47c-obs") {
		t.Errorf("a bundle with an invalid entry stored its other entries")
	}
	nf := filepath.Join(dir, "n.ndjson")
	os.WriteFile(nf, []byte(good+"\n"+obs+"\n"+bad+"\n"), 0o600)
	code, _, errs = e2eRun(t, "import", "--quiet", "--db", db, "--org", "A81001", nf)
	if code == 0 || !strings.Contains(errs, "line 3") {
		t.Errorf("ndjson: exit %d %s", code, errs)
	}
	if r47cStored(t, db, "Patient", "r47c-good") {
		t.Errorf("ndjson batch with an invalid line stored its other lines")
	}
	dup := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":` + good + `},{"resource":` + strings.Replace(good, "9434765919", "9000000009", 1) + `}]}`
	df := filepath.Join(dir, "d.json")
	os.WriteFile(df, []byte(dup), 0o600)
	code, out, errs = e2eRun(t, "import", "--quiet", "--db", db, "--org", "A81001", df)
	t.Logf("duplicate ids: exit %d %s %s", code, out, errs)
	if code == 0 {
		t.Errorf("a collection with two entries of Patient/r47c-good imported")
	}
}

// TestReview47cSoundImportBesideALogVerifies: carex import onto records that
// have an access log (a served database) leaves the log verifying; a
// transaction's urn:uuid references are stored resolved; a second import as
// another organisation over the first's Patient is refused and stores
// nothing of its bundle.
func TestReview47cSoundImportBesideALogVerifies(t *testing.T) {
	db, _, logKey := servedLog(t, 2)
	dir := t.TempDir()
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:0b7c7a52-0000-4000-8000-000000000047","resource":{"resourceType":"Patient","id":"r47c-p","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}]},"request":{"method":"PUT","url":"Patient/r47c-p"}},
 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:0b7c7a52-0000-4000-8000-000000000047"}},"request":{"method":"POST","url":"Observation"}}]}`
	f := filepath.Join(dir, "tx.json")
	os.WriteFile(f, []byte(tx), 0o600)
	if code, out, errs := e2eRun(t, "import", "--quiet", "--db", db, "--org", "A81001", f); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	st, err := sqlite.Open(context.Background(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	q, _ := search.ParseQuery("Observation", url.Values{"subject": {"Patient/r47c-p"}})
	found, err := st.Search(context.Background(), q, nil)
	if err == nil {
		n = len(found.Items)
	}
	st.Close()
	if n != 1 {
		t.Errorf("observation by the resolved urn: %d found (err %v)", n, err)
	}
	over := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","id":"r47c-o2","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/r47c-p"}}},{"resource":{"resourceType":"Patient","id":"r47c-p","name":[{"family":"OVER"}]}}]}`
	f2 := filepath.Join(dir, "over.json")
	os.WriteFile(f2, []byte(over), 0o600)
	if code, _, errs := e2eRun(t, "import", "--quiet", "--db", db, "--org", "RHX", f2); code == 0 {
		t.Errorf("RHX import over A81001's Patient: exit 0 %s", errs)
	}
	if r47cStored(t, db, "Observation", "r47c-o2") {
		t.Errorf("refused bundle stored its other entry")
	}
	if code, out, errOut := e2eRun(t, "audit", "verify", "--db", db, "--pubkey", logKey+".pub"); code != 0 || !strings.Contains(out, "OK") {
		t.Errorf("verify after import: exit %d\n%s%s", code, out, errOut)
	}
}
