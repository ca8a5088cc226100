package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/carex-project/carex/api/auth"
)

func cmdToken(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token", "token --sub ID --role ROLE --sector nhs|council --org CODE [flags]", stderr)
	var c auth.DevClaims
	var keyPath, policyPath string
	fs.StringVar(&c.Sub, "sub", "", "user id (required)")
	fs.StringVar(&c.Name, "name", "", "user's display name")
	fs.StringVar(&c.Role, "role", "", strings.Join(auth.KnownRoles, ", ")+", a national RBAC job role code, or a role of the --policy file (required)")
	fs.StringVar(&c.Sector, "sector", "", "nhs or council (required)")
	fs.StringVar(&c.Org, "org", "", "organisation code, e.g. ODS A81001 (required)")
	fs.StringVar(&c.Purpose, "purpose", "TREAT", "purpose of use (HL7 v3 PurposeOfUse)")
	fs.DurationVar(&c.TTL, "ttl", auth.DefaultDevTTL, "lifetime of the token")
	fs.StringVar(&keyPath, "dev-key", auth.DefaultDevKeyPath(), "development signing key, created on first use")
	fs.StringVar(&policyPath, "policy", "", "the sharing policy file the server runs with, whose roles are accepted too (default: the built-in policy)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.Sub == "" || c.Role == "" || c.Sector == "" || c.Org == "" {
		fs.Usage()
		return fmt.Errorf("--sub, --role, --sector and --org are required")
	}
	if c.TTL <= 0 {
		// Mint reads 0 as its default: "--ttl 0" minted an 8-hour token.
		return fmt.Errorf("--ttl %s: a token's lifetime is positive (leave --ttl out for %s)", c.TTL, auth.DefaultDevTTL)
	}
	pol, err := loadPolicyFile(policyPath) // "": the built-in policy
	if err != nil {
		return err
	}
	extra := extraRoles(pol)
	key, err := auth.LoadOrCreateDevKey(keyPath)
	if err != nil {
		return err
	}
	tok, err := key.Mint(c)
	if err != nil {
		return err
	}
	// The token is checked as a dev server (serve --dev, demo) checks it, so
	// that a role or organisation it would refuse with a 401 is refused here
	// instead, and the list of roles is the server's own.
	v, err := auth.NewVerifier(auth.Config{DevKey: key, ExtraRoles: extra, JobRoles: pol.JobRoles})
	if err != nil {
		return err
	}
	if _, err := v.Verify(context.Background(), tok); err != nil {
		if strings.Contains(err.Error(), "role") {
			roles := strings.Join(append(slices.Clone(auth.KnownRoles), extra...), ", ")
			codes := strings.Join(slices.Sorted(maps.Keys(pol.JobRoles)), ", ")
			return fmt.Errorf("--role %s: the server refuses a token with it (401 %v); it accepts %s, a national RBAC job role code (%s), or a role of the policy file it runs with (give that file here with --policy)", c.Role, err, roles, codes)
		}
		return fmt.Errorf("the server would refuse this token: %v", err)
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}
