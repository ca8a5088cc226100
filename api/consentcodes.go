package api

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/carex-project/carex/consent"
	"github.com/carex-project/carex/store"
)

// withheldCodePaths are the provisions of patient-privacy Consent v whose
// codes are masked for this user: those withholding coded data from them
// (consent.Prepared.WithheldCodePaths). Its source organisation sees them.
func (g *gate) withheldCodePaths(v *store.Version) []string {
	if v.Type != "Consent" || !bytes.Contains(v.Raw, []byte(`"provision"`)) && !bytes.Contains(v.Raw, []byte(`\u`)) || g.user.Org != "" && strings.EqualFold(v.SourceOrg, g.user.Org) || g.ownSystem(v) {
		return nil
	}
	c, err := consent.ParseConsent(v.Raw)
	if err != nil || c.Root == nil {
		return nil
	}
	return consent.Prepare(g.cp.Policy, g.user, consent.Patient{}, g.cp.now()).WithheldCodePaths(c)
}

// maskProvisionCodes replaces each code of the provisions of Consent m at
// paths ("provision.provision[1]") with a masked mark, as a masked
// reference is written.
func maskProvisionCodes(m map[string]any, paths []string) {
	for _, path := range paths {
		p, _ := m["provision"].(map[string]any)
		for _, seg := range strings.Split(path, ".")[1:] {
			i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(seg, "provision["), "]"))
			list, _ := p["provision"].([]any)
			if err != nil || i < 0 || i >= len(list) {
				p = nil
				break
			}
			p, _ = list[i].(map[string]any)
		}
		codes, _ := p["code"].([]any)
		for i := range codes {
			codes[i] = map[string]any{"extension": maskedMark()}
		}
	}
}
