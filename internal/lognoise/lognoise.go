// Package lognoise strips from a captured log or command output the parts
// a run makes at random, so a test that looks for personal data in it
// looks only at what a request or a file could have written there.
//
// A temp dir's name (TestX2195010803), a free port and a generated
// request id are random digits: stop 47's CI failed when a temp dir's
// name held "1950", a birth year the test searched for.
package lognoise

import (
	"os"
	"regexp"
	"strings"
)

var (
	tempPath = regexp.MustCompile(regexp.QuoteMeta(strings.TrimRight(os.TempDir(), "/")) + `/[^\s"'=]*`)
	loopback = regexp.MustCompile(`(127\.0\.0\.1|localhost|\[::1\]):\d+`)
	// carex makes a request id of 12 random bytes in hex where the
	// client sent none it keeps (api.Server's exchange middleware).
	madeID    = regexp.MustCompile(`\b[0-9a-f]{24}\b`)
	timestamp = regexp.MustCompile(`\btime=\S+`)
)

// Strip returns s with temp paths, loopback addresses, generated request
// ids and slog timestamps replaced by placeholders.
func Strip(s string) string {
	s = tempPath.ReplaceAllString(s, "<tmp>")
	s = loopback.ReplaceAllString(s, "<addr>")
	s = madeID.ReplaceAllString(s, "<id>")
	return timestamp.ReplaceAllString(s, "time=<t>")
}
