// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package konnect

import (
	"crypto/rand"
	"reflect"
	"testing"
	"time"
)

// renewBefore is the renewal lead of the certificates these tests plan for.
const renewBefore = 30 * 24 * time.Hour

// ownCertificate is a certificate Portico issued at issued for 90 days, and when it is due
// for renewal.
func ownCertificate(t *testing.T) (pair *KeyPair, issued, notAfter, renewAt time.Time) {
	t.Helper()
	issued = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	pair, err := Issue("ns/gw", issued, 90*24*time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	notAfter, _ = NotAfter(pair.CertPEM)
	return pair, issued, notAfter, notAfter.Add(-renewBefore)
}

func TestPlanCertificate(t *testing.T) {
	pair, issued, notAfter, renewAt := ownCertificate(t)
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

func TestPollSchedule(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	timings := PollTimings{Interval: time.Minute, Busy: time.Second, CatchUpGap: 5 * time.Second, RetryBase: 5 * time.Second, RetryMax: 5 * time.Minute}
	var p PollSchedule
	if !p.Due(t0, false, timings) {
		t.Fatal("a schedule never polled is not due")
	}
	p = p.After(PollSucceeded, t0, 0, timings)
	for _, c := range []struct {
		name     string
		at       time.Duration
		awaiting bool
		want     bool
	}{
		{"within the interval", 30 * time.Second, false, false},
		{"at the interval", time.Minute, false, true},
		{"new pods expected, the last attempt 5 s old", 5 * time.Second, true, true},
		{"new pods expected, the last attempt 4 s old", 4 * time.Second, true, false},
	} {
		if got := p.Due(t0.Add(c.at), c.awaiting, timings); got != c.want {
			t.Errorf("%s: Due = %v, want %v", c.name, got, c.want)
		}
	}
	// Failures back off from RetryBase, at least as long as Konnect asked; success resets.
	p = p.After(PollFailed, t0, 0, timings)
	p = p.After(PollFailed, t0, 0, timings)
	if p.Failures != 2 || !p.Next.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("after two failures: %+v", p)
	}
	if q := p.After(PollFailed, t0, time.Hour, timings); !q.Next.Equal(t0.Add(time.Hour)) {
		t.Fatalf("Retry-After not honoured: %+v", q)
	}
	if q := p.After(PollBusy, t0, 0, timings); q.Failures != 2 || !q.Next.Equal(t0.Add(time.Second)) {
		t.Fatalf("a busy poll is not a failure, and retries in a second: %+v", q)
	}
	if q := p.After(PollSucceeded, t0, 0, timings); q.Failures != 0 || !q.Next.Equal(t0.Add(time.Minute)) {
		t.Fatalf("success: %+v", q)
	}
}

func TestUnpinRetired(t *testing.T) {
	reg := Registration{CertificateID: "new", Retired: []string{"cp/old"}}
	for _, c := range []struct {
		name     string
		reg      Registration
		template string
		done     bool
		want     bool
	}{
		{"rolled out onto the new one", reg, "new", true, true},
		{"still rolling", reg, "new", false, false},
		{"the template still names the old one", reg, "old", true, false},
		{"nothing retired", Registration{CertificateID: "new"}, "new", true, false},
		{"the new one not pinned yet", Registration{Retired: []string{"cp/old"}}, "", true, false},
	} {
		if got := UnpinRetired(c.reg, c.template, c.done); got != c.want {
			t.Errorf("%s: UnpinRetired = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPlanRegistration(t *testing.T) {
	pair, issued, _, renewAt := ownCertificate(t)
	want := Want{ServerURL: "https://eu.api.konghq.com", ControlPlaneRef: "name:edge", RenewBefore: renewBefore}
	users := want
	users.UserCertificate = "fingerprint-of-the-users-certificate"
	cp := &ControlPlane{ID: "cp-1", Endpoint: "https://abc.cp0.konghq.com:443"}
	otherCP := &ControlPlane{ID: "cp-2", Endpoint: "https://def.cp0.konghq.com"}

	pinned := Registration{ServerURL: want.ServerURL, ControlPlaneRef: want.ControlPlaneRef, ControlPlaneID: "cp-1",
		ControlPlaneHost: "abc.cp0.konghq.com", CertificateID: "cert-1",
		Cert: pair.CertPEM, Key: pair.KeyPEM, CertificateSHA256: Fingerprint(pair.CertPEM)}
	notPinned := pinned
	notPinned.CertificateID = ""
	withSuccessor := pinned
	withSuccessor.NextCert, withSuccessor.NextKey = []byte("next"), []byte("key")
	usersPinned := pinned
	usersPinned.Cert, usersPinned.Key, usersPinned.CertificateSHA256 = nil, nil, users.UserCertificate

	for _, c := range []struct {
		name  string
		reg   Registration
		want  Want
		found *ControlPlane
		now   time.Time
		plan  RegistrationPlan
	}{
		{"a new registration: record, issue, pin", Registration{}, want, cp, issued,
			RegistrationPlan{ControlPlane: cp, Certificate: IssueCertificate, Retire: true, Pin: true}},
		{"registered and fresh: nothing but the renewal time", pinned, want, nil, issued.Add(time.Hour),
			RegistrationPlan{Certificate: KeepCertificate, RenewAt: renewAt}},
		{"a pin that failed is tried again", notPinned, want, nil, issued.Add(time.Hour),
			RegistrationPlan{Certificate: KeepCertificate, RenewAt: renewAt, Pin: true}},
		{"the same control plane looked up again: nothing retired", pinned, want, cp, issued.Add(time.Hour),
			RegistrationPlan{ControlPlane: cp, Certificate: KeepCertificate, RenewAt: renewAt}},
		{"another control plane: retire and pin there", pinned, want, otherCP, issued.Add(time.Hour),
			RegistrationPlan{ControlPlane: otherCP, Certificate: KeepCertificate, RenewAt: renewAt, Retire: true, Pin: true}},
		{"renewal due: issue and pin a successor", pinned, want, nil, renewAt,
			RegistrationPlan{Certificate: IssueSuccessor, PinSuccessor: true}},
		{"a successor not pinned yet is pinned", withSuccessor, want, nil, renewAt.Add(time.Hour),
			RegistrationPlan{Certificate: KeepCertificate, PinSuccessor: true}},
		{"the user's certificate replaces Portico's", pinned, users, nil, issued,
			RegistrationPlan{Certificate: UseUserCertificate, Retire: true, Pin: true}},
		{"the user's certificate, pinned: nothing", usersPinned, users, nil, issued,
			RegistrationPlan{Certificate: UseUserCertificate}},
		{"back from the user's certificate to Portico's", usersPinned, want, nil, issued,
			RegistrationPlan{Certificate: IssueCertificate, Retire: true, Pin: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := PlanRegistration(c.reg, c.want, c.found, c.now); !reflect.DeepEqual(got, c.plan) {
				t.Fatalf("PlanRegistration =\n%+v\nwant\n%+v", got, c.plan)
			}
		})
	}
}

func TestNeedsControlPlane(t *testing.T) {
	want := Want{ServerURL: "https://us.api.konghq.com", ControlPlaneRef: "id:cp-1"}
	known := Registration{ServerURL: want.ServerURL, ControlPlaneRef: want.ControlPlaneRef, ControlPlaneHost: "abc.cp0.konghq.com"}
	otherServer, otherRef, noHost := known, known, known
	otherServer.ServerURL = "https://eu.api.konghq.com"
	otherRef.ControlPlaneRef = "name:edge"
	noHost.ControlPlaneHost = ""
	for _, c := range []struct {
		name string
		reg  Registration
		want bool
	}{
		{"known", known, false},
		{"another server", otherServer, true},
		{"another control plane", otherRef, true},
		{"its endpoint not known yet", noHost, true},
		{"nothing known", Registration{}, true},
	} {
		if got := NeedsControlPlane(c.reg, want); got != c.want {
			t.Errorf("%s: NeedsControlPlane = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestUseControlPlane(t *testing.T) {
	var reg Registration
	reg.UseControlPlane("https://us.api.konghq.com", "id:cp-1", &ControlPlane{ID: "cp-1",
		Endpoint: "https://abc.us.cp0.konghq.com:443", TelemetryEndpoint: "abc.us.tp0.konghq.com"})
	if reg.ControlPlaneID != "cp-1" || reg.ControlPlaneHost != "abc.us.cp0.konghq.com" || reg.TelemetryHost != "abc.us.tp0.konghq.com" ||
		reg.ServerURL != "https://us.api.konghq.com" || reg.ControlPlaneRef != "id:cp-1" {
		t.Fatalf("UseControlPlane recorded %+v", reg)
	}
}
