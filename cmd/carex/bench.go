package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/cmd/carex/internal/loadgen"
)

type benchFlags struct {
	url, baselineURL, mix, jsonOut, devKey, patients, manifest, wrkSetup string
	users, maxTargets, pid, baselinePid, rounds                          int
	seed                                                                 uint64
	duration, warmup, timeout                                            time.Duration
}

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "bench --url URL [--users N] [--duration D] [--mix op=w,…] [--baseline-url URL] [--json FILE] [flags]", stderr)
	var f benchFlags
	fs.StringVar(&f.url, "url", "http://localhost:8080/fhir", "FHIR base URL of the carex server under test (started with --dev)")
	fs.IntVar(&f.users, "users", 8, "concurrent virtual users")
	fs.DurationVar(&f.duration, "duration", 30*time.Second, "measured run time")
	fs.DurationVar(&f.warmup, "warmup", 5*time.Second, "load before measuring (not reported)")
	fs.StringVar(&f.mix, "mix", loadgen.DefaultMix, "operation weights: everything, search, read, write, consent, ig, transaction")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed: the same seed makes the same requests")
	fs.StringVar(&f.jsonOut, "json", "", "also write the results as JSON to this file")
	fs.StringVar(&f.devKey, "dev-key", auth.DefaultDevKeyPath(), "development signing key the server under test accepts")
	fs.StringVar(&f.patients, "patients", "", `candidate target patients, one "ID [NHS-NUMBER]" a line; each bench user opens those it may read (default: every patient each bench user can see, found through the API)`)
	fs.StringVar(&f.manifest, "manifest", "", "candidate target patients from a carex gen manifest (its sample of people); each bench user opens those it may read")
	fs.IntVar(&f.maxTargets, "max-targets", 2000, "at most this many discovered patients per user kind")
	fs.StringVar(&f.baselineURL, "baseline-url", "", "FHIR base URL of a baseline server (carex serve --dev --bench-no-privacy on the same data): the same load runs against it afterwards and the throughput ratio is printed")
	fs.IntVar(&f.pid, "pid", 0, "process id of a local server under test: report its VmHWM (peak RSS) from /proc")
	fs.IntVar(&f.baselinePid, "baseline-pid", 0, "process id of a local baseline server, for its VmHWM")
	fs.IntVar(&f.rounds, "rounds", 1, "with --baseline-url, take turns this many times, each turn measuring --duration/N on each server (a later turn warms up for --warmup/N), so that the machine's drift falls on both alike; the report adds the turns up and lists each turn's ratio")
	fs.StringVar(&f.wrkSetup, "wrk-setup", "", "write tokens and target files for the wrk scripts in testdata/bench to this directory, then exit")
	fs.DurationVar(&f.timeout, "timeout", 60*time.Second, "per-request timeout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	mix, err := loadgen.ParseMix(f.mix)
	if err != nil {
		return err
	}
	if f.users < 1 || f.duration <= 0 || f.warmup < 0 || f.rounds < 1 {
		return errors.New("--users and --rounds must be at least 1, --duration positive and --warmup not negative")
	}
	f.url = strings.TrimRight(f.url, "/")
	f.baselineURL = strings.TrimRight(f.baselineURL, "/")

	key, err := auth.LoadOrCreateDevKey(f.devKey)
	if err != nil {
		return fmt.Errorf("development key: %w", err)
	}
	ttl := 2*(f.warmup+f.duration) + time.Hour
	tokens := map[string]string{}
	for _, p := range loadgen.Personas {
		tok, err := key.Mint(auth.DevClaims{Sub: p.Sub, Name: p.Name, Role: p.Role, Sector: p.Sector, Org: p.Org, Purpose: "TREAT", TTL: ttl})
		if err != nil {
			return err
		}
		tokens[p.Key] = tok
	}
	client := loadgen.NewClient(f.users, f.timeout)

	var targets loadgen.Targets
	var cands []loadgen.Patient
	switch {
	case f.patients != "" && f.manifest != "":
		return errors.New("give --patients or --manifest, not both")
	case f.patients != "":
		if cands, err = loadgen.ReadPatientsFile(f.patients); err != nil {
			return fmt.Errorf("--patients: %w", err)
		}
	case f.manifest != "":
		if cands, err = loadgen.ReadManifest(f.manifest); err != nil {
			return fmt.Errorf("--manifest: %w", err)
		}
	}
	if cands != nil {
		fmt.Fprintf(stderr, "bench: checking which of %d patients each bench user can read at %s …\n", len(cands), f.url)
		if targets, err = loadgen.Probe(ctx, client, f.url, tokens, cands); err != nil {
			return fmt.Errorf("%w (is a carex server running there with --dev and the key %s?)", err, f.devKey)
		}
	} else {
		fmt.Fprintf(stderr, "bench: finding the patients each bench user can see at %s …\n", f.url)
		if targets, err = loadgen.Discover(ctx, client, f.url, tokens, f.maxTargets); err != nil {
			return fmt.Errorf("%w (is a carex server running there with --dev and the key %s?)", err, f.devKey)
		}
	}
	var counts []string
	for _, k := range loadgen.Clinical {
		counts = append(counts, fmt.Sprintf("%s %d", k, len(targets[k])))
	}
	fmt.Fprintf(stderr, "bench: target patients: %s\n", strings.Join(counts, ", "))

	if f.wrkSetup != "" {
		return writeWrkSetup(f.wrkSetup, f.url, tokens, targets, stdout)
	}

	cfg := loadgen.Config{
		Label: "privacy on", BaseURL: f.url, Users: f.users, Duration: f.duration, Warmup: f.warmup,
		Mix: mix, Seed: f.seed, Tokens: tokens, Targets: targets, Client: client,
		MetricsURL: metricsURL(f.url),
	}
	out := benchJSON{Mix: mix.String(), Seed: f.seed, Users: f.users, Rounds: f.rounds, DurationS: f.duration.Seconds(), WarmupS: f.warmup.Seconds(), Targets: map[string]int{}}
	for _, k := range loadgen.Clinical {
		out.Targets[k] = len(targets[k])
	}
	type server struct {
		label, url string
		pid        int
		cfg        loadgen.Config
		res        *loadgen.Result
	}
	servers := []*server{{label: "privacy on", url: f.url, pid: f.pid, cfg: cfg}}
	if f.baselineURL != "" {
		b := &server{label: "privacy off (baseline)", url: f.baselineURL, pid: f.baselinePid, cfg: cfg}
		b.cfg.Label, b.cfg.BaseURL, b.cfg.MetricsURL = b.label, b.url, metricsURL(b.url)
		// The baseline has no access log: IG queries answer 501.
		b.cfg.Expect = map[string][]int{loadgen.OpIG: {501}}
		// The same people, under the ids the baseline gave them.
		mapped, missing, err := loadgen.Remap(ctx, client, b.url, tokens["gp"], targets)
		if err != nil {
			return fmt.Errorf("finding the target patients on the baseline: %w", err)
		}
		if missing > 0 {
			fmt.Fprintf(stderr, "bench: %d target patients not found by identifier on the baseline; their ids are used as they are\n", missing)
		}
		b.cfg.Targets = mapped
		servers = append(servers, b)
	}
	per := f.duration / time.Duration(f.rounds)
	for round := range f.rounds {
		var turn []*loadgen.Result
		for _, sv := range servers {
			c := sv.cfg
			c.Duration, c.Seed = per, f.seed+uint64(round)
			if round > 0 {
				c.Warmup = (f.warmup / time.Duration(f.rounds)).Round(time.Millisecond)
			}
			turnOf := ""
			if f.rounds > 1 {
				turnOf = fmt.Sprintf("round %d of %d, ", round+1, f.rounds)
			}
			fmt.Fprintf(stderr, "bench: %s%s: %d users, mix %s, seed %d, %s warm-up + %s at %s …\n", turnOf, sv.label, f.users, mix, c.Seed, c.Warmup, c.Duration, sv.url)
			res, err := loadgen.Run(ctx, c)
			if err != nil {
				return err
			}
			turn = append(turn, res)
			if sv.res == nil {
				sv.res = res
			} else {
				sv.res.Add(res)
			}
		}
		if f.rounds > 1 && len(turn) == 2 {
			all := loadgen.Ratios(turn[0].Report(), turn[1].Report())
			r := all[len(all)-1]
			out.RoundRatios = append(out.RoundRatios, r.Ratio)
			fmt.Fprintf(stderr, "bench: round %d of %d: overall %.1f / %.1f req/s, on/off %.3f\n", round+1, f.rounds, r.On, r.Off, r.Ratio)
		}
	}
	for _, sv := range servers {
		rep := sv.res.Report()
		if sv.pid > 0 {
			if rep.VmHWMBytes, err = loadgen.VmHWM(sv.pid); err != nil {
				fmt.Fprintf(stderr, "bench: --pid: %v\n", err)
			}
		}
		if rep.RSSSamples == 0 {
			fmt.Fprintf(stderr, "bench: could not read %s (peak RSS not reported)\n", metricsURL(sv.url))
		}
		loadgen.WriteTable(stdout, rep)
		fmt.Fprintln(stdout)
		out.Runs = append(out.Runs, rep)
	}
	if len(out.Runs) == 2 {
		out.Ratios = loadgen.Ratios(out.Runs[0], out.Runs[1])
		loadgen.WriteRatios(stdout, out.Ratios)
		if len(out.RoundRatios) > 1 {
			fmt.Fprintf(stdout, "overall on/off in each of the %d rounds: %v\n", len(out.RoundRatios), out.RoundRatios)
		}
	}
	if f.jsonOut != "" {
		raw, _ := json.MarshalIndent(out, "", "  ")
		if err := os.WriteFile(f.jsonOut, append(raw, '\n'), 0o644); err != nil {
			return err
		}
	}
	var bad uint64
	for _, r := range out.Runs {
		bad += r.UnexpectedTotal
	}
	if bad > 0 {
		return fmt.Errorf("%d requests failed unexpectedly (see the errors above)", bad)
	}
	return nil
}

type benchJSON struct {
	Mix       string              `json:"mix"`
	Seed      uint64              `json:"seed"`
	Users     int                 `json:"users"`
	DurationS float64             `json:"duration_s"`
	WarmupS   float64             `json:"warmup_s"`
	Targets   map[string]int      `json:"targets"`
	Runs      []loadgen.RunReport `json:"runs"`
	Ratios    []loadgen.Ratio     `json:"ratios,omitempty"`
	Rounds    int                 `json:"rounds"`
	// RoundRatios is the overall on/off of each round (--rounds > 1).
	RoundRatios []float64 `json:"round_ratios,omitempty"`
}

// metricsURL is the server's /metrics beside its FHIR base.
func metricsURL(base string) string {
	return strings.TrimSuffix(base, "/fhir") + "/metrics"
}

// writeWrkSetup writes what the Lua scripts in testdata/bench read: a
// token and a patient list per persona.
func writeWrkSetup(dir, base string, tokens map[string]string, targets loadgen.Targets, stdout io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, p := range loadgen.Personas {
		if err := os.WriteFile(filepath.Join(dir, p.Key+".token"), []byte(tokens[p.Key]+"\n"), 0o600); err != nil {
			return err
		}
	}
	for _, k := range loadgen.Clinical {
		if err := loadgen.WritePatientsFile(filepath.Join(dir, k+".patients"), targets[k]); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "wrote tokens (*.token) and patient lists (*.patients) to %s\n\nRun, for example:\n", dir)
	for _, s := range []string{"read", "search", "everything", "transaction"} {
		fmt.Fprintf(stdout, "  CAREX_BENCH_DIR=%s wrk -t2 -c8 -d30s --latency -s testdata/bench/%s.lua %s\n", dir, s, base)
	}
	fmt.Fprintln(stdout, "\nCAREX_BENCH_PERSONA=gp|nurse|hospital|social-worker picks the user for read, search and everything (default nurse).")
	return nil
}
