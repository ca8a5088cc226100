package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/carex-project/carex/store/auditlog"
)

// defaultLogKey is where the access-log signing key lives by default: next
// to the development token key, never in the database it signs.
func defaultLogKey() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "carex-log-key"
	}
	return filepath.Join(dir, "carex", "log-key")
}

const logKeyName = "carex-access-log"

// openAccessLog opens the access log in the record database, signing
// checkpoints with the key at keyPath (created on first use).
func openAccessLog(ctx context.Context, writer, reader *sql.DB, keyPath string) (*auditlog.Log, error) {
	if err := os.MkdirAll(filepath.Dir(keyPath), 0o700); err != nil {
		return nil, err
	}
	signer, _, err := auditlog.LoadOrCreateKey(keyPath, logKeyName)
	if err != nil {
		return nil, fmt.Errorf("access log key: %w", err)
	}
	return auditlog.Open(ctx, writer, reader, auditlog.Options{Signer: signer})
}

func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, "Usage: carex audit verify --db FILE [--pubkey FILE]\n")
		return errUsage
	}
	switch args[0] {
	case "verify":
		return cmdAuditVerify(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "carex audit: unknown subcommand %q (have: verify)\n", args[0])
	return errUsage
}

var errTampered = errors.New("the access log does not verify")

func cmdAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit verify", "audit verify [--db FILE] [--pubkey FILE]", stderr)
	var db, pub string
	fs.StringVar(&db, "db", "carex.db", "SQLite database file")
	fs.StringVar(&pub, "pubkey", defaultLogKey()+".pub", "the access log's public key (a signed-note verifier key)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if _, err := os.Stat(db); err != nil {
		return fmt.Errorf("--db %s: %w", db, err)
	}
	verifiers, err := auditlog.LoadVerifiers(pub)
	if err != nil {
		return fmt.Errorf("--pubkey: %w", err)
	}
	// Read-only: verification must not change the file it checks.
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer conn.Close()
	rep, err := auditlog.Verify(ctx, conn, verifiers)
	if rep != nil {
		fmt.Fprintf(stdout, "entries: %d\ncheckpoints: %d (latest covers %d entries)\n", rep.Entries, rep.Checkpoints, rep.LatestCheckpoint)
		if rep.Warning != "" {
			fmt.Fprintf(stdout, "note: %s\n", rep.Warning)
		}
	}
	if errors.Is(err, auditlog.ErrTampered) || (rep != nil && !rep.OK()) {
		if rep.FirstBad >= 0 {
			fmt.Fprintf(stdout, "FAILED at entry %d: %s\n", rep.FirstBad, rep.Problem)
		} else {
			fmt.Fprintf(stdout, "FAILED at checkpoint %d: %s\n", rep.BadCheckpoint, rep.Problem)
		}
		return errTampered
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "OK: every entry and checkpoint verifies")
	return nil
}
