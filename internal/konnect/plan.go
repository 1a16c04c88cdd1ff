// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package konnect

import "time"

// The registration's decisions, each from what the registrar gathered and a given clock:
// before the render, PlanRegistration (control plane, certificate, pins) on top of
// PlanCertificate; after the apply, once the rollout can be seen, UnpinRetired and the
// PollSchedule of the data planes' check-ins. Backoff (registration.go) spaces the retries.

// CertificateStep is what a registration's own certificate (one Portico issues) needs now.
type CertificateStep int

const (
	// KeepCertificate: the certificate in use stands until its renewal time.
	KeepCertificate CertificateStep = iota
	// IssueCertificate: there is none of Portico's in use (none yet, or the registration held
	// a user's certificate until now): issue one, and retire the one pinned.
	IssueCertificate
	// IssueSuccessor: the certificate in use is past its renewal time and has no successor
	// yet: issue the next one, to pin beside it before the pods roll onto it.
	IssueSuccessor
)

// PlanCertificate decides what reg's own certificate needs at now, and when it is next due
// for renewal (zero unless KeepCertificate). It reads only reg and the clock it is given.
func PlanCertificate(reg Registration, renewBefore time.Duration, now time.Time) (CertificateStep, time.Time) {
	notAfter, err := NotAfter(reg.Cert)
	if err != nil || Fingerprint(reg.Cert) != reg.CertificateSHA256 {
		return IssueCertificate, time.Time{}
	}
	switch renewAt := RotateAt(notAfter, renewBefore); {
	case now.Before(renewAt):
		return KeepCertificate, renewAt
	case len(reg.NextCert) == 0:
		return IssueSuccessor, time.Time{}
	}
	return KeepCertificate, time.Time{} // the successor is on its way to the pods
}

// PollSchedule is when a control plane's list of data planes is next asked for, for one
// gateway.
type PollSchedule struct {
	// Next is when the interval or, after a failure, the backoff has passed.
	Next time.Time
	// LastAttempt is when it was last asked; Failures counts failed polls in a row.
	LastAttempt time.Time
	Failures    int
}

// PollOutcome is how a poll went.
type PollOutcome int

const (
	PollSucceeded PollOutcome = iota
	PollFailed
	// PollBusy: no slot was free for the call; the last answer stands.
	PollBusy
)

// PollTimings are the waits of a poll schedule.
type PollTimings struct {
	// Interval is the spec's poll interval; Busy how soon a call that found no slot tries
	// again; CatchUpGap spaces the extra polls while new pods are expected to check in.
	Interval, Busy, CatchUpGap time.Duration
	// RetryBase and RetryMax bound the backoff after failures.
	RetryBase, RetryMax time.Duration
}

// Due tells whether to poll at now: the schedule's time has come, or new pods are expected to
// check in (awaiting) and the last attempt is CatchUpGap old.
func (p PollSchedule) Due(now time.Time, awaiting bool, t PollTimings) bool {
	return !now.Before(p.Next) || (awaiting && now.Sub(p.LastAttempt) >= t.CatchUpGap)
}

// After is the schedule after a poll at now that went as outcome; retryAfter is what Konnect
// asked to wait, if it did.
func (p PollSchedule) After(outcome PollOutcome, now time.Time, retryAfter time.Duration, t PollTimings) PollSchedule {
	p.LastAttempt = now
	switch outcome {
	case PollBusy:
		p.Next = now.Add(t.Busy)
	case PollFailed:
		p.Failures++
		p.Next = now.Add(max(Backoff(p.Failures, t.RetryBase, t.RetryMax), retryAfter))
	default:
		p.Failures = 0
		p.Next = now.Add(t.Interval)
	}
	return p
}

// UnpinRetired tells whether reg's retired certificates may be unpinned: every pod runs the
// certificate in use (the pod template names it, and the rollout onto it completed), so none
// still connects with a retired one.
func UnpinRetired(reg Registration, templateCertificateID string, rolledOut bool) bool {
	return len(reg.Retired) > 0 && reg.CertificateID != "" && templateCertificateID == reg.CertificateID && rolledOut
}

// Want is what spec.konnect asks of a registration.
type Want struct {
	// ServerURL is the Konnect API the registration is made with.
	ServerURL string
	// ControlPlaneRef names the control plane, as "id:…" or "name:…".
	ControlPlaneRef string
	// UserCertificate fingerprints the certificate of the user's Secret; "" when Portico
	// issues its own, renewing it RenewBefore its expiry.
	UserCertificate string
	RenewBefore     time.Duration
}

// NeedsControlPlane tells whether the control plane must be looked up before planning: the
// spec names another one, or another server, or its endpoint is not known yet.
func NeedsControlPlane(reg Registration, want Want) bool {
	return reg.ControlPlaneRef != want.ControlPlaneRef || reg.ServerURL != want.ServerURL || reg.ControlPlaneHost == ""
}

// RegistrationPlan is what a registration needs, in the order it is carried out: retire,
// record the control plane, see to the certificate, store, pin, pin the successor.
type RegistrationPlan struct {
	// Retire moves the certificate pinned to the ones to unpin once the pods have rolled:
	// the registration moved to another control plane, or its certificate is replaced.
	Retire bool
	// ControlPlane, when set, is the control plane to record (it was looked up).
	ControlPlane *ControlPlane
	// Certificate is what Portico's own certificate needs; UseUserCertificate when the
	// user's Secret provides it.
	Certificate CertificateStep
	// Pin pins the certificate in use, which no certificate id names yet.
	Pin bool
	// PinSuccessor pins the successor, which then takes the place of the certificate in use.
	PinSuccessor bool
	// RenewAt is when Portico's certificate is next due for renewal; zero when nothing waits.
	RenewAt time.Time
}

// UseUserCertificate: the user's certificate is the one in use (with Retire when it is new).
const UseUserCertificate CertificateStep = -1

// PlanRegistration decides what reg needs at now to be what want asks. found is the control
// plane looked up when NeedsControlPlane said so, nil otherwise. It reads only its arguments.
func PlanRegistration(reg Registration, want Want, found *ControlPlane, now time.Time) RegistrationPlan {
	plan := RegistrationPlan{ControlPlane: found}
	// Moving to another control plane leaves the certificate pinned to the old one.
	plan.Retire = found != nil && found.ID != reg.ControlPlaneID
	if want.UserCertificate != "" {
		plan.Certificate = UseUserCertificate
		plan.Retire = plan.Retire || want.UserCertificate != reg.CertificateSHA256
	} else {
		plan.Certificate, plan.RenewAt = PlanCertificate(reg, want.RenewBefore, now)
		plan.Retire = plan.Retire || plan.Certificate == IssueCertificate
		plan.PinSuccessor = plan.Certificate == IssueSuccessor || len(reg.NextCert) > 0
	}
	plan.Pin = plan.Retire || reg.CertificateID == ""
	return plan
}
