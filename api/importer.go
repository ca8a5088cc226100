package api

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/carex-project/carex/api/auth"
	"github.com/carex-project/carex/fhir"
)

// Import loads one FHIR document as principal p, atomically: a
// transaction Bundle as if POSTed to /fhir, a batch Bundle as one
// transaction of its entries' requests, a collection (or document,
// searchset, message) Bundle as one transaction of its entries (kept ids
// become PUTs), or a single resource. It returns the number of resources
// written by type.
func (s *Server) Import(ctx context.Context, p *auth.Principal, raw []byte) (map[string]int, error) {
	res, err := fhir.Parse(raw)
	if err != nil {
		return nil, err
	}
	if res.Type != "Bundle" {
		c, err := s.ImportResources(ctx, p, [][]byte{raw})
		if err != nil {
			// The file is the resource, not a Bundle's entry (review
			// 81b: "Bundle.entry[0]" of a file holding an Observation).
			err = renamedEntry(err, func(int) string { return "" })
		}
		return c, err
	}
	// Read as POST /fhir reads one (review 47c: a modifierExtension on an
	// entry's request, refused there, was passed over and the entry
	// stored; unknown elements and implicitRules too).
	in, err := decodeBundle(res.Raw)
	if err != nil {
		return nil, err
	}
	switch in.Type {
	case "transaction", "batch":
		// A batch's requests say what each entry does (a conditional
		// update by NHS number, a create if none exists): run as a
		// collection, they were dropped and every entry without an id
		// created again at each import (review 10d). An entry without a
		// request is taken as in a collection.
		for i := range in.Entry {
			e := &in.Entry[i]
			if e.Request != nil && (strings.EqualFold(e.Request.Method, "GET") || strings.EqualFold(e.Request.Method, "HEAD")) {
				return nil, fmtErr(ErrBadRequest, "Bundle.entry[%d]: import does not run reads", i)
			}
			if in.Type == "batch" && e.Request == nil {
				one := bundleIn{Entry: []bundleEntryIn{*e}}
				if err := asTransaction(&one); err != nil {
					return nil, fmtErr(fhir.ErrInvalid, "Bundle.entry[%d] has no resource and no request", i)
				}
				e.Request = one.Entry[0].Request
			}
		}
		in.Type = "transaction"
	case "collection", "searchset", "document", "message":
		// A search's own OperationOutcome (search.mode outcome: a
		// warning, carex's confidential-items notice) is about the
		// search, not a record (review 81b: it was stored).
		kept := make([]int, 0, len(in.Entry))
		for i, e := range in.Entry {
			if !searchOutcome(e.Search) {
				kept = append(kept, i)
			}
		}
		if len(kept) < len(in.Entry) {
			entries := in.Entry
			in.Entry = make([]bundleEntryIn, len(kept))
			for k, i := range kept {
				in.Entry[k] = entries[i]
			}
			c, err := s.importCollection(ctx, p, in)
			if err != nil {
				err = renamedEntry(err, func(k int) string { return fmt.Sprintf("Bundle.entry[%d]", kept[k]) })
			}
			return c, err
		}
		return s.importCollection(ctx, p, in)
	default:
		return nil, fmtErr(ErrBadRequest, "Bundle.type %q cannot be imported: import transaction, batch, collection, searchset, document or message Bundles", in.Type)
	}
	return s.importBundle(ctx, p, in)
}

func (s *Server) importCollection(ctx context.Context, p *auth.Principal, in *bundleIn) (map[string]int, error) {
	if err := asTransaction(in); err != nil {
		return nil, err
	}
	return s.importBundle(ctx, p, in)
}

// searchOutcome: an entry's search element says mode outcome.
func searchOutcome(raw json.RawMessage) bool {
	var se struct {
		Mode string `json:"mode"`
	}
	return len(raw) > 0 && json.Unmarshal(raw, &se) == nil && se.Mode == "outcome"
}

// entryAt finds the entries an error's text names: its first
// Bundle.entry[k] (a later one is a stored Bundle's own element), and a
// bare entry[k] ("… and entry[2] both change …") unless it follows a dot
// or a letter, an element of a resource (List.entry[1]).
var entryAt = regexp.MustCompile(`(Bundle\.)?entry\[(\d+)\](\.resource\b)?`)

// renamedEntry is err naming, for each entry k of the Bundle carex
// imported that its text names, what name(k) says instead: the entry of
// the file as written (Bundle.entry[k]), or "" for a file that is the
// resource. errors.Is still sees through it.
func renamedEntry(err error, name func(k int) string) error {
	msg := err.Error()
	var b strings.Builder
	at := 0
	renamed := false // the first Bundle.entry[k] is the import's; later ones a stored Bundle's own (review 83a)
	for _, m := range entryAt.FindAllStringSubmatchIndex(msg, -1) {
		bundle := m[2] >= 0
		if bundle && renamed || !bundle && m[0] > 0 && (msg[m[0]-1] == '.' || unicode.IsLetter(rune(msg[m[0]-1]))) {
			continue
		}
		renamed = renamed || bundle
		k, aerr := strconv.Atoi(msg[m[4]:m[5]])
		if aerr != nil {
			continue
		}
		to := name(k)
		b.WriteString(msg[at:m[0]])
		at = m[1]
		switch {
		case to == "":
			rest := strings.TrimPrefix(strings.TrimPrefix(msg[at:], ":"), " ")
			at = len(msg) - len(rest)
		case !bundle:
			b.WriteString(strings.TrimPrefix(to, "Bundle."))
		default:
			b.WriteString(to)
		}
		if to != "" && m[6] >= 0 {
			b.WriteString(".resource")
		}
	}
	if at == 0 {
		return err
	}
	b.WriteString(msg[at:])
	return &renamedErr{err: err, msg: b.String()}
}

type renamedErr struct {
	err error
	msg string
}

func (e *renamedErr) Error() string { return e.msg }
func (e *renamedErr) Unwrap() error { return e.err }

// ImportResources writes resources (NDJSON lines) in one transaction.
func (s *Server) ImportResources(ctx context.Context, p *auth.Principal, raws [][]byte) (map[string]int, error) {
	in := bundleIn{Type: "transaction"}
	in.Entry = make([]bundleEntryIn, len(raws))
	for i, r := range raws {
		in.Entry[i].Resource = r
	}
	if err := asTransaction(&in); err != nil {
		return nil, err
	}
	return s.importBundle(ctx, p, &in)
}

func (s *Server) importBundle(ctx context.Context, p *auth.Principal, in *bundleIn) (map[string]int, error) {
	plan, byWrite, err := s.applyTransaction(ctx, p, nil, in)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, te := range plan {
		if te.write == nil {
			continue
		}
		if r := byWrite[te.write]; r != nil && !r.NoOp {
			counts[te.write.Type]++
		}
	}
	return counts, nil
}

// asTransaction gives every entry a request: PUT Type/id when the resource
// has an id (so re-importing is idempotent), POST Type otherwise.
func asTransaction(in *bundleIn) error {
	for i := range in.Entry {
		e := &in.Entry[i]
		if len(e.Resource) == 0 {
			return fmtErr(fhir.ErrInvalid, "Bundle.entry[%d] has no resource", i)
		}
		var head struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
		}
		if err := json.Unmarshal(e.Resource, &head); err != nil {
			return fmt.Errorf("Bundle.entry[%d]: %w", i, fhir.ErrMalformed)
		}
		e.Request = &bundleRequestIn{Method: "POST", URL: head.ResourceType}
		if head.ID != "" {
			e.Request = &bundleRequestIn{Method: "PUT", URL: head.ResourceType + "/" + head.ID}
		}
	}
	in.Type = "transaction"
	return nil
}
