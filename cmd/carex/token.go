package main

import (
	"fmt"
	"io"

	"github.com/carex-project/carex/api/auth"
)

func cmdToken(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token", "token --sub ID --role ROLE --sector nhs|council --org CODE [flags]", stderr)
	var c auth.DevClaims
	var keyPath string
	fs.StringVar(&c.Sub, "sub", "", "user id (required)")
	fs.StringVar(&c.Name, "name", "", "user's display name")
	fs.StringVar(&c.Role, "role", "", "gp, district-nurse, hospital-clinician, social-worker, ig-officer or system (required)")
	fs.StringVar(&c.Sector, "sector", "", "nhs or council (required)")
	fs.StringVar(&c.Org, "org", "", "organisation code, e.g. ODS A81001 (required)")
	fs.StringVar(&c.Purpose, "purpose", "TREAT", "purpose of use (HL7 v3 PurposeOfUse)")
	fs.DurationVar(&c.TTL, "ttl", auth.DefaultDevTTL, "lifetime of the token")
	fs.StringVar(&keyPath, "dev-key", auth.DefaultDevKeyPath(), "development signing key, created on first use")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if c.Sub == "" || c.Role == "" || c.Sector == "" || c.Org == "" {
		fs.Usage()
		return fmt.Errorf("--sub, --role, --sector and --org are required")
	}
	key, err := auth.LoadOrCreateDevKey(keyPath)
	if err != nil {
		return err
	}
	tok, err := key.Mint(c)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}
