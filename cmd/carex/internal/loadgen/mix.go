package loadgen

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The operations a virtual user performs.
const (
	OpEverything  = "everything"  // GET Patient/{id}/$everything (district nurses, social workers, GPs, hospital)
	OpSearch      = "search"      // GET Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|NNN
	OpRead        = "read"        // GET Patient/{id}
	OpWrite       = "write"       // GP, community and council feeds: create or update an Observation, Encounter or EpisodeOfCare
	OpConsent     = "consent"     // the GP records a patient-privacy Consent (supersedes the older one)
	OpIG          = "ig"          // IG officer: AuditEvent?patient= or AuditEvent/$who-accessed?patient=
	OpTransaction = "transaction" // a GP system transaction Bundle (Encounter + Observations)
)

// Ops lists every operation in report order.
var Ops = []string{OpEverything, OpSearch, OpRead, OpWrite, OpConsent, OpIG, OpTransaction}

// DefaultMix is the default weighting, in percent. A shared care record is
// read-mostly: at the point of care clinicians and social workers open the
// whole record or look a person up by NHS number, or fetch one resource;
// the organisations' systems push about one request in seven (single writes
// and transaction bundles); consent changes and IG queries are rare.
const DefaultMix = "everything=30,search=25,read=25,write=10,consent=2,ig=3,transaction=5"

// Mix is a weight per operation.
type Mix map[string]int

// ParseMix reads "op=weight,op=weight…". Operations not named get weight 0;
// at least one weight must be positive.
func ParseMix(s string) (Mix, error) {
	m := Mix{}
	known := map[string]bool{}
	for _, op := range Ops {
		known[op] = true
	}
	total := 0
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok {
			return nil, fmt.Errorf("mix %q: want op=weight", part)
		}
		if !known[name] {
			return nil, fmt.Errorf("mix: unknown operation %q (known: %s)", name, strings.Join(Ops, ", "))
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("mix: %s given twice", name)
		}
		w, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil || w < 0 {
			return nil, fmt.Errorf("mix %q: the weight must be a whole number ≥ 0", part)
		}
		m[name] = w
		total += w
	}
	if total == 0 {
		return nil, fmt.Errorf("mix %q: no operation has a positive weight", s)
	}
	return m, nil
}

// String is the canonical form, in report order.
func (m Mix) String() string {
	var parts []string
	for _, op := range Ops {
		if w := m[op]; w > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", op, w))
		}
	}
	return strings.Join(parts, ",")
}

// picker chooses an operation from a uniform draw in [0, total).
type picker struct {
	ops   []string
	cum   []int
	total int
}

func newPicker(m Mix) picker {
	var p picker
	for _, op := range Ops {
		if w := m[op]; w > 0 {
			p.total += w
			p.ops = append(p.ops, op)
			p.cum = append(p.cum, p.total)
		}
	}
	return p
}

func (p picker) pick(r int) string {
	i := sort.SearchInts(p.cum, r+1)
	return p.ops[i]
}
