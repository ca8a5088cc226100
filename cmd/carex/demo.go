package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/carex-project/carex"
	"github.com/carex-project/carex/api"
	"github.com/carex-project/carex/api/auth"
)

// demoManifest describes the embedded demo population.
type demoManifest struct {
	Loads []struct {
		File   string `json:"file"`
		Org    string `json:"org"`
		Sector string `json:"sector"`
	} `json:"loads"`
	Users []struct {
		Sub    string `json:"sub"`
		Name   string `json:"name"`
		Role   string `json:"role"`
		Sector string `json:"sector"`
		Org    string `json:"org"`
		About  string `json:"about"`
	} `json:"users"`
	Examples []struct {
		Title   string            `json:"title"`
		User    string            `json:"user"`
		Path    string            `json:"path"`
		Headers map[string]string `json:"headers"`
	} `json:"examples"`
}

const demoDir = "testdata/demo"

func readManifest() (*demoManifest, error) {
	raw, err := fs.ReadFile(carex.DemoFS, path.Join(demoDir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m demoManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("demo manifest: %w", err)
	}
	return &m, nil
}

// seedDemo loads the demo population, each file as written by its source
// organisation's system.
func seedDemo(ctx context.Context, srv *api.Server, stderr io.Writer) error {
	m, err := readManifest()
	if err != nil {
		return err
	}
	total := 0
	for _, l := range m.Loads {
		raw, err := fs.ReadFile(carex.DemoFS, path.Join(demoDir, l.File))
		if err != nil {
			return err
		}
		p := &auth.Principal{Sub: "demo-loader", Name: "demo loader", Org: l.Org, Sector: l.Sector, Role: "system", Purpose: "TREAT"}
		var counts map[string]int
		if strings.HasSuffix(l.File, ".ndjson") {
			var lines [][]byte
			for _, ln := range strings.Split(string(raw), "\n") {
				if ln = strings.TrimSpace(ln); ln != "" {
					lines = append(lines, []byte(ln))
				}
			}
			counts, err = srv.ImportResources(ctx, p, lines)
		} else {
			counts, err = srv.Import(ctx, p, raw)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", l.File, err)
		}
		for _, n := range counts {
			total += n
		}
	}
	fmt.Fprintf(stderr, "demo: loaded %d resources from %d files\n", total, len(m.Loads))
	return nil
}

// printDemo prints a token per demo user and curl lines to try.
func printDemo(w io.Writer, key *auth.DevKey, base, db string, tempDB bool, keyPath string) error {
	m, err := readManifest()
	if err != nil {
		return err
	}
	if tempDB {
		fmt.Fprintf(w, "carex demo is running at %s (database %s, removed when the demo stops; --db FILE keeps one)\n", base, db)
	} else {
		fmt.Fprintf(w, "carex demo is running at %s (database %s)\n", base, db)
	}
	fmt.Fprintf(w, "Development mode: tokens below are signed with %s and accepted only by a dev server.\n\n", keyPath)
	vars := map[string]string{}
	for _, u := range m.Users {
		tok, err := key.Mint(auth.DevClaims{Sub: u.Sub, Name: u.Name, Role: u.Role, Sector: u.Sector, Org: u.Org, Purpose: "TREAT"})
		if err != nil {
			return fmt.Errorf("demo user %s: %w", u.Sub, err)
		}
		v := strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(u.Sub))
		vars[u.Sub] = v
		fmt.Fprintf(w, "# %s — %s, %s (%s %s)\n", u.Name, u.Role, u.About, u.Sector, u.Org)
		fmt.Fprintf(w, "export %s=%s\n\n", v, tok)
	}
	fmt.Fprintln(w, "Try:")
	for _, ex := range m.Examples {
		extra := ""
		for k, v := range ex.Headers {
			extra += fmt.Sprintf(" -H '%s: %s'", k, v)
		}
		fmt.Fprintf(w, "# %s\ncurl -s -H \"Authorization: Bearer $%s\"%s '%s%s'\n\n", ex.Title, vars[ex.User], extra, base, ex.Path)
	}
	// The demo's own key, when it is not the one carex token uses by
	// default (review 19b: the line made tokens the demo refused, 401).
	keyFlag := ""
	if keyPath != auth.DefaultDevKeyPath() {
		keyFlag = " --dev-key " + shellWord(keyPath)
	}
	fmt.Fprintf(w, "Mint your own in another terminal: TOKEN=$(go run ./cmd/carex token%s --sub me --role gp --sector nhs --org A81001)\n", keyFlag)
	fmt.Fprintln(w, "Stop with Ctrl-C.")
	return nil
}

// shellWord is s as one word of a POSIX shell command line: as it is when
// it holds no character the shell reads, else single-quoted.
func shellWord(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-./+:=@,%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
