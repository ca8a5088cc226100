package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/carex-project/carex/fhir"
	"github.com/carex-project/carex/fhir/search"
	"github.com/carex-project/carex/store"
)

// migrations are applied in order; user_version records how many ran.
// Never edit a released migration: append a new one.
var migrations = []string{
	// 1: resources, versions, compartment and search indexes.
	`
CREATE TABLE resources (
	rid          INTEGER PRIMARY KEY,
	type         TEXT    NOT NULL,
	id           TEXT    NOT NULL,
	version      INTEGER NOT NULL,
	vpk          INTEGER NOT NULL,           -- versions.vpk of the current version
	last_updated INTEGER NOT NULL,           -- unix ms
	deleted      INTEGER NOT NULL DEFAULT 0,
	source_org   TEXT    NOT NULL,
	data_class   TEXT    NOT NULL,
	labels       TEXT    NOT NULL DEFAULT '', -- space separated
	patients     TEXT    NOT NULL DEFAULT '', -- space separated
	codes        TEXT    NOT NULL DEFAULT '', -- space separated system|code
	clinical     INTEGER NOT NULL DEFAULT 0,  -- clinical date, unix ms; 0 = none
	UNIQUE (type, id)
);
CREATE INDEX resources_updated ON resources(last_updated);
CREATE INDEX resources_type ON resources(type, rid);
CREATE TABLE versions (
	vpk          INTEGER PRIMARY KEY,
	rid          INTEGER NOT NULL,
	version      INTEGER NOT NULL,
	last_updated INTEGER NOT NULL,
	deleted      INTEGER NOT NULL,
	source_org   TEXT    NOT NULL,
	data_class   TEXT    NOT NULL,
	labels       TEXT    NOT NULL DEFAULT '',
	patients     TEXT    NOT NULL DEFAULT '',
	codes        TEXT    NOT NULL DEFAULT '',
	clinical     INTEGER NOT NULL DEFAULT 0,
	raw          BLOB,                       -- NULL for a delete marker
	UNIQUE (rid, version)
);
CREATE INDEX versions_updated ON versions(last_updated);
CREATE TABLE compartment (
	patient TEXT    NOT NULL,
	rid     INTEGER NOT NULL,
	PRIMARY KEY (patient, rid)
) WITHOUT ROWID;
CREATE INDEX compartment_rid ON compartment(rid);
CREATE TABLE idx_token (type TEXT NOT NULL, param TEXT NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL, rid INTEGER NOT NULL);
CREATE INDEX idx_token_code ON idx_token(type, param, code, system);
CREATE INDEX idx_token_rid ON idx_token(rid);
CREATE TABLE idx_ref (type TEXT NOT NULL, param TEXT NOT NULL, ref TEXT NOT NULL, rid INTEGER NOT NULL);
CREATE INDEX idx_ref_ref ON idx_ref(type, param, ref);
CREATE INDEX idx_ref_rid ON idx_ref(rid);
CREATE TABLE idx_date (type TEXT NOT NULL, param TEXT NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL, rid INTEGER NOT NULL);
CREATE INDEX idx_date_lo ON idx_date(type, param, lo);
CREATE INDEX idx_date_rid ON idx_date(rid);
CREATE TABLE idx_str (type TEXT NOT NULL, param TEXT NOT NULL, value TEXT NOT NULL, rid INTEGER NOT NULL);
CREATE INDEX idx_str_value ON idx_str(type, param, value);
CREATE INDEX idx_str_rid ON idx_str(rid);
CREATE TABLE idx_num (type TEXT NOT NULL, param TEXT NOT NULL, num REAL NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL, rid INTEGER NOT NULL);
CREATE INDEX idx_num_num ON idx_num(type, param, num);
CREATE INDEX idx_num_rid ON idx_num(rid);
`,
	// 2: break-glass grants.
	`
CREATE TABLE break_glass_grants (
	sub     TEXT    NOT NULL,
	patient TEXT    NOT NULL,
	until   INTEGER NOT NULL, -- unix ms
	reason  TEXT    NOT NULL,
	granted INTEGER NOT NULL, -- unix ms
	PRIMARY KEY (sub, patient)
) WITHOUT ROWID;
`,
	// 3: per index table, a digest of the rows stored for the resource's
	// current version (see rowDigests); NULL when unknown: written before
	// this migration, or deleted.
	`ALTER TABLE resources ADD COLUMN idx_sums BLOB;`,
	// 4: union search parameters (search.ParamDef.Union: Observation's
	// combo-code, patient beside subject, …) store no rows of their own.
	// Nothing to change here: the number is what stops an older carex,
	// which would search those parameters' rows and miss every resource
	// written since, from opening the file.
	`SELECT 1;`,
	// 5: break-glass grants are held per issuer, sub and organisation, not
	// per sub alone: a user who broke glass while working for one
	// organisation held the grant when working for another (review 4b).
	// The table is rebuilt and the grants stored before are dropped: their
	// organisation was never recorded, and they last hours (the policy's
	// break-glass grant period), so a user holding one is asked to break
	// glass again at worst, never let in without a reason.
	`
DROP TABLE break_glass_grants;
CREATE TABLE break_glass_grants (
	issuer  TEXT    NOT NULL, -- the token's iss ('' if the principal has none)
	sub     TEXT    NOT NULL,
	org     TEXT    NOT NULL, -- the organisation the user broke glass for
	patient TEXT    NOT NULL,
	until   INTEGER NOT NULL, -- unix ms
	reason  TEXT    NOT NULL,
	granted INTEGER NOT NULL, -- unix ms
	PRIMARY KEY (sub, patient, org, issuer)
) WITHOUT ROWID;
`,
	// 6: what carex knows about the records beyond them, one value a key.
	// 'access_log_since' is when carex first created or found an access log
	// for these records (AccessLogSince): from then on a log that is
	// missing was deleted or replaced, not never made (review 5d).
	`
CREATE TABLE IF NOT EXISTS carex_meta (
	key   TEXT NOT NULL PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
`,
	// 7: access-log entries kept with the changes they log (store.Intent),
	// until they are durable in the access log.
	`
CREATE TABLE IF NOT EXISTS write_intents (
	n     INTEGER PRIMARY KEY, -- storage order
	id    TEXT NOT NULL UNIQUE,
	entry BLOB NOT NULL
);
`,
	// 8: the clinical date's last instant (inclusive, unix ms) when it is a
	// range (a year, a month, a period); 0 when the date is an instant or
	// none. A Consent's dataPeriod met an item by its first instant only:
	// a deny of June 2015 missed an item dated "2015". Rows written
	// before read as instants until carex relabel derives them again.
	`
ALTER TABLE resources ADD COLUMN clinical_end INTEGER NOT NULL DEFAULT 0;
ALTER TABLE versions ADD COLUMN clinical_end INTEGER NOT NULL DEFAULT 0;
`,
	// 9: the NHS numbers deleted Patients' last versions carried
	// (store.Store.RetiredPatients), which leave the search index with
	// them: the person's other records are still found by them (review
	// 18a: once the GP deleted Patient/jane, her opt-out no longer reached
	// the hospital's Patient/hosp-jane carrying her number). Patients
	// deleted before are filled in from their last versions.
	`
CREATE TABLE retired_numbers (
	number TEXT NOT NULL, -- without spaces
	id     TEXT NOT NULL, -- the deleted Patient's id
	PRIMARY KEY (number, id)
) WITHOUT ROWID;
CREATE INDEX retired_numbers_id ON retired_numbers(id);
INSERT OR IGNORE INTO retired_numbers(number, id)
	SELECT ` + retiredNumberCol + `, r.id
	FROM resources r JOIN versions v ON v.rid = r.rid AND v.version = (SELECT MAX(version) FROM versions WHERE rid = r.rid AND deleted = 0),
		json_each(CAST(v.raw AS TEXT), '$.identifier') i
	WHERE r.type = 'Patient' AND r.deleted = 1 AND ` + retiredNumberWhere9 + `;
`,
	// 10: the Patients deleted Patients' last versions linked to
	// (Patient.link.other; store.Store.RetiredLinks), which leave the
	// search index with them: a merged duplicate's items are still the
	// person's (review 18d: once the GP deleted Patient/jane-old, linking
	// replaced-by Patient/jane, reads of what remained filed under it left
	// IG's reports on Jane's record). Patients deleted before are filled
	// in from their last versions by fillRetiredLinks, in Go, as SQL
	// cannot normalise references the way the search index does.
	`
CREATE TABLE retired_links (
	target TEXT NOT NULL, -- the id of the Patient linked to
	id     TEXT NOT NULL, -- the deleted Patient's id
	PRIMARY KEY (target, id)
) WITHOUT ROWID;
CREATE INDEX retired_links_id ON retired_links(id);
`,
	// 11: no table changes. The records keep the code lists and the
	// derivation rules their labels were worked out under (carex_meta
	// labelling_lists), which every command that writes checks; a carex
	// of schema 10 or before checks nothing and writes with its own lists
	// and rules, and it refuses only records of a newer schema (review
	// 20f: after an upgrade and carex relabel --policy, an import run
	// with the earlier release's binary stored a Condition carrying a
	// code the new lists label PSY unlabelled, and the upgraded server
	// released it to the social worker).
	`SELECT 1;`,
	// 12: NHS numbers under another form of their system (review 38c:
	// http://fhir.nhs.uk/Id/nhs-number, a trailing slash, another case,
	// the OID; fhir.IsNHSNumberSystem) are indexed as the search index
	// holds NHS numbers, under search.NHSNumberSystem without spaces, so
	// that her other records are found by them; the bodies are left as
	// written. A changed resource's row digest is dropped (the next write
	// compares the rows themselves), and deleted Patients' numbers so
	// written are kept as their others are (retired_numbers). And the NHS
	// numbers a Patient links to by identifier, which join it to the
	// Patients carrying them as its own do, are indexed
	// (store.LinkNumberParam) and kept for deleted Patients alike.
	`
UPDATE resources SET idx_sums = NULL WHERE rid IN (SELECT rid FROM idx_token WHERE ` + nhsSystemFormWhere("system") + `);
UPDATE idx_token SET system = '` + search.NHSNumberSystem + `', code = replace(code, ' ', '') WHERE ` + nhsSystemFormWhere("system") + `;
INSERT OR IGNORE INTO retired_numbers(number, id)
	SELECT ` + retiredNumberCol + `, r.id
	FROM resources r JOIN versions v ON v.rid = r.rid AND v.version = (SELECT MAX(version) FROM versions WHERE rid = r.rid AND deleted = 0),
		json_each(CAST(v.raw AS TEXT), '$.identifier') i
	WHERE r.type = 'Patient' AND r.deleted = 1 AND ` + retiredNumberWhere + `;
INSERT OR IGNORE INTO retired_numbers(number, id)
	SELECT ` + retiredLinkNumberCol + `, r.id
	FROM resources r JOIN versions v ON v.rid = r.rid AND v.version = (SELECT MAX(version) FROM versions WHERE rid = r.rid AND deleted = 0),
		json_each(CAST(v.raw AS TEXT), '$.link') l
	WHERE r.type = 'Patient' AND r.deleted = 1 AND ` + retiredLinkNumberWhere + `;
UPDATE resources SET idx_sums = NULL WHERE type = 'Patient' AND deleted = 0 AND rid IN (SELECT r.rid FROM resources r JOIN versions v ON v.vpk = r.vpk,
		json_each(CAST(v.raw AS TEXT), '$.link') l WHERE r.type = 'Patient' AND ` + retiredLinkNumberWhere + `);
INSERT INTO idx_token(type, param, system, code, rid)
	SELECT DISTINCT 'Patient', '` + store.LinkNumberParam + `', '` + search.NHSNumberSystem + `', ` + retiredLinkNumberCol + `, r.rid
	FROM resources r JOIN versions v ON v.vpk = r.vpk, json_each(CAST(v.raw AS TEXT), '$.link') l
	WHERE r.type = 'Patient' AND r.deleted = 0 AND ` + retiredLinkNumberWhere + `;
`,
	// 13: no change to the schema. Records this release derives (revision
	// 2026-12-06b) are refused by earlier releases, which would otherwise
	// tell the operator to run their own carex relabel and so derive them
	// by their older rules again (review 58b: the haematology report went
	// back to the social worker).
	`UPDATE carex_meta SET value = value WHERE 0;`,
	// 14: dates without a time are indexed as days in England, as search
	// now reads them (search.Days; review 72c): the dates of each current
	// resource holding one are indexed again (reindexDates). Earlier
	// releases, which search by UTC days, refuse the records.
	`UPDATE carex_meta SET value = value WHERE 0;`,
	// 15: strings are indexed with every accent folded, as search now
	// folds them (search.NormString; reviews 74b, 75a): the strings of
	// each current resource holding any character but ASCII are indexed
	// again (reindexStrings).
	`UPDATE carex_meta SET value = value WHERE 0;`,
	// 16: Communication and CommunicationRequest have search parameters
	// (review 82c): their current resources are indexed
	// (indexTypes).
	`UPDATE carex_meta SET value = value WHERE 0;`,
	// 17: the patient compartment's other types have search parameters
	// (AdverseEvent … VisionPrescription, search.typeDefs): their current
	// resources are indexed (indexTypes).
	`UPDATE carex_meta SET value = value WHERE 0;`,
}

// nhsSystemFormWhere is an SQL condition: column col holds the NHS
// number system in another form than search.NHSNumberSystem
// (fhir.NHSNumberSystemForms, compared lower-cased).
func nhsSystemFormWhere(col string) string {
	forms := fhir.NHSNumberSystemForms()
	for i, f := range forms {
		forms[i] = "'" + f + "'"
	}
	return "lower(" + col + ") IN (" + strings.Join(forms, ", ") + ") AND " + col + " <> '" + search.NHSNumberSystem + "'"
}

// migrationSteps are the Go steps of migrations (by number) that SQL
// cannot do, run right after the migration's SQL in its transaction.
var migrationSteps = map[int]func(context.Context, *sql.Tx) error{
	10: fillRetiredLinks,
	14: reindexDates,
	15: reindexStrings,
	16: indexTypes("Communication", "CommunicationRequest"),
	17: indexTypes("AdverseEvent", "Basic", "BodyStructure", "ChargeItem", "ClinicalImpression",
		"CoverageEligibilityRequest", "CoverageEligibilityResponse", "DetectedIssue", "DeviceRequest",
		"DeviceUseStatement", "DocumentManifest", "EnrollmentRequest", "FamilyMemberHistory",
		"ImmunizationEvaluation", "List", "MeasureReport", "MolecularSequence", "NutritionOrder",
		"Person", "RequestGroup", "ResearchSubject", "RiskAssessment", "SupplyDelivery",
		"SupplyRequest", "VisionPrescription"),
}

// indexTypes is a migration step indexing every current resource of the
// types named again, in every search table: types given search
// parameters (migration 16: Communication, review 82c; 17: the patient
// compartment's others), whose stored resources had no rows.
func indexTypes(types ...string) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		all := func([]byte) bool { return true }
		for _, typ := range types {
			if err := reindexRows(ctx, tx, typ, all, tToken, tRef, tDate, tStr, tNum); err != nil {
				return err
			}
		}
		return nil
	}
}

// dateOnly finds a JSON string that is a FHIR date without a time (a
// year, a month, a day): what reindexDates indexes again.
var dateOnly = regexp.MustCompile(`"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?"`)

// reindexDates indexes the dates of every current resource holding a
// date without a time again (migration 14), storing only those whose rows
// change (in winter a day in England is the UTC day).
func reindexDates(ctx context.Context, tx *sql.Tx) error {
	return reindexRows(ctx, tx, "", func(raw []byte) bool {
		return dateOnly.Match(raw) || bytes.Contains(raw, []byte(`\u`)) // (a date may be written with escapes: review 73a)
	}, tDate)
}

// reindexStrings indexes the strings of every current resource holding
// any character but ASCII again (migration 15), storing only those whose
// rows change (é was folded before).
func reindexStrings(ctx context.Context, tx *sql.Tx) error {
	return reindexRows(ctx, tx, "", func(raw []byte) bool { return !ascii(raw) || bytes.Contains(raw, []byte(`\u`)) }, tStr)
}

// reindexRows indexes the rows in tables ts of every current resource (of
// type typ, or of any type for "") whose body pick reports again, in
// batches of resources; a resource whose rows change compares them again
// at its next write (idx_sums NULL).
func reindexRows(ctx context.Context, tx *sql.Tx, typ string, pick func(raw []byte) bool, ts ...int) error {
	type item struct {
		rid int64
		typ string
		raw []byte
	}
	for last := int64(-1 << 62); ; {
		// (of one type by resources_type: "?2 = '' OR r.type = ?2" read
		// every resource, once for each of migration 17's 25 types)
		q := `SELECT r.rid, r.type, v.raw FROM resources r JOIN versions v ON v.vpk = r.vpk
			WHERE r.rid > ?1 AND r.deleted = 0 AND v.raw IS NOT NULL ORDER BY r.rid LIMIT 1000`
		if typ != "" {
			q = `SELECT r.rid, r.type, v.raw FROM resources r JOIN versions v ON v.vpk = r.vpk
			WHERE r.type = ?2 AND r.rid > ?1 AND r.deleted = 0 AND v.raw IS NOT NULL ORDER BY r.rid LIMIT 1000`
		}
		rows, err := tx.QueryContext(ctx, q, last, typ)
		if err != nil {
			return err
		}
		var batch []item
		n := 0
		for rows.Next() {
			var it item
			if err := rows.Scan(&it.rid, &it.typ, &it.raw); err != nil {
				rows.Close()
				return err
			}
			n++
			last = it.rid
			if pick(it.raw) {
				batch = append(batch, it)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, it := range batch {
			if err := reindexOf(ctx, tx, it.rid, it.typ, it.raw, ts...); err != nil {
				return fmt.Errorf("%s (rid %d): %w", it.typ, it.rid, err)
			}
		}
		if n < 1000 {
			return nil
		}
	}
}

// ascii reports whether b holds no byte but ASCII's.
func ascii(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// reindexOf replaces resource rid's rows in tables ts with those its body
// raw gives now, when they differ.
func reindexOf(ctx context.Context, tx *sql.Tx, rid int64, typ string, raw []byte, ts ...int) error {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if d.Decode(&m) != nil {
		return nil // (a body the index could not read when it was written either)
	}
	var p pendingRows
	addIndexRows(&p, rid, typ, search.Extract(typ, m))
	for _, t := range ts {
		if err := replaceRows(ctx, tx, rid, t, &p); err != nil {
			return err
		}
	}
	return nil
}

// replaceRows replaces resource rid's rows in table t with those p holds
// for it, when they differ, and then clears its digest.
func replaceRows(ctx context.Context, tx *sql.Tx, rid int64, t int, p *pendingRows) error {
	tab := rowTables[t]
	var vals []any
	if p.args != nil {
		vals = p.args[t]
	}
	var want []string
	for i := 0; i+tab.ncols <= len(vals); i += tab.ncols {
		want = append(want, fmt.Sprintf("%#v", vals[i:i+tab.ncols-1]))
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+tab.cols+` FROM `+tab.name+` WHERE rid = ?`, rid)
	if err != nil {
		return err
	}
	var have []string
	for rows.Next() {
		row := make([]any, tab.ncols)
		ptrs := make([]any, tab.ncols)
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return err
		}
		for i, v := range row[:tab.ncols-1] {
			if b, ok := v.([]byte); ok {
				row[i] = string(b)
			}
		}
		have = append(have, fmt.Sprintf("%#v", row[:tab.ncols-1]))
	}
	if err := rows.Close(); err != nil {
		return err
	}
	slices.Sort(want)
	slices.Sort(have)
	if slices.Equal(want, have) {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+tab.name+` WHERE rid = ?`, rid); err != nil {
		return err
	}
	ins := `INSERT INTO ` + tab.name + `(` + tab.cols + `) VALUES (?` + strings.Repeat(`, ?`, tab.ncols-1) + `)`
	for i := 0; i+tab.ncols <= len(vals); i += tab.ncols {
		if _, err := tx.ExecContext(ctx, ins, vals[i:i+tab.ncols]...); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE resources SET idx_sums = NULL WHERE rid = ?`, rid)
	return err
}

// fillRetiredLinks fills retired_links in for the Patients deleted before
// migration 10, from their last versions that were not delete markers.
func fillRetiredLinks(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT r.id, v.raw
	FROM resources r JOIN versions v ON v.rid = r.rid AND v.version = (SELECT MAX(version) FROM versions WHERE rid = r.rid AND deleted = 0)
	WHERE r.type = 'Patient' AND r.deleted = 1`)
	if err != nil {
		return err
	}
	var pairs [][2]string // target, id
	for rows.Next() {
		var id string
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			rows.Close()
			return err
		}
		for _, target := range patientLinkTargets(id, raw) {
			pairs = append(pairs, [2]string{target, id})
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, p := range pairs {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO retired_links(target, id) VALUES (?, ?)`, p[0], p[1]); err != nil {
			return err
		}
	}
	return nil
}

// patientLinkTargets are the ids of the other Patients a Patient body
// (of Patient/id) links to, as the search index has them (Patient's link
// parameter: link.other, normalised as search.NormalizeReference does).
func patientLinkTargets(id string, raw []byte) []string {
	if len(raw) == 0 {
		return nil
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if d.Decode(&m) != nil {
		return nil
	}
	var out []string
	for _, e := range search.Extract("Patient", m) {
		if e.Param != "link" || e.Type != search.Reference {
			continue
		}
		if target, ok := strings.CutPrefix(e.Ref, "Patient/"); ok && target != id && !slices.Contains(out, target) {
			out = append(out, target)
		}
	}
	return out
}

// retiredNumberCol and retiredNumberWhere pick a Patient body's NHS
// numbers (json_each over its identifiers, i), without spaces, as the
// search index has them: under any form of the system (review 38c).
// retiredNumberWhere9 is migration 9's, under search.NHSNumberSystem as
// written only (a released migration is never edited).
const (
	retiredNumberCol    = `replace(json_extract(i.value, '$.value'), ' ', '')`
	retiredNumberWhere9 = `json_extract(i.value, '$.system') = '` + search.NHSNumberSystem + `' AND json_type(i.value, '$.value') = 'text'`
)

// retiredLinkNumberCol and retiredLinkNumberWhere pick the NHS numbers a
// Patient body links to by identifier (json_each over its links, l), as
// the index has them (store.LinkNumberParam).
const retiredLinkNumberCol = `replace(json_extract(l.value, '$.other.identifier.value'), ' ', '')`

var retiredLinkNumberWhere = `(json_extract(l.value, '$.other.identifier.system') = '` + search.NHSNumberSystem + `' OR ` + nhsSystemFormWhere(`json_extract(l.value, '$.other.identifier.system')`) + `) AND json_type(l.value, '$.other.identifier.value') = 'text'`

var retiredNumberWhere = `(json_extract(i.value, '$.system') = '` + search.NHSNumberSystem + `' OR ` + nhsSystemFormWhere(`json_extract(i.value, '$.system')`) + `) AND json_type(i.value, '$.value') = 'text'`

// migrate brings the schema up to date inside one transaction.
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var have int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&have); err != nil {
		return err
	}
	if have > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this carex (%d): upgrade carex", have, len(migrations))
	}
	for i := have; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if step := migrationSteps[i+1]; step != nil {
			if err := step(ctx, tx); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, len(migrations))); err != nil {
		return err
	}
	return tx.Commit()
}
