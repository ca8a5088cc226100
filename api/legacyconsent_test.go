package api_test

import (
	"context"
	"strings"
	"testing"
	"time"
)

// legacyRewrite stores what a release before api.LegacySupersessionEnd
// stored when the GP system recorded a newer Consent: the newer one and,
// in the same transaction, the older one again with only its status
// turned inactive. (A transaction of both writes is that release's
// outcome byte for byte, bar meta.)
func legacyRewrite(t *testing.T, e *env, token, olderBody, newerBody string) {
	t.Helper()
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"resource":` + newerBody + `,"request":{"method":"PUT","url":"Consent/newer"}},
	 {"resource":` + olderBody + `,"request":{"method":"PUT","url":"Consent/older"}}]}`
	if r := e.do("POST", "/fhir", token, tx); r.status != 200 {
		t.Fatalf("transaction: %d %s", r.status, r.body)
	}
}

// TestRestoreLegacyInactiveConsents: an objection an earlier release
// rewrote to inactive, when the GP system recorded a newer permit, is
// stored active again, so that marking the permit entered-in-error brings
// the objection back into force (review 4k); an inactive status the
// recorder wrote itself stays.
func TestRestoreLegacyInactiveConsents(t *testing.T) {
	ctx := context.Background()
	older := janeConsent("older", "2025-03-09", "OPTOUT", "")
	olderInactive := strings.Replace(older, `"status":"active"`, `"status":"inactive"`, 1)
	newer := janeConsent("newer", "2025-03-10", "OPTIN", "")
	later := time.Now().Add(time.Hour) // every version here counts as written by the earlier release

	t.Run("restored, and the objection returns once the permit is corrected", func(t *testing.T) {
		e := newEnv(t)
		seedShared(t, e)
		gpSys := e.token("system", "nhs", "A81001")
		nurse := e.token("district-nurse", "nhs", "RCX")
		e.putAll(t, gpSys, [2]string{"/fhir/Consent/older", older})
		legacyRewrite(t, e, gpSys, olderInactive, newer)

		found, err := e.api.RestoreLegacyInactiveConsents(ctx, later)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != 1 || found[0].ID != "older" || found[0].Inactive != 2 || found[0].Restored != 3 {
			t.Fatalf("restored %+v, want Consent/older version 2 restored as 3", found)
		}
		if r := e.do("GET", "/fhir/Consent/older", gpSys, ""); !strings.Contains(r.body, `"status":"active"`) || !strings.Contains(r.body, `"versionId":"3"`) {
			t.Fatalf("Consent/older after the restore: %s", r.body)
		}
		if r := e.do("GET", "/fhir/Consent/older/_history/2", gpSys, ""); !strings.Contains(r.body, `"status":"inactive"`) {
			t.Fatalf("the inactive version left the history: %d %s", r.status, r.body)
		}
		// The newer permit still decides while it stands.
		if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status != 200 {
			t.Fatalf("with the newer permit in force the nurse reads the GP record: %d", r.status)
		}
		e.putAll(t, gpSys, [2]string{"/fhir/Consent/newer", strings.Replace(newer, `"status":"active"`, `"status":"entered-in-error"`, 1)})
		if r := e.do("GET", "/fhir/Condition/diabetes", nurse, ""); r.status == 200 {
			t.Fatalf("the permit was entered in error, yet the objection is not in force: %d %s", r.status, r.body)
		}
		again, err := e.api.RestoreLegacyInactiveConsents(ctx, later)
		if err != nil || len(again) != 0 {
			t.Fatalf("a second run restored %+v (%v), want nothing", again, err)
		}
	})

	notRestored := []struct {
		name  string
		write func(t *testing.T, e *env, token string)
		until time.Time
	}{
		{"made inactive by its recorder on its own", func(t *testing.T, e *env, token string) {
			e.putAll(t, token, [2]string{"/fhir/Consent/newer", newer}, [2]string{"/fhir/Consent/older", olderInactive})
		}, later},
		{"made inactive with another change beside a newer one", func(t *testing.T, e *env, token string) {
			legacyRewrite(t, e, token, strings.Replace(olderInactive, "2025-03-09", "2025-03-08", 1), newer)
		}, later},
		{"beside a newer one that is not about the person's privacy", func(t *testing.T, e *env, token string) {
			legacyRewrite(t, e, token, olderInactive, strings.Replace(newer, `"status":"active"`, `"status":"inactive"`, 1))
		}, later},
		{"stored after the earlier release", func(t *testing.T, e *env, token string) {
			legacyRewrite(t, e, token, olderInactive, newer)
		}, time.Now().Add(-time.Hour)},
	}
	for _, tc := range notRestored {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			seedShared(t, e)
			gpSys := e.token("system", "nhs", "A81001")
			e.putAll(t, gpSys, [2]string{"/fhir/Consent/older", older})
			tc.write(t, e, gpSys)
			found, err := e.api.RestoreLegacyInactiveConsents(ctx, tc.until)
			if err != nil || len(found) != 0 {
				t.Fatalf("restored %+v (%v), want nothing", found, err)
			}
			if r := e.do("GET", "/fhir/Consent/older", gpSys, ""); !strings.Contains(r.body, `"status":"inactive"`) {
				t.Fatalf("Consent/older: %s", r.body)
			}
		})
	}
}
