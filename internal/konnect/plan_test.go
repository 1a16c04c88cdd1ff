// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package konnect

import (
	"crypto/rand"
	"testing"
	"time"
)

func TestPlanCertificate(t *testing.T) {
	issued := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	pair, err := Issue("ns/gw", issued, 90*24*time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	notAfter, _ := NotAfter(pair.CertPEM)
	renewBefore := 30 * 24 * time.Hour
	renewAt := notAfter.Add(-renewBefore)
	own := Registration{Cert: pair.CertPEM, Key: pair.KeyPEM, CertificateSHA256: Fingerprint(pair.CertPEM)}
	withSuccessor := own
	withSuccessor.NextCert, withSuccessor.NextKey = []byte("next"), []byte("key")
	users := own
	users.CertificateSHA256 = "fingerprint-of-the-users-certificate"

	for _, c := range []struct {
		name     string
		reg      Registration
		now      time.Time
		want     CertificateStep
		wantNext time.Time
	}{
		{"none yet", Registration{}, issued, IssueCertificate, time.Time{}},
		{"the user's was in use", users, issued, IssueCertificate, time.Time{}},
		{"fresh: kept until its renewal time", own, issued.Add(time.Hour), KeepCertificate, renewAt},
		{"a second before its renewal time", own, renewAt.Add(-time.Second), KeepCertificate, renewAt},
		{"at its renewal time: a successor", own, renewAt, IssueSuccessor, time.Time{}},
		{"expired, no successor: a successor", own, notAfter.Add(time.Hour), IssueSuccessor, time.Time{}},
		{"the successor exists: wait for the pods", withSuccessor, renewAt.Add(time.Hour), KeepCertificate, time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			step, next := PlanCertificate(c.reg, renewBefore, c.now)
			if step != c.want || !next.Equal(c.wantNext) {
				t.Fatalf("PlanCertificate = %d, %s; want %d, %s", step, next, c.want, c.wantNext)
			}
		})
	}
}
