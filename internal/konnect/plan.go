// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package konnect

import "time"

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
	switch {
	case err != nil || Fingerprint(reg.Cert) != reg.CertificateSHA256:
		return IssueCertificate, time.Time{}
	case !now.Before(RotateAt(notAfter, renewBefore)) && len(reg.NextCert) == 0:
		return IssueSuccessor, time.Time{}
	case !now.Before(RotateAt(notAfter, renewBefore)):
		return KeepCertificate, time.Time{} // the successor is on its way to the pods
	}
	return KeepCertificate, RotateAt(notAfter, renewBefore)
}
