package main

import (
	"fmt"
	"io"
	"os"

	"github.com/carex-project/carex/consent"
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
