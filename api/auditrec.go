package api

import (
	"context"

	"github.com/carex-project/carex/store/auditlog"
)

// LogRecorder writes every exchange to the tamper-evident access log.
type LogRecorder struct{ Log *auditlog.Log }

// Record returns once the entry is durable. A client that hangs up does not
// cancel it: the entry of a request that was processed must not be lost.
func (r LogRecorder) Record(ctx context.Context, x *Exchange) error {
	e := &auditlog.Entry{
		RequestID: x.RequestID, BreakGlass: x.BreakGlass, Client: x.Client,
		Operation: x.Operation, Method: x.Method, Path: x.Path,
		ResourceType: x.Type, ResourceID: x.ID, Patient: x.Patient, NHSNumber: x.NHSNumber, Patients: x.Patients,
		Released: x.Released, Withheld: x.Withheld, Decision: x.Decision, Reasons: x.Reasons, Status: x.Status,
		Restricted: x.restricted,
	}
	if p := x.Principal; p != nil {
		e.Sub, e.Name, e.Role, e.Org, e.Sector, e.Purpose = p.Sub, p.Name, p.Role, p.Org, p.Sector, p.Purpose
	}
	return r.Log.Append(context.WithoutCancel(ctx), e)
}
