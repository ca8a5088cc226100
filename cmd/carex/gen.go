package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/fhir/synth"
	"github.com/carex-project/carex/store/sqlite"
)

// cmdGen generates a synthetic population (package fhir/synth) as NDJSON
// files per organisation (--out) or straight into a new database (--db),
// through the same import path as carex import.
//
// carex does not check on import that a plain reference (Patient/x,
// Organization/A81001) resolves, so the files load in any order; the
// printed order (GP practices, which write the Organizations and the
// Patients, then RCX, RHX and the council) keeps every reference pointing
// at something already loaded all the same. Every resource has a fixed id,
// so each NDJSON line is a PUT: importing a file twice makes second
// versions, not duplicates.
func cmdGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := newFlags("gen", "gen [--people N] [--seed S] (--out DIR | --db FILE) [flags]", stderr)
	var (
		people, bigEvery, bigItems, practices, sample, batch, workers int
		seed                                                          uint64
		asOf, out, db, cpuProfile, policyPath                         string
		quiet                                                         bool
	)
	fset.IntVar(&people, "people", synth.DefaultPeople, "number of people")
	fset.Uint64Var(&seed, "seed", synth.DefaultSeed, "random seed: the same seed and size give byte-identical output")
	fset.StringVar(&asOf, "as-of", synth.DefaultAsOf.Format("2006-01-02"), "the day the records are as of (YYYY-MM-DD); clinical dates count back from it")
	fset.IntVar(&bigEvery, "big-every", synth.DefaultBigEvery, "every Nth person has a big record (0: nobody)")
	fset.IntVar(&bigItems, "big-items", synth.DefaultBigItems, "resources in a big record")
	fset.IntVar(&practices, "practices", 1, "GP practices (A81001, A81002, …); people are spread evenly")
	fset.IntVar(&sample, "sample", synth.DefaultSample, "manifest: patients listed per kind (small, big, opted out, sensitive, …)")
	fset.StringVar(&out, "out", "", "write NDJSON files per organisation and manifest.json into this directory")
	fset.StringVar(&db, "db", "", "write into this new SQLite database (it must not exist yet), and FILE.manifest.json")
	fset.IntVar(&batch, "batch", 1000, "--db: resources per transaction")
	fset.IntVar(&workers, "workers", runtime.GOMAXPROCS(0), "--db: batches validated and indexed in parallel (the database has one writer)")
	fset.BoolVar(&quiet, "quiet", false, "no progress output")
	fset.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile to this file (for go tool pprof)")
	fset.StringVar(&policyPath, "policy", "", "--db: the sharing policy file the server will run with: its code lists label the records (default: the built-in policy)")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		fset.Usage()
		return fmt.Errorf("unexpected arguments %q", fset.Args())
	}
	switch {
	case out == "" && db == "":
		fset.Usage()
		return fmt.Errorf("say where to write: --out DIR (NDJSON per organisation for carex import) or --db FILE (straight into a new database)")
	case out != "" && db != "":
		// One or the other, as the usage and the README say. Either may
		// come from the environment (CAREX_DB is also serve's): say which.
		given := map[string]bool{}
		fset.Visit(func(f *flag.Flag) { given[f.Name] = true })
		var env []string
		for _, name := range []string{"out", "db"} {
			if !given[name] {
				env = append(env, fmt.Sprintf("--%s from %s", name, envName(fset.Name(), name)))
			}
		}
		from := ""
		if len(env) > 0 {
			from = " (" + strings.Join(env, ", ") + ")"
		}
		return fmt.Errorf("--out and --db both given%s: choose one, --out DIR for NDJSON per organisation for carex import, or --db FILE to write straight into a new database (the same --seed and --people make the same population either way)", from)
	}
	day, err := time.Parse("2006-01-02", asOf)
	if err != nil {
		return fmt.Errorf("--as-of %q: use YYYY-MM-DD", asOf)
	}
	if day.After(time.Now().UTC()) {
		// (review 51e: its Consents, dated then, were refused at import,
		// a --db run stopping part-way)
		return fmt.Errorf("--as-of %s is after today: carex refuses records dated in the future; give today or an earlier day", asOf)
	}
	if seed == 0 {
		// (review 51e: synth takes 0 for "the default", so --seed 0 made
		// seed 1's population and recorded seed 1)
		return fmt.Errorf("--seed 0: seeds start at 1")
	}
	if bigEvery == 0 {
		bigEvery = -1 // synth: <0 is nobody, 0 the default
	}
	if people <= 0 || batch <= 0 || workers <= 0 || bigItems <= 0 || practices <= 0 || sample <= 0 {
		return fmt.Errorf("--people, --batch, --workers, --big-items, --practices and --sample must be positive")
	}
	cfg := synth.Config{People: people, Seed: seed, AsOf: day, BigEvery: bigEvery, BigItems: bigItems, Practices: practices, Sample: sample}
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg = cfg.WithDefaults()
	stop, err := startCPUProfile(cpuProfile)
	if err != nil {
		return err
	}
	defer stop()

	if db != "" {
		if _, err := os.Stat(db); err == nil {
			return fmt.Errorf("--db %s exists: gen writes only into a new database (delete it, or import --out files into it instead)", db)
		}
	}
	var sinks []genSink
	var files *ndjsonSink
	if out != "" {
		if files, err = newNDJSONSink(out, cfg.Orgs()); err != nil {
			return err
		}
		defer files.close()
		sinks = append(sinks, files)
	}
	var dbs *dbSink
	if db != "" {
		ctx2, cancel := context.WithCancel(ctx)
		defer cancel()
		pol, err := loadPolicyFile(policyPath)
		if err != nil {
			return err
		}
		if dbs, err = newDBSink(ctx2, cancel, db, policyPath, pol, cfg.Orgs(), batch, workers); err != nil {
			return err
		}
		defer dbs.abort()
		sinks = append(sinks, dbs)
		ctx = ctx2
	}

	start := time.Now()
	prog := &genProgress{w: stderr, quiet: quiet, start: start, people: people}
	m, err := synth.Generate(ctx, cfg, func(it *synth.Item) error {
		for _, s := range sinks {
			if err := s.add(it); err != nil {
				return err
			}
		}
		if it.Type == "Patient" {
			prog.person(dbs)
		}
		return nil
	})
	if err == nil {
		for _, s := range sinks {
			if e := s.finish(); e != nil && err == nil {
				err = e
			}
		}
	}
	if err != nil {
		if dbs != nil && dbs.err() != nil {
			err = dbs.err()
		}
		prog.done()
		return err
	}
	prog.done()
	elapsed := time.Since(start)

	// The manifest.
	var size int64
	if files != nil {
		for i := range m.Orgs {
			m.Orgs[i].File = m.Orgs[i].Code + ".ndjson"
		}
		size = files.size()
		if err := writeManifest(filepath.Join(out, "manifest.json"), m); err != nil {
			return err
		}
	}
	if dbs != nil {
		if err := writeManifest(db+".manifest.json", m); err != nil {
			return err
		}
	}

	// The summary.
	fmt.Fprintf(stdout, "%d people (seed %d, as of %s): %d resources, %.2f per person (median %d, p99 %d, max %d)\n",
		m.People, m.Seed, m.AsOf, m.Resources, m.Items.Mean, m.Items.P50, m.Items.P99, m.Items.Max)
	fmt.Fprintf(stdout, "opted out %d, no council %d, expired restriction %d, permits %d, restricted %d, sensitive %d, big records %d\n",
		m.Totals.OptedOut, m.Totals.NoCouncil, m.Totals.ExpiredRestriction, m.Totals.Permits, m.Totals.Restricted, m.Totals.Sensitive, m.Totals.Big)
	for _, t := range byCount(m.Counts) {
		fmt.Fprintf(stdout, "  %-26s %9d\n", t, m.Counts[t])
	}
	rate := float64(m.Resources) / max(elapsed.Seconds(), 1e-9)
	if files != nil {
		fmt.Fprintf(stdout, "wrote %s (%.1f MB NDJSON) and %s\n", out, float64(size)/1e6, filepath.Join(out, "manifest.json"))
	}
	if dbs != nil {
		fmt.Fprintf(stdout, "wrote %s (%.1f MB) and %s\n", db, float64(dbFileSize(db))/1e6, db+".manifest.json")
	}
	fmt.Fprintf(stdout, "%d resources in %.2fs (%.0f resources/s)\n", m.Resources, elapsed.Seconds(), rate)
	if files != nil {
		fmt.Fprintf(stdout, "\nload the files in this order (GP practices first):\n")
		for _, o := range m.Orgs {
			fmt.Fprintf(stdout, "  carex import --db carex.db --org %s --sector %s %s\n", o.Code, o.Sector, filepath.Join(out, o.File))
		}
	}
	return nil
}

func writeManifest(path string, m *synth.Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func dbFileSize(path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if st, err := os.Stat(p); err == nil {
			n += st.Size()
		}
	}
	return n
}

type genSink interface {
	add(*synth.Item) error
	finish() error
}

// ndjsonSink writes one NDJSON file per organisation.
type ndjsonSink struct {
	dir   string
	files map[string]*os.File
	bufs  map[string]*bufio.Writer
	n     int64
}

func newNDJSONSink(dir string, orgs []synth.Org) (*ndjsonSink, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	s := &ndjsonSink{dir: dir, files: map[string]*os.File{}, bufs: map[string]*bufio.Writer{}}
	for _, o := range orgs {
		f, err := os.Create(filepath.Join(dir, o.Code+".ndjson"))
		if err != nil {
			s.close()
			return nil, err
		}
		s.files[o.Code] = f
		s.bufs[o.Code] = bufio.NewWriterSize(f, 1<<20)
	}
	return s, nil
}

func (s *ndjsonSink) add(it *synth.Item) error {
	w := s.bufs[it.Org]
	w.Write(it.JSON)
	s.n += int64(len(it.JSON)) + 1
	return w.WriteByte('\n')
}

func (s *ndjsonSink) finish() error {
	var errs []error
	for code, w := range s.bufs {
		errs = append(errs, w.Flush(), s.files[code].Close())
		delete(s.files, code)
	}
	return errors.Join(errs...)
}

func (s *ndjsonSink) close() {
	for _, f := range s.files {
		f.Close()
	}
}

func (s *ndjsonSink) size() int64 { return s.n }

// dbSink imports batches per organisation through the API's importer (the
// path of carex import: validation, meta, search indexes, compartments,
// data classes, policy labels, consent checks), several batches in
// parallel up to the store's single writer.
type dbSink struct {
	ctx     context.Context
	cancel  context.CancelFunc
	store   *sqlite.DB
	srv     *api.Server
	orgs    map[string]*auth.Principal
	pending map[string][][]byte
	batch   int
	jobs    chan genBatch
	wg      sync.WaitGroup
	mu      sync.Mutex
	first   error
	written int64
	closed  bool
}

type genBatch struct {
	p    *auth.Principal
	raws [][]byte
}

func newDBSink(ctx context.Context, cancel context.CancelFunc, path, policyPath string, pol *consent.Policy, orgs []synth.Org, batch, workers int) (*dbSink, error) {
	if err := refuseOtherDerivation(ctx, path, policyPath, pol, "gen"); err != nil {
		return nil, err
	}
	st, err := openRecords(ctx, path, nil)
	if err != nil {
		return nil, err
	}
	if err := claimLabellingLists(ctx, st, path, policyPath, pol, "gen"); err != nil {
		st.Close()
		return nil, err
	}
	s := &dbSink{ctx: ctx, cancel: cancel, store: st, orgs: map[string]*auth.Principal{}, pending: map[string][][]byte{},
		batch: batch, jobs: make(chan genBatch, workers)}
	// A new database being filled from scratch: nothing is acknowledged to
	// anyone until gen finishes, so the writer connection skips the
	// per-commit fsync and keeps a 64 MB page cache while loading. The data,
	// its indexes and labels are exactly what the ordinary write path makes.
	for _, q := range []string{"PRAGMA synchronous=OFF", "PRAGMA cache_size=-65536"} {
		if _, err := st.Writer().ExecContext(ctx, q); err != nil {
			st.Close()
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	s.srv = api.New(api.Config{Store: st, Policy: api.NewConsentPolicy(pol, st), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, o := range orgs {
		s.orgs[o.Code] = &auth.Principal{Sub: "carex-gen", Name: "carex gen", Org: o.Code, Sector: o.Sector, Role: "system", Purpose: "TREAT"}
	}
	for w := 0; w < workers; w++ {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for b := range s.jobs {
				if s.ctx.Err() != nil {
					continue
				}
				c, err := s.srv.ImportResources(s.ctx, b.p, b.raws)
				if err != nil {
					s.fail(fmt.Errorf("import as %s: %w", b.p.Org, err))
					continue
				}
				n := 0
				for _, k := range c {
					n += k
				}
				s.mu.Lock()
				s.written += int64(n)
				s.mu.Unlock()
			}
		}()
	}
	return s, nil
}

func (s *dbSink) fail(err error) {
	s.mu.Lock()
	if s.first == nil {
		s.first = err
	}
	s.mu.Unlock()
	s.cancel()
}

func (s *dbSink) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first
}

func (s *dbSink) count() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written
}

func (s *dbSink) add(it *synth.Item) error {
	if err := s.err(); err != nil {
		return err
	}
	p := s.pending[it.Org]
	p = append(p, it.JSON)
	if len(p) >= s.batch {
		select {
		case s.jobs <- genBatch{s.orgs[it.Org], p}:
		case <-s.ctx.Done():
			if err := s.err(); err != nil {
				return err
			}
			return s.ctx.Err()
		}
		p = nil
	}
	s.pending[it.Org] = p
	return nil
}

func (s *dbSink) finish() error {
	codes := make([]string, 0, len(s.pending))
	for code := range s.pending {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		if p := s.pending[code]; len(p) > 0 {
			select {
			case s.jobs <- genBatch{s.orgs[code], p}:
			case <-s.ctx.Done():
			}
		}
		delete(s.pending, code)
	}
	s.closed = true
	close(s.jobs)
	s.wg.Wait()
	if err := s.err(); err != nil {
		s.store.Close()
		return err
	}
	return s.store.Close()
}

// abort stops the workers and closes the store if finish did not run.
func (s *dbSink) abort() {
	if s.closed {
		return
	}
	s.closed = true
	s.cancel()
	close(s.jobs)
	s.wg.Wait()
	s.store.Close()
}

type genProgress struct {
	w      io.Writer
	quiet  bool
	start  time.Time
	last   time.Time
	people int
	n      int
}

func (p *genProgress) person(db *dbSink) {
	p.n++
	if p.quiet || p.n%1000 != 0 {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < time.Second && p.n != p.people {
		return
	}
	p.last = now
	el := now.Sub(p.start).Seconds()
	line := fmt.Sprintf("\r%d/%d people %5.1f%%", p.n, p.people, 100*float64(p.n)/float64(p.people))
	if db != nil {
		c := db.count()
		line += fmt.Sprintf(", %d resources in the database (%.0f/s)", c, float64(c)/max(el, 1e-9))
	}
	fmt.Fprint(p.w, line+strings.Repeat(" ", 4))
}

func (p *genProgress) done() {
	if !p.quiet && p.n >= 1000 {
		fmt.Fprintln(p.w)
	}
}
