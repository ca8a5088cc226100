package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
	"modernc.org/sqlite"
)

// Search runs a type-level search: the matching rows' metadata is filtered by
// vis and counted, and bodies are loaded for the requested page only.
func (db *DB) Search(ctx context.Context, q *search.Query, vis store.Visible) (*store.Result, error) {
	few := fewMatches(q)
	sqlText, args, err := buildSearchCols(q, few)
	if err != nil {
		return nil, err
	}
	res, err := db.window(ctx, sqlText, args, vis, store.Page{Count: q.Count, Offset: q.Offset}, few)
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", q.Type, err)
	}
	return res, nil
}

// fewMatches: the query names its resources by id or by whole identifiers
// (system and value), so it matches one or a few, and reading their bodies
// with the metadata saves a second statement (a search by NHS number is
// one match). Other searches may match thousands, of which a page is sent.
func fewMatches(q *search.Query) bool {
	for _, c := range q.Clauses {
		if c.Modifier != "" || len(c.Values) > maxFewMatches {
			continue
		}
		switch c.Param {
		case "_id":
			return true
		case "identifier":
			whole := true
			for _, v := range c.Values {
				whole = whole && v.HasSystem && v.System != "" && v.Code != ""
			}
			if whole {
				return true
			}
		}
	}
	return false
}

const maxFewMatches = 8

// buildSearch turns a parsed query into SQL over the index tables. Every
// value is a bound argument; only parameter-derived constants are spliced.
func buildSearch(q *search.Query) (string, []any, error) { return buildSearchCols(q, false) }

// buildSearchCols is buildSearch; withBody adds the body as a last column.
func buildSearchCols(q *search.Query, withBody bool) (string, []any, error) {
	var b strings.Builder
	args := []any{q.Type}
	// With a selective index clause, let the index subquery drive and look
	// resources up by rowid: "+" keeps SQLite from scanning every resource
	// of the type through the (type, id) index instead.
	typeCol := "r.type"
	if drivenByIndex(q) {
		typeCol = "+r.type"
	}
	b.WriteString(windowCols(withBody) + ` FROM resources r WHERE ` + typeCol + ` = ? AND r.deleted = 0`)
	driver := drivingClause(q.Clauses)
	for i, c := range q.Clauses {
		cond, cargs, err := clauseSQL(q.Type, c, i == driver, q.HideItemNames)
		if err != nil {
			return "", nil, err
		}
		b.WriteString(" AND ")
		b.WriteString(cond)
		args = append(args, cargs...)
	}
	b.WriteString(" ORDER BY ")
	for _, s := range q.Sort {
		expr, sargs := sortSQL(q.Type, s, q.HideItemNames)
		b.WriteString(expr)
		args = append(args, sargs...)
		if s.Desc {
			b.WriteString(" DESC")
		}
		b.WriteString(", ")
	}
	b.WriteString("r.rid")
	return b.String(), args, nil
}

// drivingClause picks the index clause whose matches SQLite enumerates
// (r.rid IN ...); every other clause is checked per candidate through its
// table's rid index (EXISTS). Two IN clauses made SQLite build the second's
// whole match list each time: Consent?patient=X&status=active read every
// active consent in the population (half a second at 100,000 people).
// References (patient, subject) and identifiers are the most selective;
// otherwise the first clause drives. -1: none can.
func drivingClause(cs []search.Clause) int {
	best, rank := -1, 0
	for i, c := range cs {
		if c.Modifier == "not" || c.Modifier == "missing" || c.Param == "_id" || c.Param == "_lastUpdated" {
			continue
		}
		r := 1
		switch {
		case c.Type == search.Reference:
			r = 3
		case c.Param == "identifier":
			r = 2
		}
		if r > rank {
			best, rank = i, r
		}
	}
	return best
}

func drivenByIndex(q *search.Query) bool {
	idx := false
	for _, c := range q.Clauses {
		switch {
		case c.Param == "_id" && c.Modifier == "":
			return false // the (type, id) index is best
		case c.Param == "_id", c.Param == "_lastUpdated", c.Modifier == "not", c.Modifier == "missing":
		default:
			idx = true
		}
	}
	return idx
}

func sortSQL(typ string, s search.SortKey, hideItemNames bool) (string, []any) {
	switch s.Param {
	case "_lastUpdated":
		return "r.last_updated", nil
	case "_id":
		return "r.id", nil
	}
	// A resource with several values sorts by its smallest ascending and by
	// its largest descending, so that descending is ascending reversed
	// wherever values do not overlap; a date's range by its start, or its end.
	agg, date := "MIN", "lo"
	if s.Desc {
		agg, date = "MAX", "hi"
	}
	param, args := paramIs("d.", typ, s.Param)
	var col, table string
	ptype := search.Params(typ)[s.Param].Type
	switch ptype {
	case search.Date:
		col, table = date, "idx_date"
	case search.String, search.URI:
		col, table = "value", "idx_str"
	case search.Number, search.Quantity:
		col, table = "num", "idx_num"
	case search.Reference:
		col, table = "ref", "idx_ref"
	default:
		col, table = "code", "idx_token"
	}
	if hideItemNames && (ptype == search.String || ptype == search.URI || ptype == search.Token) {
		param += " AND " + notItemName("d."+col, ptype == search.URI)
	}
	return "(SELECT " + agg + "(" + col + ") FROM " + table + " d WHERE d.rid = r.rid AND " + param + ")", args
}

// notItemName is the condition that an index row's column does not hold a
// value that may name an item (HideItemNames): SQLite's own instr passes
// over values without a separator or a character reference (free text's
// link target "Binary&#x2F;hivbin" names Binary/hivbin, review 19c: it was
// passed over unread), and only the rest go to the Go test.
func notItemName(col string, uri bool) string {
	u := "0"
	if uri {
		u = "1"
	}
	return "(instr(" + col + ", '/') = 0 AND instr(" + col + ", '\\') = 0 AND instr(" + col + ", '?') = 0 AND instr(" + col + ", '%') = 0 AND instr(" + col + ", '&') = 0 OR NOT " + mayNameItemFunc + "(" + col + ", " + u + "))"
}

// mayNameItemFunc is the SQL function notItemName calls: 1 when its
// first argument, a value, may name an item (as a uri when its second is
// 1: fhir.MayNameItem with definitions; else fhir.IndexedMayNameItem).
const mayNameItemFunc = "carex_may_name_item"

func init() {
	err := sqlite.RegisterDeterministicScalarFunction(mayNameItemFunc, 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		var v string
		switch x := args[0].(type) {
		case string:
			v = x
		case []byte:
			v = string(x)
		default:
			return int64(0), nil
		}
		uri, _ := args[1].(int64)
		if uri == 1 && fhir.MayNameItem(v, true) || uri != 1 && fhir.IndexedMayNameItem(v) {
			return int64(1), nil
		}
		return int64(0), nil
	})
	if err != nil {
		panic(err)
	}
}

// paramIs is the condition that an index row (columns prefixed with
// alias) holds a value of typ's parameter name, and its arguments: the row
// is the parameter's own, or a union member's (for a reference union, one
// that refers to the union's target types).
func paramIs(alias, typ, name string) (string, []any) {
	names, refersTo := search.Stored(typ, name)
	cond := alias + "param = ?"
	args := make([]any, 0, len(names)+2*len(refersTo))
	for _, n := range names {
		args = append(args, n)
	}
	if len(names) > 1 {
		cond = alias + "param IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ") + ")"
	}
	if len(refersTo) > 0 {
		// "Type/" up to "Type0" ('0' follows '/'): the references to Type,
		// a range of the (type, param, ref) index.
		var ors []string
		for _, t := range refersTo {
			ors = append(ors, "("+alias+"ref >= ? AND "+alias+"ref < ?)")
			args = append(args, t+"/", t+"0")
		}
		cond += " AND (" + strings.Join(ors, " OR ") + ")"
	}
	return cond, args
}

func clauseSQL(typ string, c search.Clause, drive, hideItemNames bool) (string, []any, error) {
	param, paramArgs := paramIs("", typ, c.Param)
	if c.Modifier == "missing" {
		present := "r.rid IN (SELECT rid FROM " + tableFor(c.Type) + " WHERE type = ? AND " + param + ")"
		missing := len(c.Values) > 0 && (c.Values[0].Code == "true" || c.Values[0].Str == "true")
		if missing {
			return "NOT " + present, append([]any{typ}, paramArgs...), nil
		}
		return present, append([]any{typ}, paramArgs...), nil
	}
	switch c.Param {
	case "_id":
		var ors []string
		var args []any
		for _, v := range c.Values {
			ors = append(ors, "r.id = ?")
			args = append(args, v.Code)
		}
		return negate(c.Modifier == "not", "("+strings.Join(ors, " OR ")+")"), args, nil
	case "_lastUpdated":
		var ors []string
		var args []any
		for _, v := range c.Values {
			cond, a := dateCond("r.last_updated", "r.last_updated", v)
			ors = append(ors, cond)
			args = append(args, a...)
		}
		return "(" + strings.Join(ors, " OR ") + ")", args, nil
	}
	var ors []string
	args := append([]any{typ}, paramArgs...)
	for _, v := range c.Values {
		switch c.Type {
		case search.Token:
			switch {
			case v.HasSystem && v.Code == "":
				ors = append(ors, "system = ?")
				args = append(args, v.System)
			case v.HasSystem:
				ors = append(ors, "(code = ? AND system = ?)")
				args = append(args, v.Code, v.System)
			default:
				ors = append(ors, "code = ?")
				args = append(args, v.Code)
			}
		case search.Reference:
			ors = append(ors, "ref = ?")
			args = append(args, v.Ref)
		case search.Date:
			cond, a := dateCond("lo", "hi", v)
			ors = append(ors, cond)
			args = append(args, a...)
		case search.String:
			switch c.Modifier {
			case "exact":
				ors = append(ors, "value = ?")
				args = append(args, v.Str)
			case "contains":
				ors = append(ors, "instr(value, ?) > 0")
				args = append(args, v.Str)
			default: // starts-with, on the case-folded value
				ors = append(ors, "(value >= ? AND value < ?)")
				args = append(args, v.Str, v.Str+"\U0010FFFF")
			}
		case search.URI:
			ors = append(ors, "value = ?")
			args = append(args, v.Str)
		case search.Number, search.Quantity:
			cond, a := numCond(v)
			if c.Type == search.Quantity && (v.Code != "" || v.System != "") {
				// number|system|code; either may be empty (5|system|: any
				// unit of that system; 5||mg: that unit in any system).
				cond = "(" + cond
				if v.Code != "" {
					cond += " AND code = ?"
					a = append(a, v.Code)
				}
				if v.System != "" {
					cond += " AND system = ?"
					a = append(a, v.System)
				}
				cond += ")"
			}
			ors = append(ors, cond)
			args = append(args, a...)
		default:
			return "", nil, fmt.Errorf("parameter %s: %w", c.Param, search.ErrUnknownParam)
		}
	}
	if len(ors) == 0 {
		return "1=1", nil, nil
	}
	match := "type = ? AND " + param + " AND (" + strings.Join(ors, " OR ") + ")"
	if hideItemNames {
		match += hiddenItemNames(c)
	}
	if drive {
		return "r.rid IN (SELECT rid FROM " + tableFor(c.Type) + " WHERE " + match + ")", args, nil
	}
	// By the rid index: the value index would list every match in the
	// population for each candidate.
	t := tableFor(c.Type)
	sub := "EXISTS (SELECT 1 FROM " + t + " x INDEXED BY " + t + "_rid WHERE x.rid = r.rid AND " + match + ")"
	return negate(c.Modifier == "not", sub), args, nil
}

// hiddenItemNames is what a clause's match adds under HideItemNames: a
// string clause (a prefix or contains may match any value) leaves out the
// values that may name an item; a token clause, whose match is exact, does
// so where what it asks for may name one (identifier=Condition/hiv), so
// that a search by NHS number or code is as it was; so does a quantity
// clause, whose unit code (or text) and system are matched exactly and go
// out masked as any other string (value-quantity=5||Condition/hiv).
func hiddenItemNames(c search.Clause) string {
	switch c.Type {
	case search.String:
		return " AND " + notItemName("value", false)
	case search.Token, search.Quantity:
		for _, v := range c.Values {
			if fhir.StringMayNameItem(v.Code) || fhir.StringMayNameItem(v.System) {
				return " AND " + notItemName("code", false) + " AND " + notItemName("system", false)
			}
		}
	}
	return ""
}

func negate(not bool, cond string) string {
	if not {
		return "NOT " + cond
	}
	return cond
}

func tableFor(t search.ParamType) string {
	switch t {
	case search.Reference:
		return "idx_ref"
	case search.Date:
		return "idx_date"
	case search.String, search.URI:
		return "idx_str"
	case search.Number, search.Quantity:
		return "idx_num"
	default:
		return "idx_token"
	}
}

// dateCond applies FHIR's prefix semantics between the searched range
// [v.Lo, v.Hi] and the stored range [lo, hi].
func dateCond(lo, hi string, v search.Value) (string, []any) {
	switch v.Prefix {
	case "ne":
		return fmt.Sprintf("NOT (%s >= ? AND %s <= ?)", lo, hi), []any{v.Lo, v.Hi}
	case "gt":
		return fmt.Sprintf("%s > ?", hi), []any{v.Hi}
	case "lt":
		return fmt.Sprintf("%s < ?", lo), []any{v.Lo}
	case "sa": // starts after: the whole stored range is after the searched one
		return fmt.Sprintf("%s > ?", lo), []any{v.Hi}
	case "eb": // ends before: the whole stored range is before the searched one
		return fmt.Sprintf("%s < ?", hi), []any{v.Lo}
	// ge and le are gt and lt or eq (R4: "the range above the search value
	// intersects … the range of the target value, or the range of the
	// search value fully contains the range of the target value"): a
	// period that only touches the searched one from below (ge) or above
	// (le) is not taken (review 72c: one ending on 5 March at noon was
	// found by ge2024-03-05). For an instant, the same as hi >= lo.
	case "ge":
		return fmt.Sprintf("(%s > ? OR (%s >= ? AND %s <= ?))", hi, lo, hi), []any{v.Hi, v.Lo, v.Hi}
	case "le":
		return fmt.Sprintf("(%s < ? OR (%s >= ? AND %s <= ?))", lo, lo, hi), []any{v.Lo, v.Lo, v.Hi}
	case "ap": // overlap
		return fmt.Sprintf("(%s <= ? AND %s >= ?)", lo, hi), []any{v.Hi, v.Lo}
	default: // eq: the stored range lies within the searched one
		return fmt.Sprintf("(%s >= ? AND %s <= ?)", lo, hi), []any{v.Lo, v.Hi}
	}
}

func numCond(v search.Value) (string, []any) {
	switch v.Prefix {
	case "ne":
		return "num <> ?", []any{v.Num}
	case "gt", "sa":
		return "num > ?", []any{v.Num}
	case "lt", "eb":
		return "num < ?", []any{v.Num}
	case "ge":
		return "num >= ?", []any{v.Num}
	case "le":
		return "num <= ?", []any{v.Num}
	case "ap": // ±10%, as the FHIR spec suggests
		d := math.Abs(v.Num) * 0.1
		return "(num >= ? AND num <= ?)", []any{v.Num - d, v.Num + d}
	default:
		return "num = ?", []any{v.Num}
	}
}

// PatientContext implements store.Store. The result is shared between
// requests (see pcCache): callers must not change it.
func (db *DB) PatientContext(ctx context.Context, patientID string) (*store.PatientContext, error) {
	if db.pcc == nil {
		return db.loadPatientContext(ctx, patientID)
	}
	return db.cachedPatientContext(ctx, patientID, func() (*store.PatientContext, error) {
		return db.loadPatientContext(ctx, patientID)
	})
}

// contextTypes are the resources a PatientContext holds (beside its
// sources, which every resource in the compartment counts towards).
var contextTypes = []string{"Patient", "CareTeam", "EpisodeOfCare", "Consent"}

func (db *DB) loadPatientContext(ctx context.Context, patientID string) (*store.PatientContext, error) {
	// All of these few resources' bodies are needed: one statement reads
	// them with their metadata. All of them, however many: the context was
	// once cut at search.MaxCount, in the order they were first stored, and
	// a person with a thousand CareTeams (which any organisation's feed may
	// write) had every later Consent left out of it, never applied (review
	// 6b: an opt-out answered 201 withheld nothing).
	q, args := compartmentQuery(patientID, contextTypes, true)
	res, err := db.window(ctx, q, args, nil, store.Page{Count: math.MaxInt32}, true)
	if err != nil {
		return nil, fmt.Errorf("sharing context of Patient/%s: %w", patientID, err)
	}
	pc := &store.PatientContext{Sources: map[string]time.Time{}, Stable: new(atomic.Value)}
	for _, v := range res.Items {
		if v.Type == "Patient" && v.ID == patientID {
			pc.Patient = v
			continue
		}
		pc.Links = append(pc.Links, v)
	}
	// The live compartment, and the person's own Patient record even when
	// deleted: its source did record them. (Other deleted resources have
	// left the compartment table and no longer count. txWriter.touch relies
	// on exactly this: change one and check the other.) A Consent is not
	// data about the person's care: recording one does not make its
	// recorder a source (a stranger's Consent would open the record to it);
	// Consent is a context type, so a write of one reloads the context.
	rows, err := db.query(ctx, `SELECT source_org, MAX(last_updated) FROM (
		SELECT r.source_org, r.last_updated FROM compartment c JOIN resources r ON r.rid = c.rid WHERE c.patient = ? AND r.type != 'Consent'
		UNION ALL
		SELECT source_org, last_updated FROM resources WHERE deleted = 1 AND type = 'Patient' AND id = ?
	) GROUP BY source_org`, patientID, patientID)
	if err != nil {
		return nil, fmt.Errorf("sources of Patient/%s: %w", patientID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var org string
		var ms int64
		if err := rows.Scan(&org, &ms); err != nil {
			return nil, err
		}
		pc.Sources[org] = time.UnixMilli(ms).UTC()
	}
	return pc, rows.Err()
}

// GrantBreakGlass implements store.Store.
func (db *DB) GrantBreakGlass(ctx context.Context, who store.Grantee, patient, reason string, until time.Time) error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	_, err := db.writer.ExecContext(ctx, `INSERT INTO break_glass_grants(issuer, sub, org, patient, until, reason, granted) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(sub, patient, org, issuer) DO UPDATE SET until = excluded.until, reason = excluded.reason, granted = excluded.granted`,
		who.Issuer, who.Sub, who.Org, patient, until.UnixMilli(), reason, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("break-glass grant: %w", err)
	}
	db.gmuGrants.Lock()
	db.grantSubs[who.Sub] = true
	db.gmuGrants.Unlock()
	return nil
}

// loadGrantSubs learns which users hold grants. Grants are stored only by
// the server (GrantBreakGlass), so afterwards a user outside the set holds
// none and BreakGlassUntil needs no query for them. (A second server on the
// same file would not see the other's grants: its users would be asked to
// break glass again, never let in without.)
func (db *DB) loadGrantSubs(ctx context.Context) error {
	rows, err := db.reader.QueryContext(ctx, `SELECT DISTINCT sub FROM break_glass_grants`)
	if err != nil {
		return fmt.Errorf("break-glass grants: %w", err)
	}
	defer rows.Close()
	db.grantSubs = map[string]bool{}
	for rows.Next() {
		var sub string
		if err := rows.Scan(&sub); err != nil {
			return err
		}
		db.grantSubs[sub] = true
	}
	return rows.Err()
}

// BreakGlassUntil implements store.Store.
func (db *DB) BreakGlassUntil(ctx context.Context, who store.Grantee, patient string) (time.Time, error) {
	db.gmuGrants.Lock()
	held := db.grantSubs[who.Sub]
	db.gmuGrants.Unlock()
	if !held {
		return time.Time{}, nil
	}
	var ms int64
	err := db.stGrant.QueryRowContext(ctx, who.Sub, patient, who.Org, who.Issuer).Scan(&ms)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("break-glass grant: %w", err)
	}
	return time.UnixMilli(ms), nil
}

// RetiredPatients implements store.Store.
func (db *DB) RetiredPatients(ctx context.Context, n string, most int) ([]string, error) {
	ids, err := db.retiredIDs(ctx, `SELECT id FROM retired_numbers WHERE number = ? ORDER BY id LIMIT ?`, n, most)
	if err != nil {
		return nil, fmt.Errorf("deleted Patients carrying an NHS number: %w", err)
	}
	return ids, nil
}

// RetiredLinks implements store.Store.
func (db *DB) RetiredLinks(ctx context.Context, patient string, most int) ([]string, error) {
	ids, err := db.retiredIDs(ctx, `SELECT id FROM retired_links WHERE target = ? ORDER BY id LIMIT ?`, patient, most)
	if err != nil {
		return nil, fmt.Errorf("deleted Patients linking to Patient/%s: %w", patient, err)
	}
	return ids, nil
}

// retiredIDs are the deleted Patients' ids query selects; none, without a
// query, until a Patient has been deleted (DB.retired), by this process or
// another (retiredElsewhere).
func (db *DB) retiredIDs(ctx context.Context, query string, args ...any) ([]string, error) {
	if !db.retired.Load() {
		if found, err := db.retiredElsewhere(ctx); err != nil || !found {
			return nil, err
		}
	}
	rows, err := db.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// retiredElsewhere reports whether another process on the same file
// (carex import of a transaction deleting a Patient) has kept a deleted
// Patient's numbers or links since DB.retired was last found unset. Only a
// versions key past DB.retiredVPK can be such a write: without one, no
// query beyond latestVPK's (answered from the WAL index between commits).
func (db *DB) retiredElsewhere(ctx context.Context) (bool, error) {
	latest, err := db.latestVPK(ctx)
	if err != nil {
		return false, fmt.Errorf("deleted Patients: %w", err)
	}
	if latest <= db.retiredVPK.Load() {
		return false, nil
	}
	var found bool
	if err := db.reader.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM retired_numbers) OR EXISTS(SELECT 1 FROM retired_links)`).Scan(&found); err != nil {
		return false, fmt.Errorf("deleted Patients: %w", err)
	}
	if found {
		db.retired.Store(true)
		return true, nil
	}
	db.accountRetired(0, latest)
	return false, nil
}

// accountRetired moves DB.retiredVPK to upto once every key to from is
// accounted for (from 0: unconditionally, to at least upto).
func (db *DB) accountRetired(from, upto int64) {
	for {
		cur := db.retiredVPK.Load()
		if cur >= upto || cur < from {
			return
		}
		if db.retiredVPK.CompareAndSwap(cur, upto) {
			return
		}
	}
}

// LabelledDirectory implements store.Store: one query over the directory
// types' current rows with a label (few: a source labels a refuge's entry,
// not its whole directory), their identifiers joined, then the deleted
// ones (deletedLabelledDirectory). A Location of type PTRES is left out
// (store.Store.LabelledDirectory).
func (db *DB) LabelledDirectory(ctx context.Context) ([]store.LabelledItem, error) {
	types := strings.Repeat("?,", len(store.DirectoryTypes))
	args := make([]any, len(store.DirectoryTypes))
	for i, t := range store.DirectoryTypes {
		args[i] = t
	}
	rows, err := db.reader.QueryContext(ctx, `SELECT r.type, r.id, COALESCE(t.system, ''), COALESCE(t.code, '')
		FROM resources r LEFT JOIN idx_token t ON t.rid = r.rid AND t.type = r.type AND t.param = 'identifier'
		WHERE r.type IN (`+types[:len(types)-1]+`) AND r.labels <> '' AND r.deleted = 0
		AND NOT (r.type = 'Location' AND EXISTS (SELECT 1 FROM idx_token p
			WHERE p.rid = r.rid AND p.type = 'Location' AND p.param = 'type' AND UPPER(TRIM(p.code)) = 'PTRES'))
		ORDER BY r.rid`, args...)
	if err != nil {
		return nil, fmt.Errorf("labelled directory items: %w", err)
	}
	defer rows.Close()
	var out []store.LabelledItem
	for rows.Next() {
		var typ, id, sys, code string
		if err := rows.Scan(&typ, &id, &sys, &code); err != nil {
			return nil, fmt.Errorf("labelled directory items: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].Type != typ || out[n-1].ID != id {
			out = append(out, store.LabelledItem{Type: typ, ID: id})
		}
		if code != "" {
			it := &out[len(out)-1]
			it.Identifiers = append(it.Identifiers, sys+"|"+code)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("labelled directory items: %w", err)
	}
	rows.Close()
	deleted, err := db.deletedLabelledDirectory(ctx, types[:len(types)-1], args)
	if err != nil {
		return nil, err
	}
	return append(out, deleted...), nil
}

// deletedLabelledDirectory is LabelledDirectory's deleted items whose
// last version carried a label (the delete marker keeps its labels), with
// the identifiers of the last version stored: their versions stay
// withheld, and a reference to one names the labelled item still
// (review 32b: deleting the refuge's entry released every reference to
// it). A deleted item has no index rows: its last body is read, and
// indexed as it was (search.Extract).
func (db *DB) deletedLabelledDirectory(ctx context.Context, types string, args []any) ([]store.LabelledItem, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT r.type, r.id, (SELECT v.raw FROM versions v WHERE v.rid = r.rid AND v.raw IS NOT NULL ORDER BY v.version DESC LIMIT 1)
		FROM resources r WHERE r.type IN (`+types+`) AND r.labels <> '' AND r.deleted = 1 ORDER BY r.rid`, args...)
	if err != nil {
		return nil, fmt.Errorf("deleted labelled directory items: %w", err)
	}
	defer rows.Close()
	var out []store.LabelledItem
	for rows.Next() {
		var it store.LabelledItem
		var raw []byte
		if err := rows.Scan(&it.Type, &it.ID, &raw); err != nil {
			return nil, fmt.Errorf("deleted labelled directory items: %w", err)
		}
		var res map[string]any
		if raw != nil {
			if err := json.Unmarshal(raw, &res); err != nil {
				return nil, fmt.Errorf("deleted labelled directory items: %s/%s: %w", it.Type, it.ID, err)
			}
		}
		home := false
		for _, e := range search.Extract(it.Type, res) {
			switch {
			case e.Type != search.Token || e.Code == "":
			case e.Param == "identifier":
				it.Identifiers = append(it.Identifiers, e.System+"|"+e.Code)
			case e.Param == "type" && it.Type == "Location" && strings.ToUpper(strings.TrimSpace(e.Code)) == "PTRES":
				home = true
			}
		}
		if !home {
			out = append(out, it)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("deleted labelled directory items: %w", err)
	}
	return out, nil
}
