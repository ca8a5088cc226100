package lognoise

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStrip(t *testing.T) {
	dir := filepath.Join(os.TempDir(), "TestReview52c2195010803", "001")
	in := `time=2026-12-07T03:35:30.535Z level=WARN msg=x dev_key=` + dir + `/dev.pem addr=127.0.0.1:19501 request_id=0a1950ffee00112233445566 note="born 1950" file="` + dir + `/a.ndjson: line 2"`
	out := Strip(in)
	if strings.Count(out, "1950") != 1 || !strings.Contains(out, `note="born 1950"`) {
		t.Errorf("Strip(%q) = %q: want only the note's 1950 left", in, out)
	}
	for _, keep := range []string{"level=WARN", "line 2", "request_id=<id>", "addr=<addr>", "dev_key=<tmp>"} {
		if !strings.Contains(out, keep) {
			t.Errorf("Strip lost %q: %q", keep, out)
		}
	}
	// an NHS number or a client's own request id is not noise
	if got := Strip("id=9434765919 request_id=Zebedee-9434765919"); got != "id=9434765919 request_id=Zebedee-9434765919" {
		t.Errorf("Strip removed personal data: %q", got)
	}
}
