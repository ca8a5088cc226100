package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/carex-project/carex/api"
)

// cmdRelabel works every stored version's labels, compartment and class
// out again under this release's rules and the given policy, and undoes
// an earlier release's rewriting of superseded Consents to inactive.
func cmdRelabel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("relabel", `relabel [--db FILE] [--policy FILE]

Works every stored version's labels, compartment and class out again, as a
write would now, and records the policy's code lists as the records'.
Run it after upgrading carex and after changing the policy's code lists,
with the server stopped and the --policy carex serve runs with: until it
has run, serve, import and gen refuse the records. One stopped part-way (an
error, Ctrl-C) keeps what it relabelled, and the records stay refused until
a relabel has run to the end: run it again.`, stderr)
	var db, policyPath string
	fs.StringVar(&db, "db", "carex.db", "SQLite database file (stop the server first)")
	fs.StringVar(&policyPath, "policy", "", "the sharing policy file the server runs with: its code lists label the data (default: the built-in policy)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if _, err := os.Stat(db); err != nil {
		return fmt.Errorf("--db %s: %w: name the record database to relabel with --db FILE", db, err)
	}
	pol, err := loadPolicyFile(policyPath)
	if err != nil {
		return err
	}
	st, err := openRecords(ctx, db, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	if rec, err := st.LabellingLists(ctx); err != nil {
		return err
	} else if laterDerivation(rec) {
		return fmt.Errorf("relabel %s: %w (%s; this release: derived:%s): upgrade carex, or restore a copy of the records made before the upgrade. Nothing was relabelled", db, errLaterDerivation, rec, api.DerivationRevision)
	}
	srv := api.New(api.Config{Store: st, Policy: api.NewConsentPolicy(pol, st)})
	// Each batch of versions is committed as it is relabelled: until the
	// last, the records hold labels of two lists, and no command is to
	// take them for either (review 20a: a relabel stopped part-way left the
	// old lists recorded, and a server with the old policy released what
	// the first batches had unlabelled).
	st.MarkRelabel(relabelUnfinished + labelledWith(pol))
	t0 := time.Now()
	again := relabelCommand(db, policyPath)
	stats, err := srv.Relabel(ctx)
	if err != nil {
		if ctx.Err() != nil {
			err = errors.New("interrupted")
		}
		// Refused before it had the records alone (a server has them
		// open), it marked and relabelled nothing (sqlite.DB.MarkRelabel).
		if rec, rerr := st.LabellingLists(context.WithoutCancel(ctx)); rerr == nil && !strings.HasPrefix(rec, relabelUnfinished) {
			return fmt.Errorf("relabel %s: %w. Nothing was relabelled; run %s again", db, err, again)
		}
		return fmt.Errorf("relabel %s: %w. What was relabelled is kept; serve, import and gen refuse the records until a relabel has run to the end: run %s again", db, err, again)
	}
	if err := st.SetLabellingLists(ctx, labelledWith(pol)); err != nil {
		return fmt.Errorf("relabel %s: %w. The versions were relabelled; serve, import and gen refuse the records until a relabel has run to the end: run %s again", db, err, again)
	}
	fmt.Fprintf(stdout, "versions: %d\nchanged: %d (%d current)\n", stats.Versions, stats.Changed, stats.Current)
	// Consents a release before api.LegacySupersessionEnd rewrote to
	// inactive get back the status their recorder gave them.
	restored, err := srv.RestoreLegacyInactiveConsents(ctx, api.LegacySupersessionEnd)
	fmt.Fprintf(stdout, "consents restored: %d\n", len(restored))
	for _, r := range restored {
		fmt.Fprintf(stdout, "  Consent/%s: version %d (made inactive by an earlier carex at %s) restored as version %d\n",
			r.ID, r.Inactive, r.MadeInactive.Format(time.RFC3339), r.Restored)
	}
	if err != nil {
		return fmt.Errorf("relabel %s: %w (labels were relabelled, and the consents listed above restored; run it again)", db, err)
	}
	fmt.Fprintf(stdout, "time: %v\n", time.Since(t0).Round(time.Millisecond))
	return nil
}
