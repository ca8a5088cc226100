package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/store/sqlite"
)

const policyUsage = `Usage:
  carex policy [show]        print the built-in sharing policy (start a --policy file from it)
  carex policy check FILE    check a policy file
`

// cmdPolicy prints the built-in sharing policy, or checks a policy file.
func cmdPolicy(args []string, stdout, stderr io.Writer) error {
	sub := "show"
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "show":
		fs := newFlags("policy show", "policy [show]\n\nPrints the built-in sharing policy (consent.DefaultPolicy), a starting point for serve --policy FILE.", stderr)
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("unexpected arguments %q", fs.Args())
		}
		_, err := io.WriteString(stdout, consent.DefaultPolicyText())
		return err
	case "check":
		fs := newFlags("policy check", "policy check FILE\n\nChecks a policy file as carex serve --policy FILE would load it; prints FILE: OK or what is wrong.", stderr)
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			fs.Usage()
			return errUsage
		}
		file := fs.Arg(0)
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := consent.LoadPolicy(f); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		fmt.Fprintf(stdout, "%s: OK\n", file)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, policyUsage)
		return nil
	}
	fmt.Fprintf(stderr, "carex policy: unknown subcommand %q (have: show, check)\n%s", sub, policyUsage)
	return errUsage
}

// loadPolicyFile is the sharing policy in path, or the built-in one when
// path is empty: serve, token, import and gen take the same --policy, so
// that data is labelled on import as the server labels it.
func loadPolicyFile(path string) (*consent.Policy, error) {
	if path == "" {
		return consent.DefaultPolicy(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--policy: %w", err)
	}
	defer f.Close()
	pol, err := consent.LoadPolicy(f)
	if err != nil {
		return nil, fmt.Errorf("--policy %s: %w", path, err)
	}
	return pol, nil
}

// errOtherCodeLists: the records were labelled with other code lists than
// the command's policy has. Labels are set when data is written, so a
// code the policy lists and the records' lists did not is on no stored
// item, and the server would release it as unlabelled.
var errOtherCodeLists = errors.New("the records were labelled with other code lists than this policy's")

// relabelUnfinished starts the code lists recorded while carex relabel
// runs (the lists it relabels with follow): its batches are committed one
// by one, so until it has finished the records are labelled with no one
// policy's lists, and no lists match.
const relabelUnfinished = "relabel-unfinished:"

// errUnrecordedCodeLists: the records were written by a carex that did not
// record the code lists it labelled them with.
var errUnrecordedCodeLists = errors.New("the records were written by an earlier carex, which did not record the code lists it labelled them with")

// errRelabelUnfinished: a carex relabel of the records stopped part-way.
var errRelabelUnfinished = errors.New("a carex relabel of these records did not finish: some are labelled with its policy's code lists, some with the earlier ones")

// errOtherDerivation: the records were derived by a release that works
// labels, compartments or classes out otherwise than this one.
var errOtherDerivation = errors.New("the records' labels, compartments and classes were worked out by a carex release that works them out otherwise than this one")

// errLaterDerivation: the records were derived by a later carex release.
var errLaterDerivation = errors.New("the records were derived by a later carex release")

// laterDerivation reports whether recorded (what the records are labelled
// with, labelledWith's form) names a later derivation revision than this
// release's: revisions are dates with a letter, in order as text. Such
// records are refused, relabel too, which would derive them by this
// release's older rules (review 58b).
func laterDerivation(recorded string) bool {
	_, rev, ok := strings.Cut(recorded, " derived:")
	return ok && rev > api.DerivationRevision
}

// relabelCommand is the carex relabel command line for the records in
// dbPath and the policy file policyPath ("": the built-in policy).
func relabelCommand(dbPath, policyPath string) string {
	if policyPath == "" {
		return "carex relabel --db " + dbPath
	}
	return "carex relabel --db " + dbPath + " --policy " + policyPath
}

// labelledWith names what the records' derived fields follow: pol's code
// lists and this release's rules (api.DerivationRevision).
func labelledWith(pol *consent.Policy) string {
	return pol.LabellingLists() + " derived:" + api.DerivationRevision
}

// claimLabellingLists records what pol and this release label with
// (labelledWith) as what the records in db are labelled with when the
// database is new, and refuses anything else recorded, and records for
// which nothing is: import or gen beside a server with another --policy
// labelled what they wrote with their own lists (review 19d: a code the
// deployment's policy lists as PSY, imported without its --policy, went to
// the district nurse), and a server started with new lists, or after an
// upgrade, decided with labels the old ones set. cmd says what the
// refusal is for.
func claimLabellingLists(ctx context.Context, db *sqlite.DB, dbPath, policyPath string, pol *consent.Policy, cmd string) error {
	mine := labelledWith(pol)
	recorded, err := db.ClaimLabellingLists(ctx, mine, cmd == "serve")
	if err != nil || recorded == mine {
		return err
	}
	if err := labellingRefusal(recorded, mine, dbPath, policyPath, cmd); err != nil {
		return err
	}
	myLists, _, _ := strings.Cut(mine, " ")
	recLists, _, _ := strings.Cut(recorded, " ")
	policy := policyName(policyPath)
	empty := ""
	if holds, err := db.HoldsRecords(ctx); err == nil && !holds {
		// Recorded by a server (or relabel) that stored nothing: the
		// server with the deployment's --policy records its own at start.
		empty = " (no records are stored yet: the lists are those of the command that created the database, or of the last serve or relabel run on it; starting carex serve with the deployment's --policy records that policy's)"
	}
	return fmt.Errorf("%s: %w: %s labels with code lists %.19s…, the records' are %.19s…. Pass the --policy FILE that carex serve runs with, so that what %s writes is labelled as the server would label it; to change the lists, stop the server and run carex relabel --db %s --policy FILE first%s", dbPath, errOtherCodeLists, policy, myLists, recLists, cmd, dbPath, empty)
}

// refuseOtherDerivation is claimLabellingLists' refusal of records a
// release derived otherwise (before an upgrade's relabel, or by a later
// release), read before the records are opened: opening moves them to
// this release's schema, which the release before refuses, so a serve that
// refused them left an operator going back only a copy to restore (review
// 83b). Anything else is left to the claim after opening.
//
// Records that need a relabel for any reason (none recorded, a relabel
// unfinished, another revision with other code lists too) are refused so
// (review 86a: those were still moved on first); records of this
// release's rules with other code lists are left to the claim.
func refuseOtherDerivation(ctx context.Context, dbPath, policyPath string, pol *consent.Policy, cmd string) error {
	recorded, holds, ok := sqlite.PeekLabellingLists(ctx, dbPath)
	mine := labelledWith(pol)
	_, myRev, _ := strings.Cut(mine, " ")
	_, recRev, _ := strings.Cut(recorded, " ")
	if !ok || !holds || recorded == mine || recRev == myRev && !strings.HasPrefix(recorded, relabelUnfinished) {
		return nil
	}
	if err := labellingRefusal(recorded, mine, dbPath, policyPath, cmd); err != nil {
		return err
	}
	// (import or gen with other code lists than those of records of an
	// earlier revision: the relabel comes first, with the server's policy,
	// which may not be this command's: review 86b)
	return fmt.Errorf("%s: %w (records: %s; this release: %s), and %s labels with other code lists than the records'. After upgrading carex, stop any server and run carex relabel --db %s --policy FILE with the policy carex serve runs with, then carex %s with that --policy", dbPath, errOtherDerivation, recRev, myRev, policyName(policyPath), dbPath, cmd)
}

// policyName names the policy a command runs with, for its messages.
func policyName(policyPath string) string {
	if policyPath == "" {
		return "the built-in policy"
	}
	return "--policy " + policyPath
}

// labellingRefusal is claimLabellingLists' refusal of records labelled
// with recorded, not mine, but for other code lists written by import or
// gen (nil), which needs the records open to say more.
func labellingRefusal(recorded, mine, dbPath, policyPath, cmd string) error {
	myLists, myRev, _ := strings.Cut(mine, " ")
	recLists, recRev, _ := strings.Cut(recorded, " ")
	policy, relabel := policyName(policyPath), relabelCommand(dbPath, policyPath)
	switch {
	case laterDerivation(recorded):
		return fmt.Errorf("%s: %w (records: %s; this release: %s): upgrade carex, or restore a copy of the records made before the upgrade", dbPath, errLaterDerivation, recRev, myRev)
	case strings.HasPrefix(recorded, relabelUnfinished):
		return fmt.Errorf("%s: %w. Stop any server and run the relabel again, with the policy carex serve is to run with (for %s: %s), before carex %s", dbPath, errRelabelUnfinished, policy, relabel, cmd)
	case recorded == "":
		return fmt.Errorf("%s: %w. Stop any server and run %s (with the policy carex serve is to run with), then carex %s", dbPath, errUnrecordedCodeLists, relabel, cmd)
	case recLists == myLists:
		if recRev == "" {
			recRev = "none recorded" // a carex of b37dc54 to ce20aae recorded the lists alone
		}
		return fmt.Errorf("%s: %w (records: %s; this release: %s). After upgrading carex, stop any server and run %s (with the policy carex serve is to run with), then carex %s", dbPath, errOtherDerivation, recRev, myRev, relabel, cmd)
	case cmd == "serve":
		return fmt.Errorf("%s: %w: %s labels with code lists %.19s…, the records' are %.19s…. Start the server with the policy the records were labelled with, or, to change the lists, label them with the new ones first: %s", dbPath, errOtherCodeLists, policy, myLists, recLists, relabel)
	}
	return nil
}
