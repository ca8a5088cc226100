// Command carex is the shared care record exchange: a FHIR R4 server that
// joins NHS and council records per person. See the README.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"
)

// version is the release, set at build time with
// -ldflags "-X main.version=…"; otherwise buildVersion reads what the Go
// toolchain recorded of the build.
var version = "dev"

// buildVersion is version, or for a build not given one the version the
// Go toolchain recorded: in a git checkout a pseudo-version naming the
// commit and its time, "+dirty" when the tree had changes (review 97b:
// every build said "carex dev", and an operator could not tell which a
// host ran after an upgrade). go run, test binaries and builds with
// -buildvcs=false record none: "dev".
func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

const usage = `carex — shared care record exchange (FHIR R4)

Usage:
  carex serve   [flags]          run the FHIR server
  carex demo    [flags]          run a development server on a fresh demo database
  carex token   [flags]          print a development token (for carex demo / serve --dev)
  carex import  [flags] FILE...  load FHIR Bundles, resources or NDJSON into the database
  carex gen     [flags]          generate a synthetic population: NDJSON per organisation (--out) or a new database (--db)
  carex relabel [flags]          work stored data's labels and compartments out again (after an upgrade or a policy change)
  carex audit verify [flags]     check the whole access log offline; names the first entry that fails
  carex audit export [flags]     write the access log as NDJSON of FHIR AuditEvent
  carex audit prove  [flags]     prove that entry --seq N is in a signed checkpoint, checked offline
  carex audit checkpoint [flags] print the latest signed checkpoint, to keep outside the database
  carex policy [show]            print the built-in sharing policy
  carex policy check FILE        check a policy file
  carex bench  [flags]           load-test a running dev server with a realistic mix; --baseline-url compares with --bench-no-privacy
  carex version                  print the version

Run "carex COMMAND --help" for a command's flags. Every flag can also be set
through an environment variable: --db is CAREX_DB, --dev-key CAREX_DEV_KEY, …
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = cmdServe(ctx, rest, stdout, stderr, false)
	case "demo":
		err = cmdServe(ctx, rest, stdout, stderr, true)
	case "token":
		err = cmdToken(rest, stdout, stderr)
	case "import":
		err = cmdImport(ctx, rest, stdout, stderr)
	case "gen":
		err = cmdGen(ctx, rest, stdout, stderr)
	case "relabel":
		err = cmdRelabel(ctx, rest, stdout, stderr)
	case "audit":
		err = cmdAudit(ctx, rest, stdout, stderr)
	case "bench":
		err = cmdBench(ctx, rest, stdout, stderr)
	case "policy":
		err = cmdPolicy(rest, stdout, stderr)
	case "version", "--version":
		err = cmdVersion(rest, stdout, stderr)
	case "help", "-h", "--help":
		if cmd == "help" && len(rest) > 0 {
			// "carex help serve" is "carex serve --help".
			return run(ctx, append(slices.Clip(rest), "--help"), stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "carex: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if errors.Is(err, errUsage) {
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "carex %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

// cmdVersion prints the version; it takes no flags but answers --help.
func cmdVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "version\n\nPrints the version of carex.", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	_, err := fmt.Fprintln(stdout, "carex", buildVersion())
	return err
}

// newFlags makes a FlagSet whose help lists each flag's environment variable.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: carex %s\n", synopsis)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n == 0 {
			return // a command without flags: no empty heading
		}
		fmt.Fprint(stderr, "\nFlags (each also read from the environment variable shown):\n")
		fs.VisitAll(func(f *flag.Flag) {
			def := ""
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
				def = fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(stderr, "  --%-12s %s%s  [%s]\n", f.Name, f.Usage, def, envName(name, f.Name))
		})
	}
	return fs
}

// envName is the environment variable of command cmd's flag: CAREX_ and
// the flag's name, shared by the commands where it means the same (the
// database, the address, the keys), but for flags another command's flag
// of the same name means something else by (review 74c: CAREX_ORG,
// exported for carex token, filed an import under that organisation;
// CAREX_JSON set for carex bench broke carex audit prove).
func envName(cmd, flagName string) string {
	if v := ownEnvNames[cmd+" --"+flagName]; v != "" {
		return v
	}
	return "CAREX_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

var ownEnvNames = map[string]string{
	"import --org":           "CAREX_IMPORT_ORG",
	"import --sector":        "CAREX_IMPORT_SECTOR",
	"bench --json":           "CAREX_BENCH_JSON",
	"audit prove --json":     "CAREX_PROVE_JSON",
	"gen --out":              "CAREX_GEN_OUT",
	"audit export --out":     "CAREX_EXPORT_OUT",
	"audit checkpoint --out": "CAREX_CHECKPOINT_OUT",
	// (review 87a: a population's seed and a load's are different things)
	"gen --seed":   "CAREX_GEN_SEED",
	"bench --seed": "CAREX_BENCH_SEED",
}

// flagSource names where a flag's value came from, for an error about
// it: the flag, or the environment variable when the command line did
// not give it (review 87a: with CAREX_DB exported, the demo refused
// "--db", which the user never typed).
func flagSource(fs *flag.FlagSet, name string) string {
	if !onCommandLine(fs, name) && flagGiven(fs, name) {
		return envName(fs.Name(), name)
	}
	return "--" + name
}

// onCommandLine reports whether the command line gave flag name.
func onCommandLine(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// flagGiven reports whether flag name was given, on the command line or
// by its environment variable, rather than left at its default.
func flagGiven(fs *flag.FlagSet, name string) bool {
	_, env := os.LookupEnv(envName(fs.Name(), name))
	return env || onCommandLine(fs, name)
}

// parseFlags applies environment variables first, then the command line,
// so an explicit flag wins over the environment.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if v, ok := os.LookupEnv(envName(fs.Name(), f.Name)); ok {
			if err := f.Value.Set(v); err != nil {
				// (review 74c: "CAREX_DEV="yes": parse error" named neither
				// the flag nor what it takes)
				errs = append(errs, fmt.Errorf("%s=%q (--%s): %v: %s, or unset it", envName(fs.Name(), f.Name), v, f.Name, err, valueForm(fs.Name(), f)))
			}
		}
	})
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}

// valueForm says what flag f takes, for an error naming a value it could
// not take: by the type of value the flag holds (flag.Getter).
func valueForm(cmd string, f *flag.Flag) string {
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case bool:
			return "give true or false"
		case time.Duration:
			return "give a duration such as 8h or 30m"
		case int, int64, uint, uint64:
			return "give a whole number (bytes, for a size)"
		case float64:
			return "give a number"
		}
	}
	return "see carex " + cmd + " --help for what --" + f.Name + " takes"
}
