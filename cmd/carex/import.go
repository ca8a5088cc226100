package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/fhir"
)

// utf8BOM is the byte order mark a file may start with.
var utf8BOM = []byte("\xef\xbb\xbf")

// ndjsonBatch is how many NDJSON lines share one transaction.
const ndjsonBatch = 500

func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := newFlags("import", `import --org CODE [flags] FILE|DIR...

Loads FHIR Bundles, resources and NDJSON as the system role of --org. Give it
the --policy carex serve runs with: its code lists label what is imported. An
import with other code lists than the records' is refused before anything is
imported; to change the lists, stop the server and run carex relabel first.`, stderr)
	var db, org, sector string
	var quiet bool
	var policyPath string
	fset.StringVar(&db, "db", "carex.db", "SQLite database file")
	fset.StringVar(&policyPath, "policy", "", "the sharing policy file the server runs with: its code lists label what is imported (default: the built-in policy)")
	fset.StringVar(&org, "org", "", "code of the organisation whose data this is: its source and controller (required)")
	fset.StringVar(&sector, "sector", "nhs", "sector of that organisation: nhs or council")
	fset.BoolVar(&quiet, "quiet", false, "no progress output")
	var cpuProfile string
	fset.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the import to this file (for go tool pprof)")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	stop, err := startCPUProfile(cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	if org == "" {
		fset.Usage()
		return fmt.Errorf("--org is required: every record carex holds has a source organisation")
	}
	if err := auth.CheckOrg(org, sector); err != nil {
		return fmt.Errorf("--org %s --sector %s: %v", org, sector, err)
	}
	pol, err := loadPolicyFile(policyPath)
	if err != nil {
		return err
	}
	files, err := expandFiles(fset.Args())
	if err != nil {
		return err
	}
	if len(files) == 0 {
		fset.Usage()
		return fmt.Errorf("no files to import: give Bundle, resource (.json) or NDJSON (.ndjson) files or directories")
	}
	for _, f := range files {
		if err := notAnInput(f.path, db); err != nil {
			return fmt.Errorf("%s: %w: nothing was imported", f.shown, f.without(err))
		}
	}
	if err := refuseOtherDerivation(ctx, db, policyPath, pol, "import"); err != nil {
		return fmt.Errorf("%w: nothing was imported", err)
	}
	store, err := openRecords(ctx, db, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := claimLabellingLists(ctx, store, db, policyPath, pol, "import"); err != nil {
		return fmt.Errorf("%w: nothing was imported", err)
	}
	srv := api.New(api.Config{Store: store, Policy: api.NewConsentPolicy(pol, store)})
	p := &auth.Principal{Sub: "carex-import", Name: "carex import", Org: org, Sector: sector, Role: "system", Purpose: "TREAT"}
	imp := &importer{srv: srv, p: p, counts: map[string]int{}, out: stderr, quiet: quiet, start: time.Now(), files: len(files), lines: !isTerminal(stderr)}
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := imp.file(ctx, i, f); err != nil {
			imp.summary(stdout)
			err = valuesLeftOut{f.without(err)}
			if errors.As(err, new(*ndjsonError)) {
				return fmt.Errorf("%s: %w (earlier files stay imported)", f.shown, err)
			}
			return fmt.Errorf("%s: %w (earlier files and bundles stay imported; this bundle was not)", f.shown, err)
		}
	}
	imp.summary(stdout)
	return nil
}

// valuesLeftOut is an import error whose text leaves out the values it
// quotes. The validator's words quote what they refuse (a birth date, an
// NHS number failing its check, the number a conditional reference looked
// for): right for the API's client, which sent them, but an import's
// error goes to an operator's terminal, a scheduler's or CI's log, which
// must hold no personal data (review 16e). The file, line or entry,
// element and what is wrong with it stay: enough to find the value.
type valuesLeftOut struct{ err error }

func (e valuesLeftOut) Error() string { return leaveOutValues(leaveOutUnknownKeys(e.err)) }

// leaveOutUnknownKeys is err's text with each unknown element's name
// written as …: a key may be anything, a person's name or date of birth
// (review 61f: "Patient.Quimby_1950_03_04: unknown element for Patient"
// went to the terminal).
func leaveOutUnknownKeys(err error) string {
	msg := err.Error()
	var all fhir.ValidationErrors
	var one *fhir.ValidationError
	if !errors.As(err, &all) && errors.As(err, &one) {
		all = fhir.ValidationErrors{one}
	}
	for _, ve := range all {
		if ve.Unknown != "" && strings.HasSuffix(ve.Path, ve.Unknown) {
			path := strings.TrimSuffix(ve.Path, ve.Unknown)
			msg = strings.Replace(msg, ve.Path+": ", path+"…: ", 1)
		}
	}
	return msg
}
func (e valuesLeftOut) Unwrap() error { return e.err }

// longNumber is a run of digits as long as an NHS number, or longer;
// februaryOf is the year the validator names of a 29 or 30 February;
// typeAndID a resource's Type/id, its id perhaps a name and a date of
// birth (review 52c: "Patient/smith-jane-19500304 is at version 1").
var (
	longNumber = regexp.MustCompile(`[0-9]{10,}`)
	februaryOf = regexp.MustCompile(`February [0-9]+ has`)
	typeAndID  = regexp.MustCompile(`\b([A-Za-z]+)/([^\s/"'` + "`" + `:;,()<>\[\]{}|?#]+)`)
)

// leaveOutValues replaces each quoted string of msg ("1951-02-30", a Go
// quoted string as the validator writes them) with "…", and each number
// of ten digits or more (an NHS number as the modulus-11 message writes
// it) with …, and the year of "February 1951 has 28 days" too.
func leaveOutValues(msg string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(msg, '"')
		if i < 0 {
			break
		}
		j := i + 1
		for j < len(msg) && msg[j] != '"' {
			if msg[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(msg) { // no closing quote: leave the rest out
			b.WriteString(msg[:i])
			b.WriteString(`"…"`)
			msg = ""
			break
		}
		b.WriteString(msg[:i])
		b.WriteString(`"…"`)
		msg = msg[j+1:]
	}
	b.WriteString(msg)
	out := februaryOf.ReplaceAllString(b.String(), "February … has")
	out = leaveOutIDs(out)
	return longNumber.ReplaceAllString(out, "…")
}

// leaveOutIDs replaces the id of each Type/id in msg with …, but a
// terminology resource's in a URL (review 53d:
// http://terminology.hl7.org/CodeSystem/v3-ActCode, the system an operator
// must use, was left out; review 54b: not a Patient's in a URL). The id
// runs to the next space, slash, quote or punctuation, whatever FHIR
// allows in one, and a type in a URL is read in any case (review 55a:
// "Patient/smith_jane_19500304" left "_jane_19500304" in; a kept
// ".../ValueSet/Patient/<id>" hid the Patient's id behind it).
func leaveOutIDs(msg string) string {
	var b strings.Builder
	last, pos := 0, 0
	for pos < len(msg) {
		m := typeAndID.FindStringSubmatchIndex(msg[pos:])
		if m == nil {
			break
		}
		for i := range m {
			m[i] += pos
		}
		inURL := m[0] > 0 && msg[m[0]-1] == '/'
		typ, ok := msg[m[2]:m[3]], fhir.IsResourceType(msg[m[2]:m[3]])
		if !ok && inURL {
			// a URL's path may be written in lower case (…/fhir/patient/ID);
			// prose may not ("list/group" is no list's id: review 56a)
			typ, ok = resourceTypeFold[strings.ToLower(typ)]
		}
		switch {
		case !ok:
			pos = m[4] // the id may be a type itself
		case inURL && terminologyTypes[typ]:
			pos = m[4]
		default:
			b.WriteString(msg[last:m[0]])
			b.WriteString(msg[m[2]:m[3]] + "/…")
			last, pos = m[1], m[1]
		}
	}
	b.WriteString(msg[last:])
	return b.String()
}

// resourceTypeFold finds a resource type by its name in lower case.
var resourceTypeFold = func() map[string]string {
	m := map[string]string{}
	for _, t := range fhir.ResourceTypes() {
		m[strings.ToLower(t)] = t
	}
	return m
}()

// terminologyTypes name no one: their ids in a URL are kept.
var terminologyTypes = map[string]bool{"CodeSystem": true, "ValueSet": true, "NamingSystem": true, "ConceptMap": true, "StructureDefinition": true}

type importer struct {
	srv    *api.Server
	p      *auth.Principal
	counts map[string]int
	total  int
	out    io.Writer
	quiet  bool
	start  time.Time
	files  int
	// lines: out is no terminal (a scheduler's or CI's log), so progress
	// is whole lines, at most one a second, not one line rewritten with
	// \r (review 119b: a log got one long line).
	lines bool
	shown time.Time
}

func (im *importer) add(c map[string]int) {
	for t, n := range c {
		im.counts[t] += n
		im.total += n
	}
}

func (im *importer) progress(i int, f inputFile) {
	if im.quiet {
		return
	}
	el := time.Since(im.start).Seconds()
	if !im.lines {
		fmt.Fprintf(im.out, "\r[%d/%d] %-40.40s %8d resources %8.0f/s", i+1, im.files, f.short, im.total, float64(im.total)/max(el, 1e-9))
		return
	}
	if time.Since(im.shown) >= time.Second {
		im.shown = time.Now()
		fmt.Fprintf(im.out, "[%d/%d] %s %d resources %.0f/s\n", i+1, im.files, f.short, im.total, float64(im.total)/max(el, 1e-9))
	}
}

func (im *importer) file(ctx context.Context, i int, f inputFile) error {
	if strings.HasSuffix(f.path, ".ndjson") {
		return im.ndjson(ctx, i, f)
	}
	raw, err := os.ReadFile(f.path)
	if err != nil {
		return err
	}
	// A UTF-8 byte order mark, which Windows tools write and JSON parsers
	// may ignore (RFC 8259 §8.1), was refused as a character (review 11b).
	raw = bytes.TrimPrefix(raw, utf8BOM)
	c, err := im.srv.Import(ctx, im.p, raw)
	if err != nil {
		return err
	}
	im.add(c)
	im.progress(i, f)
	return nil
}

func (im *importer) ndjson(ctx context.Context, i int, in inputFile) error {
	f, err := os.Open(in.path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var batch [][]byte
	var lines []int           // the file's line of each of batch
	keys := map[string]bool{} // Type/id of batch's lines
	line, done := 0, 0        // done: the last line of the batches imported
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		c, err := im.srv.ImportResources(ctx, im.p, batch)
		if err != nil {
			return &ndjsonError{err: err, lines: lines, done: done}
		}
		im.add(c)
		im.progress(i, in)
		done = lines[len(lines)-1]
		batch, lines = nil, nil
		clear(keys)
		return nil
	}
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if line == 1 {
			b = bytes.TrimPrefix(b, utf8BOM) // as a file's (review 11b)
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		// A line that changes a resource an earlier line of the batch
		// changed (a feed's amendment) starts a new batch: the lines are
		// applied in order, wherever line 500 falls, as a transaction
		// refuses two entries changing one resource (review 10d).
		var head struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
		}
		if json.Unmarshal(b, &head) == nil && head.ID != "" {
			key := head.ResourceType + "/" + head.ID
			if keys[key] {
				if err := flush(); err != nil {
					return err
				}
			}
			keys[key] = true
		}
		batch = append(batch, bytes.Clone(b))
		lines = append(lines, line)
		if len(batch) == ndjsonBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	return flush()
}

// ndjsonError is a batch of NDJSON lines that was not imported: its
// message names the file's lines where the transaction's names its entries
// (Bundle.entry[149] of lines 502-701 was line 652, not 651, when the batch
// held a blank line), and says which lines were imported before it.
type ndjsonError struct {
	err   error
	lines []int // the file's line of each entry of the batch
	done  int   // lines up to this one were imported
}

var entryRef = regexp.MustCompile(`(Bundle\.)?entry\[(\d+)\](\.resource)?(\.)?`)

func (e *ndjsonError) Error() string {
	// Only the transaction's entries are lines: an entry[N] inside an
	// element path (List.entry[1], a Bundle resource's own entries) is the
	// resource's own element, left as it is (review 11b: "List.line 2").
	src := e.err.Error()
	var b strings.Builder
	at := 0
	for _, m := range entryRef.FindAllStringSubmatchIndex(src, -1) {
		if m[0] > 0 && (src[m[0]-1] == '.' || isWordByte(src[m[0]-1])) {
			continue
		}
		n, err := strconv.Atoi(src[m[4]:m[5]])
		if err != nil || n >= len(e.lines) {
			continue
		}
		b.WriteString(src[at:m[0]])
		b.WriteString("line " + strconv.Itoa(e.lines[n]))
		if m[8] >= 0 {
			b.WriteString(": ")
		}
		at = m[1]
	}
	b.WriteString(src[at:])
	msg := b.String()
	first, last := e.lines[0], e.lines[len(e.lines)-1]
	if e.done == 0 {
		return fmt.Sprintf("%s; lines %d-%d (one transaction) were not imported, nor any before them", msg, first, last)
	}
	return fmt.Sprintf("%s; lines %d-%d (one transaction) were not imported, lines 1-%d were (a second run of the whole file would add their resources without an id a second time)", msg, first, last, e.done)
}

func (e *ndjsonError) Unwrap() error { return e.err }

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func (im *importer) summary(w io.Writer) {
	if !im.quiet && !im.lines {
		fmt.Fprintln(im.out)
	}
	el := time.Since(im.start)
	for _, t := range byCount(im.counts) {
		fmt.Fprintf(w, "%-28s %8d\n", t, im.counts[t])
	}
	fmt.Fprintf(w, "%-28s %8d in %.2fs (%.0f resources/s)\n", "total", im.total, el.Seconds(), float64(im.total)/max(el.Seconds(), 1e-9))
}

// startCPUProfile writes a CPU profile to path (for go tool pprof) until
// stop is called; with an empty path it does nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// byCount lists the resource types with the most resources first (then by
// name), for the summaries of import and gen.
func byCount(counts map[string]int) []string {
	types := make([]string, 0, len(counts))
	for t := range counts {
		types = append(types, t)
	}
	sort.Slice(types, func(a, b int) bool {
		if counts[types[a]] != counts[types[b]] {
			return counts[types[a]] > counts[types[b]]
		}
		return types[a] < types[b]
	})
	return types
}

// notAnInput refuses, before the store opens, a file to import that is one
// of carex's database files or any SQLite database (carex.db a
// tab-completion away from carex.json): it is no FHIR JSON, and reading it
// while the store is open would close a descriptor of the file, which drops
// every SQLite lock the process holds on it (review 16c).
func notAnInput(path, db string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if f := databaseFileOf(fi, db); f != "" {
		return fmt.Errorf("it is %s, one of carex's database files, not FHIR JSON", f)
	}
	if !fi.Mode().IsRegular() {
		return nil // a pipe is read once, by the import
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 16)
	if n, _ := io.ReadFull(f, head); n == 16 && string(head) == "SQLite format 3\x00" {
		return errors.New("it is an SQLite database, not FHIR JSON")
	}
	return nil
}

// inputFile is a file to import, and how output names it.
type inputFile struct {
	path  string
	shown string // in errors
	short string // in the progress line
}

// without is err with the file's path left out, where output names the
// file by its place: an OS error quotes the path (review 82a: a broken
// link named after its person printed "stat …/Quimby_Ada_19500304.json").
func (f inputFile) without(err error) error {
	if f.path == f.shown {
		return err
	}
	return pathLeftOut{err, f.path}
}

type pathLeftOut struct {
	err  error
	path string
}

func (e pathLeftOut) Error() string { return strings.ReplaceAll(e.err.Error(), e.path, "the file") }
func (e pathLeftOut) Unwrap() error { return e.err }

// shellQuoted is s as one word of a POSIX shell command.
func shellQuoted(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// expandFiles turns directories into their .json and .ndjson files, in
// the order of their paths' bytes. A file found in a directory is named
// by its directory and place, not its name: extracts name files after
// their people (Synthea: Ada_Quimby_<uuid>.json), and an import's output
// goes to terminals and scheduler logs, which hold no personal data
// (review 81b). A file named on the command line is named as given.
func expandFiles(args []string) ([]inputFile, error) {
	var out []inputFile
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, inputFile{path: a, shown: a, short: filepath.Base(a)})
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".ndjson")) {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		slices.Sort(found)
		for k, p := range found {
			// (the command lists what WalkDir found: every name but a
			// directory's, links too — review 82a)
			place := fmt.Sprintf("file %d of %d", k+1, len(found))
			out = append(out, inputFile{path: p, short: place,
				shown: fmt.Sprintf("%s: %s (find %s ! -type d \\( -name '*.json' -o -name '*.ndjson' \\) | LC_ALL=C sort | sed -n %dp)", a, place, shellQuoted(a), k+1)})
		}
	}
	return out, nil
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
