package main

// Review 5c: conformance of the commands with SPEC §2 (tests only; each
// fails on the code it was written against).

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"path"
	"strings"
	"testing"

	carex "github.com/carex-project/carex"
	"github.com/carex-project/carex/consent"
)

// demoResources is every resource the demo loads (bundle entries, NDJSON
// lines), as generic JSON.
func demoResources(t *testing.T) []map[string]any {
	t.Helper()
	m, err := readManifest()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	var add func(r map[string]any)
	add = func(r map[string]any) {
		if r["resourceType"] == "Bundle" {
			entries, _ := r["entry"].([]any)
			for _, e := range entries {
				if em, ok := e.(map[string]any); ok {
					if res, ok := em["resource"].(map[string]any); ok {
						add(res)
					}
				}
			}
			return
		}
		out = append(out, r)
	}
	for _, l := range m.Loads {
		raw, err := fs.ReadFile(carex.DemoFS, path.Join(demoDir, l.File))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(raw, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var r map[string]any
			if err := json.Unmarshal(line, &r); err != nil {
				// a whole-file JSON document
				if err := json.Unmarshal(raw, &r); err != nil {
					t.Fatalf("%s: %v", l.File, err)
				}
				add(r)
				break
			}
			add(r)
		}
	}
	return out
}

// TestReview5cDemoCoversEveryConsentCase: SPEC §2 "carex demo … seeded with
// a small synthetic population covering every role and consent case below".
// The cases of §5 layer 3 (and the legally restricted data of layer 5) are
// listed one by one; the demo has four Consents — Arthur's sector deny,
// Margaret's opt-out, David's sensitive permit and Jane's expired period —
// and none of the others, so a newcomer cannot see them "with this one
// command".
func TestReview5cDemoCoversEveryConsentCase(t *testing.T) {
	res := demoResources(t)
	have := map[string]bool{}
	perPatient := map[string]int{}
	var walk func(p map[string]any, depth int, parentDeny bool)
	walk = func(p map[string]any, depth int, parentDeny bool) {
		typ, _ := p["type"].(string)
		if typ == "permit" && parentDeny {
			have["permit sub-provision that makes an exception to a deny"] = true
		}
		if typ == "deny" {
			if actors, ok := p["actor"].([]any); ok {
				for _, a := range actors {
					s, _ := json.Marshal(a)
					switch {
					case strings.Contains(string(s), "https://carex.example/sector"):
						have["deny to a sector"] = true
					case strings.Contains(string(s), "https://carex.example/role") || strings.Contains(string(s), `"R80`) || strings.Contains(string(s), `"R8014"`):
						have["deny to a role"] = true
					case strings.Contains(string(s), "Organization/") || strings.Contains(string(s), "ods-organization-code"):
						have["deny to an organisation"] = true
					}
				}
			}
			if p["class"] != nil {
				have["deny a data class or resource type (class)"] = true
			}
			if p["code"] != nil {
				have["deny a code (code)"] = true
			}
			if p["securityLabel"] != nil {
				have["deny a label (securityLabel)"] = true
			}
		}
		if typ == "permit" && p["securityLabel"] != nil && p["actor"] != nil {
			have["permit releasing sensitive-labelled data to a named organisation"] = true
		}
		if p["period"] != nil {
			have["period"] = true
		}
		if p["dataPeriod"] != nil {
			have["dataPeriod"] = true
		}
		subs, _ := p["provision"].([]any)
		for _, s := range subs {
			if sm, ok := s.(map[string]any); ok {
				walk(sm, depth+1, typ == "deny" || parentDeny)
			}
		}
	}
	var codings []consent.Coding
	var collect func(v any)
	collect = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["system"].(string); ok {
				if c, ok := x["code"].(string); ok {
					codings = append(codings, consent.Coding{System: s, Code: c})
				}
			}
			for _, y := range x {
				collect(y)
			}
		case []any:
			for _, y := range x {
				collect(y)
			}
		}
	}
	for _, r := range res {
		if r["resourceType"] != "Consent" {
			collect(r)
			continue
		}
		if pat, ok := r["patient"].(map[string]any); ok {
			ref, _ := pat["reference"].(string)
			perPatient[ref]++
			if perPatient[ref] > 1 {
				have["a newer consent superseding an older one (kept in history)"] = true
			}
		}
		if s, _ := json.Marshal(r["policyRule"]); strings.Contains(string(s), `"OPTOUT"`) {
			if r["provision"] == nil {
				have["opt-out (OPTOUT, no exceptions)"] = true
			}
		}
		if p, ok := r["provision"].(map[string]any); ok {
			walk(p, 0, false)
		}
	}
	pol := consent.DefaultPolicy()
	for _, l := range pol.Labels(codings) {
		if pol.IsLegallyRestricted(l) {
			have["legally restricted data (never released by break-glass)"] = true
		}
	}
	for _, want := range []string{
		"opt-out (OPTOUT, no exceptions)",
		"deny to an organisation",
		"deny to a sector",
		"deny to a role",
		"deny a data class or resource type (class)",
		"deny a code (code)",
		"deny a label (securityLabel)",
		"permit sub-provision that makes an exception to a deny",
		"permit releasing sensitive-labelled data to a named organisation",
		"period",
		"dataPeriod",
		"a newer consent superseding an older one (kept in history)",
		"legally restricted data (never released by break-glass)",
	} {
		if !have[want] {
			t.Errorf("the demo population has no case of SPEC §5: %s", want)
		}
	}
}
