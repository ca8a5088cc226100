// Package consent is carex's sharing-decision engine (SPEC §5): plain Go
// values in, a decision with reasons out. No HTTP, no SQL, no storage.
//
// Use: parse each Consent once with ParseConsent (on write: an error is a
// 422 naming the element, and so is one from Policy.CheckConsent, which
// refuses what a stored Consent is still read with: a patient-privacy
// Consent without dateTime, a PractitionerRole recipient (carex knows a
// user as Practitioner/<sub>, never by PractitionerRole), a role actor
// naming no role of the policy nor a job role it maps, and a provision
// that needs an item's author practitioner or what refers to an item — an
// AUT or CST actor naming a Practitioner(Role), data authoredby a
// Practitioner(Role), data meaning related — which the API's items do not
// carry (Item.AuthorKnown, Item.RefsKnown false)); per request call Prepare once with the user,
// the patient's relationships and active Consents and the clock; call Open
// (Withhold → 403); then Decide for every item (cheap, no allocation when
// an item is permitted).
//
// # Combining rule
//
// Open permits when the purpose of use is served by the policy, the role
// is in the policy, a requested break-glass is allowed for the role and has
// a valid reason (or a grant is held), and either the role is own-org-only
// or an audit role, or the user's organisation has an active relationship
// (registered GP, CareTeam, EpisodeOfCare, or source within the policy's
// source lifetime), or break-glass is in force. Decide withholds every item
// when Open withholds; otherwise, in this order, the first rule that
// applies decides:
//
//  1. source: the item's source organisation is the user's and the role
//     is one the policy lists in sees-own-records → permit (SPEC §5: a
//     source always sees what it recorded; an audit role cannot be
//     listed: it sees no clinical data, its own included);
//  2. role: the role does not see the item's data class → withhold;
//  3. role: an own-org-only role (system) → withhold;
//  4. audit role (ig-officer) → permit (its classes are non-clinical),
//     unless the item carries a legally restricted label → withhold
//     (legally-restricted);
//  5. consent: the deciding Consent withholds → withhold, unless
//     break-glass is in force (then released, flagged break-glass-override);
//  6. sensitivity: each sensitive label on the item must be covered by an
//     explicit permit — the deciding provision permits, names the label
//     (on it or an ancestor) and names the user's organisation or the user
//     (on it or an ancestor) — or, under break-glass, be listed in
//     break-glass-releases and not legally restricted; otherwise withhold
//     (code legally-restricted for legally restricted labels);
//  7. permit, flagged break-glass-override when break-glass was needed
//     (no relationship, a consent withheld, or a label released) and
//     restricted-demographics (redact address, telecom, GP) for a
//     demographics item of a restricted patient.
//
// The consent layer: of the patient's active patient-privacy Consents in
// force now (a Consent whose root period does not contain now is out of
// force: it neither decides nor supersedes, so a permission limited to
// February pauses an older objection only in February) only each
// recording organisation's (Consent.Recorder) newest count: a Consent
// counts unless another of its recorder's is newer at both dateTimes'
// precision (Consent.NewerThan: "2025-03-10" is some time that day, so it
// is neither newer nor older than "2025-03-10T09:00:00Z"; of such ones the
// one stored last counts when the caller says when each was stored
// (Consent.RecordedBy, which also caps a dateTime ahead of its storing),
// otherwise both count; a Consent without dateTime, which a write refuses
// but an older release may have stored, is never superseded and counts
// beside the newest; one whose root action excludes reads or whose root
// purposes are none the policy serves is not a candidate at all); all
// those count together, and where several apply a withhold by any wins — so an
// organisation cannot lift an objection another recorded (nor can the
// person's GP practice: it could lift one made against itself). A provision does
// not name the organisation that recorded its Consent (it releases no
// sensitive label to its own recorder), and a permit releases a sensitive
// label only when its recorder is the item's source organisation or the
// person's current registered GP practice (any other organisation's
// permit still shares unlabelled data). A Consent whose root action
// excludes reads (e.g. correct only) has no opinion. policyRule gives the base: OPTIN permit, OPTOUT
// withhold; OPTOUT with no provision withholds everything. An untyped root
// (or one typed like the base) is the Consent's scope: items or users it
// does not match get no opinion; matching ones get the base. A root typed
// opposite to the base is an exception: outside it the base decides. Below
// the root, nested provisions are exceptions: among the provisions whose
// conditions match (their ancestors matching too) the deepest decides; at
// equal depth deny beats permit. No opinion → the carex default for direct
// care (implied consent: permit).
//
// A provision matches when all its elements match (any value within one
// element): recipients (actor: organisation, practitioner, carex role —
// or a national RBAC job role the policy maps onto it, R8014 or
// S8000:G8000:R8014 — or sector of the user), data actors (actor with role CST custodian or AUT
// author: the item's source organisation or author), action (access, use or
// disclose for a read; empty = all), purpose, securityLabel (an item with no
// R/V confidentiality is N), class (an R4 resource type or a data class;
// ParseConsent refuses any other), code (as the labelling compares codes:
// ICD-10 without dots, in any case, the ICD-10 systems as one; a code
// without system in any system; a provision's SNOMED CT concept given
// with its term, or SNOMED named by its OID, is read as the concept, and
// a post-coordinated one is refused on write; a deny's code matches the
// item's Codes or OtherCodes, a permit's its Codes only),
// period (now), dataPeriod (the item's clinical date; a person's
// demographics — Patient, RelatedPerson, Person — are no period's data
// and match no dataPeriod; a date without a time, in period, dataPeriod
// or the Consent's dateTime, is a day in England, Europe/London), data (instance:
// this item; related: this item or items referring to it; authoredby: its
// source organisation or author).
//
// Unknown facts fail closed. Where a condition needs what the item does
// not say — its clinical date (zero Date), its author practitioner
// (Item.AuthorKnown false), what it refers to (Item.RefsKnown false: a
// related condition still matches the named item itself) — the provision
// may or may not match, and the Consent decides as the least releasing
// of the answers: a deny is taken to match and a permit not to (so an
// undated item is covered by a deny's dataPeriod but not a permit's),
// except that a deny below a permit that may not match still counts, and
// an exception permit below a deny that may not match does not lift
// another deny that would decide if it did not match. A permit decided
// where anything was unknown releases no sensitive label. A write refuses
// author and related conditions (Policy.CheckConsent); these rules keep
// a stored one, accepted by an older release, from failing open, and a
// caller that does know an item's author or references says so and gets
// exact matching.
package consent
