package main

import (
	"fmt"
	"io"
	"os"

	"github.com/carex-project/carex/consent"
)

// cmdPolicy prints the built-in sharing policy, or checks a policy file.
func cmdPolicy(args []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 0 || args[0] == "show":
		_, err := io.WriteString(stdout, consent.DefaultPolicyText())
		return err
	case args[0] == "check" && len(args) == 2:
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := consent.LoadPolicy(f); err != nil {
			return fmt.Errorf("%s: %w", args[1], err)
		}
		fmt.Fprintf(stdout, "%s: OK\n", args[1])
		return nil
	}
	fmt.Fprint(stderr, "Usage: carex policy [show]        print the built-in sharing policy\n       carex policy check FILE   check a policy file\n")
	return errUsage
}
