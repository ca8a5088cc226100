package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/store"
	"github.com/carex-project/carex/store/auditlog"
)

type serverFlags struct {
	db, addr, jwks, issuer, audience, devKey, baseURL string
	logKey, checkpointCopy, policy, cpuProfile        string
	logLevel, logFormat                               string
	dev, benchNoPrivacy, trustProxy, newAccessLog     bool
	verifyLog                                         bool
	maxBody, acceptLostWritesBefore                   int64
	maxEntries                                        int
	shutdown, verifyLogEvery                          time.Duration
}

func (f *serverFlags) register(fs *flag.FlagSet, demo bool) {
	dbDefault := "carex.db"
	if demo {
		dbDefault = ""
	}
	fs.StringVar(&f.db, "db", dbDefault, "SQLite database file")
	fs.StringVar(&f.addr, "addr", "localhost:8080", "listen address")
	fs.StringVar(&f.policy, "policy", "", "sharing policy file (default: the built-in policy, see carex policy)")
	fs.StringVar(&f.jwks, "jwks", "", "JWKS file or URL with the token signing keys")
	fs.StringVar(&f.issuer, "issuer", auth.DefaultIssuer, "required token issuer (iss)")
	fs.StringVar(&f.audience, "audience", auth.DefaultAudience, "required token audience (aud)")
	fs.StringVar(&f.devKey, "dev-key", auth.DefaultDevKeyPath(), "development signing key, created on first use")
	fs.StringVar(&f.logKey, "log-key", defaultLogKey(), "access-log checkpoint signing key (Ed25519 signed-note key, created on first use; public key beside it as .pub)")
	fs.StringVar(&f.checkpointCopy, "checkpoint-copy", "", "also write each signed checkpoint of the access log to this file, kept where the database's administrators cannot rewrite it; carex then refuses to start on a log that does not extend it (a truncation or rewrite)")
	fs.StringVar(&f.baseURL, "base-url", "", "public base URL of the FHIR API, under which an absolute reference to a Patient is carex's own (default: from each request)")
	fs.BoolVar(&f.trustProxy, "trust-proxy", false, "behind a reverse proxy on a private or loopback address: log the client address it puts in X-Forwarded-For (default: the connection's peer; a client could write any address into that header)")
	fs.Int64Var(&f.maxBody, "max-body", 8<<20, "largest accepted request body in bytes")
	fs.IntVar(&f.maxEntries, "max-entries", 5000, "most entries in one transaction or batch Bundle (a transaction holds the one writer while it commits)")
	fs.DurationVar(&f.shutdown, "shutdown-timeout", 15*time.Second, "how long SIGTERM waits for requests in flight")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&f.logFormat, "log-format", "text", "text or json")
	if demo {
		// The demo is always in development mode; --dev is taken so that a
		// serve command line (or CAREX_DEV) works for the demo too.
		fs.BoolVar(&f.dev, "dev", true, "development mode: always on for the demo (taken as serve takes it; --dev=false is refused)")
	} else {
		fs.BoolVar(&f.dev, "dev", false, "development mode: accept tokens from carex token (never in production)")
	}
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the server's whole run to this file (for go tool pprof)")
	fs.BoolVar(&f.verifyLog, "verify-log", true, "after starting, check the whole access log in the background as carex audit verify does; if it does not verify, say so in the application log and in IG's searches and reports (start-up itself checks only the entries after the newest checkpoint)")
	fs.DurationVar(&f.verifyLogEvery, "verify-log-every", 24*time.Hour, "with --verify-log, check the whole access log again this often while serving (0: only after starting), so that an entry changed under a running server is found without a restart")
	fs.BoolVar(&f.newAccessLog, "new-access-log", false, "start a new, empty access log where these records had one that is missing (a copy of served records for a test or benchmark server, or a loss already recorded as an incident); without it serve refuses")
	fs.Int64Var(&f.acceptLostWritesBefore, "accept-lost-writes-before", 0, "start although the records lack writes the access log says were stored and answered (a database restored without its -wal file, or a disk that lost data), once that loss is recorded as an incident: the access-log position serve's refusal names; a loss after it is still refused")
	fs.BoolVar(&f.benchNoPrivacy, "bench-no-privacy", false, "BENCHMARK BASELINE ONLY: no consent filtering and no access log (needs --dev, refused with --jwks; see carex bench --baseline-url)")
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, demo bool) error {
	name, synopsis := "serve", "serve [flags]"
	if demo {
		name, synopsis = "demo", "demo [flags]"
	}
	fs := newFlags(name, synopsis, stderr)
	var f serverFlags
	f.register(fs, demo)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	log, err := newLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		return err
	}
	if f.benchNoPrivacy && !demo && !f.dev {
		return errors.New("--bench-no-privacy switches off consent filtering and the access log, so that benchmarks can measure what they cost; it is refused without --dev so that it can never run in production")
	}
	if f.benchNoPrivacy && f.jwks != "" {
		// --dev adds the development key; with the identity provider's
		// keys too, its real users would read every record unlogged
		// (review 10d). carex bench mints development tokens.
		return errors.New("--bench-no-privacy with --jwks: the identity provider's users would read every record with nothing logged; a benchmark baseline takes development tokens only (carex bench mints them), so leave out --jwks (and CAREX_JWKS)")
	}
	tempDB := false
	if demo {
		if !f.dev {
			return errors.New("--dev=false: carex demo always runs in development mode (its users' tokens are development tokens); use carex serve without --dev")
		}
		if f.db == "" {
			dir, err := os.MkdirTemp("", "carex-demo-")
			if err != nil {
				return err
			}
			f.db, tempDB = filepath.Join(dir, "carex-demo.db"), true
			// The directory the demo made for itself goes when it stops
			// (it was left behind, databases and all, after every Ctrl-C).
			// Deferred first, so it runs after the databases are closed. A
			// --db the user named is theirs, and stays.
			defer func() {
				if err := os.RemoveAll(dir); err != nil {
					log.Warn("could not remove the demo's temporary directory", "dir", dir, "err", err)
				} else {
					log.Info("removed the demo's temporary directory", "dir", dir)
				}
			}()
		} else if _, err := os.Stat(f.db); err == nil {
			return fmt.Errorf("%s %s already exists: the demo needs a fresh database, remove it or name another file (remove its access log, %s, too; carex serve --dev --db FILE opens one the demo kept)", flagSource(fs, "db"), f.db, accessLogPath(f.db))
		}
	}
	if f.maxEntries < 1 {
		// (review 119a: 0 and -1 were taken as 5,000, unannounced)
		return fmt.Errorf("%s %d: give the most entries one transaction or batch may hold, 1 or more (default 5000)", flagSource(fs, "max-entries"), f.maxEntries)
	}
	if f.maxBody < 1 {
		return fmt.Errorf("%s %d: give the largest request body in bytes, 1 or more (default 8388608)", flagSource(fs, "max-body"), f.maxBody)
	}
	if f.verifyLogEvery < 0 {
		// (review 99a: -24h was taken, and the log never checked again)
		return fmt.Errorf("%s %v: give how often to check the access log again, or 0 for only after starting", flagSource(fs, "verify-log-every"), f.verifyLogEvery)
	}
	pol, err := loadPolicyFile(f.policy)
	if err != nil {
		return err
	}
	cfg := auth.Config{JWKS: f.jwks, Issuer: f.issuer, Audience: f.audience, ExtraRoles: extraRoles(pol), JobRoles: pol.JobRoles, Logger: log}
	var devKey *auth.DevKey
	if f.dev {
		if devKey, err = auth.LoadOrCreateDevKey(f.devKey); err != nil {
			return fmt.Errorf("development key: %w", err)
		}
		cfg.DevKey = devKey
		log.Warn("development mode: tokens signed with the development key are accepted; never run this in production", "dev_key", f.devKey)
	} else if f.jwks == "" {
		return errors.New("no token keys: set --jwks to your identity provider's JWKS file or URL (or use --dev for development)")
	}
	verifier, err := auth.NewVerifier(cfg)
	if err != nil {
		return fmt.Errorf("token keys: %w", err)
	}
	if err := refuseOtherDerivation(ctx, f.db, f.policy, pol, "serve"); err != nil {
		return err
	}
	db, err := openRecords(ctx, f.db, log)
	if err != nil {
		return err
	}
	defer db.Close()
	// The benchmark baseline too: it labels what it writes (below), with
	// its policy's lists, which must be the records'.
	if err := claimLabellingLists(ctx, db, f.db, f.policy, pol, "serve"); err != nil {
		return err
	}
	warnReadableByOthers(log, f.db, accessLogPath(f.db))
	apiCfg := api.Config{
		Store: db, Verifier: verifier, Logger: log, BaseURL: f.baseURL,
		MaxBody: f.maxBody, MaxEntries: f.maxEntries, Dev: f.dev, Version: version, TrustProxy: f.trustProxy,
	}
	if f.benchNoPrivacy {
		// Recorder and AuditLog nil: nothing is logged, IG queries answer 501.
		// Labels are data, not filtering: what the baseline stores is
		// labelled as the server would label it (review 20a: it stored
		// items unlabelled, and the next ordinary server released them).
		apiCfg.Policy = labellingOpenPolicy{labeller: api.NewConsentPolicy(pol, db)}
		log.Warn("!!! --bench-no-privacy: CONSENT FILTERING AND THE ACCESS LOG ARE OFF. Every user sees every record and nothing is logged. This server is a benchmark baseline only: never load real data into it !!!")
	} else {
		accessLog, err := openAccessLog(ctx, db, f.logKey, f.checkpointCopy, f.newAccessLog, log)
		if err != nil {
			return err
		}
		// Closed before the database: it flushes and signs a final checkpoint.
		defer func() {
			if err := accessLog.Close(); err != nil {
				log.Error("closing the access log", "err", err)
			}
		}()
		apiCfg.Recorder, apiCfg.AuditLog = api.LogRecorder{Log: accessLog.Log}, accessLog.Log
		apiCfg.Policy = api.NewConsentPolicy(pol, db)
	}
	srv := api.New(apiCfg)
	// Changes stored while their entries never reached the log (the server
	// stopped, or the log failed, in between) get them now, before anyone
	// is served.
	if added, err := srv.RecoverIntents(ctx); err != nil {
		return fmt.Errorf("access log: %w", err)
	} else if added > 0 {
		log.Warn("added to the access log the entries of changes stored before the server stopped without logging them (reason entry-recovered)", "entries", added)
	}
	if !f.benchNoPrivacy {
		if err := checkLoggedWrites(ctx, db, f.db, f.acceptLostWritesBefore, log); err != nil {
			return err
		}
	}
	if !f.benchNoPrivacy && f.verifyLog {
		// Stopped, and waited for, before the log closes (defers run last
		// first).
		vctx, vcancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for verifyLogInBackground(vctx, f.db, f.logKey, srv, log) && f.verifyLogEvery > 0 {
				select {
				case <-vctx.Done():
					return
				case <-time.After(f.verifyLogEvery):
				}
			}
		}()
		defer func() { vcancel(); <-done }()
	}
	if demo {
		if err := seedDemo(ctx, srv, stderr); err != nil {
			return fmt.Errorf("loading the demo population: %w", err)
		}
	}
	// Consents an earlier release rewrote to inactive keep an objection
	// out of force once the newer Consent is corrected, until restored.
	if old, err := srv.LegacyInactiveConsents(ctx, api.LegacySupersessionEnd); err != nil {
		log.Warn("could not look for Consents an earlier carex made inactive", "err", err)
	} else if len(old) > 0 {
		log.Warn("Consents an earlier carex made inactive when a newer one was recorded: stop the server and run carex relabel to restore them", "consents", len(old))
	}
	tuneGC(log)
	stopProfile, err := startCPUProfile(f.cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another with --addr)", f.addr, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	base := "http://" + urlHost(ln.Addr()) + "/fhir"
	if f.baseURL != "" {
		base = f.baseURL
	}
	log.Info("carex listening", "addr", ln.Addr().String(), "db", f.db, "dev", f.dev, "bench_no_privacy", f.benchNoPrivacy, "version", buildVersion())
	if demo {
		if err := printDemo(stdout, devKey, base, f.db, tempDB, f.devKey); err != nil {
			return err
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	// Returning closes the access log under any request still in flight,
	// whose entry then cannot be written: its connection is closed first,
	// so that no answer leaves without its entry (review 90d: past
	// --shutdown-timeout, refused searches were answered 500 with no
	// entry).
	select {
	case err := <-errc:
		hs.Close()
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight", "timeout", f.shutdown)
	sctx, cancel := context.WithTimeout(context.Background(), f.shutdown)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
		return fmt.Errorf("shutdown: %w (requests still in flight were cut off unanswered)", err)
	}
	log.Info("stopped")
	return nil
}

// verifyLogInBackground checks the whole access log of the records db as
// carex audit verify does (start-up re-hashes only the entries after the
// newest checkpoint: review 90a, an entry edited in SQL while the server
// was stopped was served to IG as logged). A log that does not verify is
// reported in the application log, by entry number only (the problem
// may quote a patient id), and to IG through srv.SetLogProblem.
// It reports whether to check again later: not once the log has failed
// (the problem stays reported) nor when it was stopped.
func verifyLogInBackground(ctx context.Context, db, keyPath string, srv *api.Server, log *slog.Logger) (again bool) {
	couldNot := func(err error) {
		log.Warn("could not check the access log in the background: run carex audit verify", "err", err)
	}
	verifiers, err := auditlog.LoadVerifiers(keyPath + ".pub")
	if err != nil {
		couldNot(err)
		return true
	}
	conn, err := openReadOnly(accessLogPath(db))
	if err != nil {
		couldNot(err)
		return true
	}
	defer conn.Close()
	start := time.Now()
	rep, err := auditlog.Verify(ctx, conn, verifiers)
	switch {
	case ctx.Err() != nil:
		return false
	case errors.Is(err, auditlog.ErrTampered) || (rep != nil && !rep.OK()):
		srv.SetLogProblem(failedLine(rep))
		log.Error("the access log does not verify: it was changed since it was written; IG's searches and reports now say so; run carex audit verify for the details",
			"first_bad_entry", rep.FirstBad, "bad_checkpoint", rep.BadCheckpoint)
		return false
	case err != nil:
		couldNot(err)
	default:
		log.Info("access log verified", "entries", rep.Entries, "took", time.Since(start).Round(time.Millisecond))
	}
	return true
}

// urlHost is a listening address as the host of a URL a user can paste:
// a listener on every interface (--addr :8080 listens on [::]:8080, which
// curl cannot connect to) is reached at localhost.
func urlHost(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// Garbage-collector settings for the server, unless GOGC or GOMEMLIMIT say
// otherwise. A request allocates a lot that dies with it (a 300-item
// $everything copies ~1 MB of stored JSON); the Go default (collect when
// the heap doubles) spent a quarter of that request's CPU collecting.
// Collecting at 9x the live heap cut the CPU per large $everything by ~30%
// for ~150 MB peak RSS under the benchmarks' load (BENCHMARKS.md). The soft
// limit keeps a large live heap (a full sharing-context cache) from growing
// ninefold; it is well above that heap, so the collector never runs
// continuously to stay under it.
const (
	serverGCPercent   = 800
	serverMemoryLimit = 1 << 30
)

func tuneGC(log *slog.Logger) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
		log.Debug("garbage collector", "gc_percent", serverGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serverMemoryLimit)
		log.Debug("garbage collector", "memory_limit", serverMemoryLimit)
	}
}

// extraRoles are the policy's roles beyond the built-in ones, so that
// tokens carrying them are accepted.
func extraRoles(pol *consent.Policy) []string {
	var out []string
	for name := range pol.Roles {
		known := false
		for _, k := range auth.KnownRoles {
			known = known || k == name
		}
		if !known {
			out = append(out, name)
		}
	}
	return out
}

// warnReadableByOthers: carex creates its database files for the server's
// user alone, but one created by an earlier release, or copied in, may be
// open to every user of the machine — and it holds people's records, or
// whose records were opened.
func warnReadableByOthers(log *slog.Logger, paths ...string) {
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o077 != 0 {
			log.Warn("a database file is readable by other users of this machine: make it the server user's alone (chmod 600, and the same for its -wal and -shm files)",
				"file", p, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
		}
	}
}

// labellingOpenPolicy is api.OpenPolicy that labels on write as cp does:
// the --bench-no-privacy baseline filters nothing, but what it stores is
// labelled for the servers that come after it.
type labellingOpenPolicy struct {
	api.OpenPolicy
	labeller *api.ConsentPolicy
}

func (p labellingOpenPolicy) Label(w *store.Write) { p.labeller.Label(w) }
