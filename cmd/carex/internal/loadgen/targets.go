package loadgen

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
)

// Persona is one kind of user or client system; tokens are minted for it.
type Persona struct {
	Key, Sub, Name, Role, Sector, Org string
}

// Personas are the users and systems of the demo organisations (see
// testdata/demo/README.md): the GP practice A81001, the community trust
// RCX, the hospital RHX and the council E06000999.
var Personas = []Persona{
	{"gp", "bench-gp", "Bench GP", "gp", "nhs", "A81001"},
	{"nurse", "bench-nurse", "Bench district nurse", "district-nurse", "nhs", "RCX"},
	{"hospital", "bench-hospital", "Bench hospital doctor", "hospital-clinician", "nhs", "RHX"},
	{"social-worker", "bench-sw", "Bench social worker", "social-worker", "council", "E06000999"},
	{"ig", "bench-ig", "Bench IG officer", "ig-officer", "nhs", "A81001"},
	{"gp-system", "bench-gp-system", "Bench GP system feed", "system", "nhs", "A81001"},
	{"community-system", "bench-community-system", "Bench community system feed", "system", "nhs", "RCX"},
	{"council-system", "bench-council-system", "Bench council case-management feed", "system", "council", "E06000999"},
}

// Clinical are the personas whose visible patients are discovered; each
// other persona borrows the list of a clinical one of its organisation.
var Clinical = []string{"gp", "nurse", "hospital", "social-worker"}

// targetsOf names whose patient list a persona uses.
var targetsOf = map[string]string{
	"gp": "gp", "nurse": "nurse", "hospital": "hospital", "social-worker": "social-worker",
	"ig": "gp", "gp-system": "gp", "community-system": "nurse", "council-system": "social-worker",
}

// Patient is one target person.
type Patient struct {
	ID  string `json:"id"`
	NHS string `json:"nhs,omitempty"`
	// Ident is another identifier (system|value) when there is no NHS
	// number, to find the same person on a baseline server.
	Ident string `json:"identifier,omitempty"`
}

// Targets are the patients each clinical persona may open, by persona key.
type Targets map[string][]Patient

// Same gives every clinical persona the same list.
func Same(ps []Patient) Targets {
	t := Targets{}
	for _, k := range Clinical {
		t[k] = ps
	}
	return t
}

// ReadPatientsFile reads one patient per line: "ID [NHS-NUMBER]" (space,
// tab or comma separated; blank lines and # comments skipped).
func ReadPatientsFile(path string) ([]Patient, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Patient
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		p := Patient{ID: fields[0]}
		if len(fields) > 1 {
			p.NHS = strings.Join(fields[1:], "")
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no patients", path)
	}
	return out, nil
}

// WritePatientsFile writes ps in the format ReadPatientsFile reads.
func WritePatientsFile(path string, ps []Patient) error {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%s %s\n", p.ID, p.NHS)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

const nhsSystem = "https://fhir.nhs.uk/Id/nhs-number"

// Discover pages through Patient?_elements=identifier as each clinical
// persona, keeping at most max patients per persona (0: no limit): the
// patients that persona's organisation has a relationship with. Lists are
// sorted by id, so the load depends only on the seed and the data.
func Discover(ctx context.Context, c *http.Client, base string, tokens map[string]string, max int) (Targets, error) {
	t := Targets{}
	for _, k := range Clinical {
		ps, err := discoverOne(ctx, c, base, tokens[k], max)
		if err != nil {
			return nil, fmt.Errorf("finding the patients visible to the %s persona: %w", k, err)
		}
		t[k] = ps
	}
	return t, nil
}

func discoverOne(ctx context.Context, c *http.Client, base, token string, max int) ([]Patient, error) {
	next := base + "/Patient?_count=500&_elements=identifier"
	var out []Patient
	for next != "" && (max <= 0 || len(out) < max) {
		req, err := http.NewRequestWithContext(ctx, "GET", next, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/fhir+json")
		res, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return nil, err
		}
		if res.StatusCode != 200 {
			return nil, fmt.Errorf("GET %s: %d %.300s", next, res.StatusCode, body)
		}
		var b struct {
			Link []struct {
				Relation, URL string
			}
			Entry []struct {
				Resource struct {
					ID         string
					Identifier []struct{ System, Value string }
				}
			}
		}
		if err := json.Unmarshal(body, &b); err != nil {
			return nil, fmt.Errorf("GET %s: %w", next, err)
		}
		for _, e := range b.Entry {
			p := Patient{ID: e.Resource.ID}
			for _, id := range e.Resource.Identifier {
				if id.System == nhsSystem {
					p.NHS = strings.ReplaceAll(id.Value, " ", "")
				} else if p.Ident == "" && id.System != "" && id.Value != "" {
					p.Ident = id.System + "|" + id.Value
				}
			}
			if p.ID != "" && (max <= 0 || len(out) < max) {
				out = append(out, p)
			}
		}
		next = ""
		for _, l := range b.Link {
			if l.Relation == "next" {
				next = l.URL
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Remap finds the same patients on another server (a baseline loaded with
// the same data, where server-assigned ids differ) by NHS number or other
// identifier, searching as the persona whose token is given. Patients it
// cannot find keep their id; missing counts them.
func Remap(ctx context.Context, c *http.Client, base, token string, t Targets) (out Targets, missing int, err error) {
	ids := map[string]string{}
	out = Targets{}
	for k, ps := range t {
		var mapped []Patient
		for _, p := range ps {
			id, seen := ids[p.ID]
			if !seen {
				id = p.ID
				ident := p.Ident
				if p.NHS != "" {
					ident = nhsSystem + "|" + p.NHS
				}
				if ident != "" {
					found, err := findByIdentifier(ctx, c, base, token, ident)
					if err != nil {
						return nil, 0, err
					}
					if found != "" {
						id = found
					} else {
						missing++
					}
				}
				ids[p.ID] = id
			}
			p.ID = id
			mapped = append(mapped, p)
		}
		out[k] = mapped
	}
	return out, missing, nil
}

func findByIdentifier(ctx context.Context, c *http.Client, base, token, ident string) (string, error) {
	u := base + "/Patient?_elements=identifier&identifier=" + url.QueryEscape(ident)
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	if res.StatusCode != 200 {
		return "", fmt.Errorf("GET %s: %d %.300s", u, res.StatusCode, body)
	}
	var b struct {
		Entry []struct{ Resource struct{ ID string } }
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return "", err
	}
	if len(b.Entry) != 1 {
		return "", nil
	}
	return b.Entry[0].Resource.ID, nil
}

// ReadManifest reads the sample of people in a manifest written by carex
// gen (fhir/synth, format carex-synth/1). Only the stable fields it needs
// are decoded: the ids and NHS numbers of the sample.
func ReadManifest(path string) ([]Patient, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m struct {
		Format   string
		Patients []struct{ ID, NHS string }
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.Format != "carex-synth/1" {
		return nil, fmt.Errorf("%s: format %q, want carex-synth/1 (a carex gen manifest)", path, m.Format)
	}
	var out []Patient
	for _, p := range m.Patients {
		if p.ID != "" {
			out = append(out, Patient{ID: p.ID, NHS: strings.ReplaceAll(p.NHS, " ", "")})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no patients", path)
	}
	return out, nil
}

// Probe keeps, for each clinical persona, the candidates whose Patient
// resource that persona may read (200), reading with a few connections at
// once. Order is kept.
func Probe(ctx context.Context, c *http.Client, base string, tokens map[string]string, cands []Patient) (Targets, error) {
	t := Targets{}
	for _, k := range Clinical {
		ok := make([]bool, len(cands))
		errc := make(chan error, 1)
		next := make(chan int)
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					status, err := getStatus(ctx, c, base+"/Patient/"+url.PathEscape(cands[i].ID), tokens[k])
					if err != nil {
						select {
						case errc <- err:
						default:
						}
						continue
					}
					ok[i] = status == 200
				}
			}()
		}
		for i := range cands {
			next <- i
		}
		close(next)
		wg.Wait()
		select {
		case err := <-errc:
			return nil, err
		default:
		}
		for i, p := range cands {
			if ok[i] {
				t[k] = append(t[k], p)
			}
		}
	}
	return t, nil
}

func getStatus(ctx context.Context, c *http.Client, u, token string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}
