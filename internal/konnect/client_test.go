// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package konnect_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/portico-dev/portico/internal/konnect"
	"github.com/portico-dev/portico/internal/konnect/konnecttest"
)

const (
	cpID  = "3f8d1a52-6b7e-4c1d-9e2f-0a1b2c3d4e5f"
	token = "kpat_secret_token_value"
)

func server(t *testing.T) *konnecttest.Server {
	t.Helper()
	s, err := konnecttest.New(token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if v := s.Violations(); len(v) > 0 {
			t.Errorf("contract violations: %v", v)
		}
	})
	s.AddControlPlane(cpID, "edge")
	return s
}

func TestRegistrationCalls(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	s := server(t)
	c := konnect.NewClient(s.URL, token, s.Client(), nil)

	cp, err := c.ControlPlane(ctx, cpID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cp.Endpoint).To(HavePrefix("https://"))
	g.Expect(cp.TelemetryEndpoint).To(HavePrefix("https://"))
	byName, err := c.ControlPlaneByName(ctx, "edge")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(byName.ID).To(Equal(cpID))

	pair, err := konnect.Issue("edge", time.Now(), 90*24*time.Hour, rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	id, err := c.Pin(ctx, cpID, string(pair.CertPEM))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(id).NotTo(BeEmpty())
	certs, err := c.Certificates(ctx, cpID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(certs).To(ConsistOf(konnect.Certificate{ID: id, Cert: string(pair.CertPEM)}))

	s.CheckIn(cpID, "edge-7d4b9c-x2x7q")
	nodes, _, err := c.Nodes(ctx, cpID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(nodes).To(HaveLen(1))
	g.Expect(nodes[0].Hostname).To(Equal("edge-7d4b9c-x2x7q"))

	g.Expect(c.Unpin(ctx, cpID, id)).To(Succeed())
	g.Expect(c.Unpin(ctx, cpID, id)).To(Succeed(), "unpinning twice is fine: it is gone")
	g.Expect(s.Certificates(cpID)).To(BeEmpty())
}

func TestErrorsAreClassifiedAndKeepTheTokenOut(t *testing.T) {
	ctx := context.Background()
	s := server(t)
	cases := []struct {
		name  string
		setup func()
		token string
		id    string
		want  error
	}{
		{"wrong token", func() {}, "spat_wrong", cpID, konnect.ErrAuth},
		{"no such control plane", func() {}, token, "00000000-0000-4000-8000-000000000000", konnect.ErrNotFound},
		{"rate limited", func() { s.Inject(konnecttest.Fault{PathContains: cpID, Status: 429, RetryAfter: 7 * time.Second}) }, token, cpID, konnect.ErrUnavailable},
		{"server error", func() { s.Inject(konnecttest.Fault{PathContains: cpID, Status: 500}) }, token, cpID, konnect.ErrUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			tc.setup()
			_, err := konnect.NewClient(s.URL, tc.token, s.Client(), nil).ControlPlane(ctx, tc.id)
			g.Expect(errors.Is(err, tc.want)).To(BeTrue(), "got %v", err)
			g.Expect(err.Error()).NotTo(ContainSubstring(tc.token))
			g.Expect(strings.Contains(err.Error(), "kpat_")).To(BeFalse())
		})
	}
	var retry *konnect.RetryAfterError
	s.Inject(konnecttest.Fault{PathContains: cpID, Status: 429, RetryAfter: 7 * time.Second})
	_, err := konnect.NewClient(s.URL, token, s.Client(), nil).ControlPlane(ctx, cpID)
	NewWithT(t).Expect(errors.As(err, &retry)).To(BeTrue())
	NewWithT(t).Expect(retry.RetryAfter).To(Equal(7 * time.Second))
}

func TestCertificatesRotateBeforeExpiry(t *testing.T) {
	g := NewWithT(t)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	pair, err := konnect.Issue("edge", now, 90*24*time.Hour, rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	notAfter, err := konnect.NotAfter(pair.CertPEM)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(notAfter).To(Equal(now.Add(90 * 24 * time.Hour)))
	g.Expect(konnect.RotateAt(notAfter, 30*24*time.Hour)).To(Equal(now.Add(60 * 24 * time.Hour)))
	g.Expect(string(pair.KeyPEM)).To(HavePrefix("-----BEGIN EC PRIVATE KEY-----"))
}

// A failing region is left alone: after a 5xx or a 429, calls fail at once, without a request,
// until the hold (or Retry-After) has passed. One gateway pays for the outage, not every one.
func TestGateHoldsCallsToAFailingRegion(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	s := server(t)
	now := time.Now()
	gate := konnect.NewGate(func() time.Time { return now }, konnect.DefaultUnavailableHold, 4)
	first := konnect.NewClient(s.URL, token, s.Client(), gate)
	other := konnect.NewClient(s.URL, token, s.Client(), gate)

	s.Inject(konnecttest.Fault{PathContains: cpID, Status: 500})
	_, err := first.ControlPlane(ctx, cpID)
	g.Expect(errors.Is(err, konnect.ErrUnavailable)).To(BeTrue())
	sent := len(s.Requests())
	_, _, err = other.Nodes(ctx, cpID)
	g.Expect(errors.Is(err, konnect.ErrUnavailable)).To(BeTrue())
	g.Expect(s.Requests()).To(HaveLen(sent), "held back, not sent")

	now = now.Add(6 * time.Second)
	_, _, err = other.Nodes(ctx, cpID)
	g.Expect(err).NotTo(HaveOccurred())

	s.Inject(konnecttest.Fault{PathContains: cpID, Status: 429, RetryAfter: 30 * time.Second})
	_, _, err = first.Nodes(ctx, cpID)
	var retry *konnect.RetryAfterError
	g.Expect(errors.As(err, &retry)).To(BeTrue())
	now = now.Add(20 * time.Second)
	_, _, err = other.Nodes(ctx, cpID)
	g.Expect(errors.As(err, &retry)).To(BeTrue())
	g.Expect(retry.RetryAfter).To(Equal(10 * time.Second))
	now = now.Add(10 * time.Second)
	_, _, err = other.Nodes(ctx, cpID)
	g.Expect(err).NotTo(HaveOccurred())
}

// The hold is per control plane and token: a tenant whose token is rate limited, or whose
// control plane fails, holds back no one else.
func TestGateHoldsOnlyTheFailingControlPlaneAndToken(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	s := server(t)
	otherCP := "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	s.AddControlPlane(otherCP, "other")
	gate := konnect.NewGate(time.Now, time.Minute, 4)
	failing := konnect.NewClient(s.URL, token, s.Client(), gate)

	s.Inject(konnecttest.Fault{PathContains: cpID, Status: 500})
	_, err := failing.ControlPlane(ctx, cpID)
	g.Expect(errors.Is(err, konnect.ErrUnavailable)).To(BeTrue())
	sent := len(s.Requests())
	_, err = failing.ControlPlane(ctx, cpID)
	g.Expect(errors.Is(err, konnect.ErrUnavailable)).To(BeTrue())
	g.Expect(s.Requests()).To(HaveLen(sent), "the failing control plane is held")

	_, err = failing.ControlPlane(ctx, otherCP)
	g.Expect(err).NotTo(HaveOccurred(), "another control plane, same token: not held")
	_, err = konnect.NewClient(s.URL, "kpat_another_token", s.Client(), gate).ControlPlane(ctx, cpID)
	g.Expect(errors.Is(err, konnect.ErrAuth)).To(BeTrue(), "another token: sent (and refused by the server), not held")
}

// Konnect stamps pings with its own clock; the answer's Date says what that clock read.
func TestNodesComeWithKonnectsClock(t *testing.T) {
	g := NewWithT(t)
	s := server(t)
	konnectNow := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return konnectNow })
	s.CheckIn(cpID, "edge-7d4b9c-x2x7q")
	nodes, answeredAt, err := konnect.NewClient(s.URL, token, s.Client(), nil).Nodes(context.Background(), cpID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(answeredAt).To(BeTemporally("==", konnectNow))
	g.Expect(nodes[0].LastPing).To(BeTemporally("==", konnectNow))
}

// An answer far larger than any of Konnect's is refused after reading MaxAnswer of it.
func TestOversizedAnswersAreRefusedInBoundedMemory(t *testing.T) {
	g := NewWithT(t)
	s := server(t)
	s.Inject(konnecttest.Fault{PathContains: "/nodes", Oversize: 50 << 20})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := konnect.NewClient(s.URL, token, s.Client(), nil).Nodes(context.Background(), cpID)
	runtime.ReadMemStats(&after)
	g.Expect(errors.Is(err, konnect.ErrUnavailable)).To(BeTrue(), "got %v", err)
	g.Expect(err.Error()).To(ContainSubstring("larger than 1024 KiB"))
	// The server side of this test writes 50 MiB too, in 64 KiB pieces.
	g.Expect(after.TotalAlloc-before.TotalAlloc).To(BeNumerically("<", 8<<20), "bytes allocated")
}

// Slow answers hold only the gate's slots: past them, a call gives up at once rather than
// hold another reconcile worker.
func TestSlowCallsHoldOnlyTheirShareOfWorkers(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	s := server(t)
	gate := konnect.NewGate(time.Now, time.Second, 1)
	s.Inject(konnecttest.Fault{PathContains: cpID, Delay: 4 * time.Second})
	slow := make(chan error)
	go func() {
		_, err := konnect.NewClient(s.URL, token, s.Client(), gate).ControlPlane(ctx, cpID)
		slow <- err
	}()
	g.Eventually(s.Requests).ShouldNot(BeEmpty())
	start := time.Now()
	_, err := konnect.NewClient(s.URL, token, s.Client(), gate).ControlPlaneByName(ctx, "edge")
	g.Expect(errors.Is(err, konnect.ErrBusy)).To(BeTrue(), "got %v", err)
	g.Expect(time.Since(start)).To(BeNumerically("<", 3*time.Second))
	g.Expect(<-slow).NotTo(HaveOccurred())
	_, err = konnect.NewClient(s.URL, token, s.Client(), gate).ControlPlaneByName(ctx, "edge")
	g.Expect(err).NotTo(HaveOccurred(), "the slot is free again")
}

// Retry-After is obeyed up to a cap, in either of its forms.
func TestRetryAfterIsCapped(t *testing.T) {
	g := NewWithT(t)
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for header, want := range map[string]time.Duration{
		"7":     7 * time.Second,
		"86400": konnect.MaxRetryAfter,
		"0":     time.Second,
		"":      time.Second,
		"soon":  time.Second,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(48 * time.Hour).Format(http.TimeFormat):   konnect.MaxRetryAfter,
		now.Add(-time.Hour).Format(http.TimeFormat):       time.Second,
	} {
		g.Expect(konnect.ParseRetryAfter(header, now)).To(Equal(want), "Retry-After: %q", header)
	}
}

// A failed connection is named by its kind alone: no host, address or certificate detail
// reaches the error (and so status and events).
func TestTransportFailuresAreClassified(t *testing.T) {
	ctx := context.Background()
	s := server(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	for name, tc := range map[string]struct {
		url  string
		hc   *http.Client
		want string
	}{
		// Nothing listens there any more.
		"refused": {closedURL, s.Client(), "connection refused"},
		// Go's default roots do not trust the stand-in's certificate.
		"untrusted certificate": {s.URL, &http.Client{Timeout: 5 * time.Second}, "TLS handshake failed"},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := konnect.NewClient(tc.url, token, tc.hc, nil).ControlPlane(ctx, cpID)
			g.Expect(errors.Is(err, konnect.ErrUnavailable)).To(BeTrue(), "got %v", err)
			g.Expect(err.Error()).To(HaveSuffix(tc.want))
			g.Expect(err.Error()).NotTo(ContainSubstring("127.0.0.1"))
			g.Expect(err.Error()).NotTo(ContainSubstring("x509"))
		})
	}
}

// Every call is told to the gate's observer with its operation and a bounded outcome.
func TestGateObservesEveryCall(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	s := server(t)
	var seen []string
	gate := konnect.NewGate(time.Now, time.Minute, 2)
	gate.Observer = func(operation, outcome string) { seen = append(seen, operation+" "+outcome) }
	c := konnect.NewClient(s.URL, token, s.Client(), gate)
	_, err := c.ControlPlane(ctx, cpID)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.ControlPlane(ctx, "00000000-0000-4000-8000-00000000dead")
	g.Expect(err).To(HaveOccurred())
	_, _, err = c.Nodes(ctx, cpID)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = konnect.NewClient(s.URL, "kpat_wrong", s.Client(), gate).ControlPlane(ctx, cpID)
	g.Expect(err).To(HaveOccurred())
	g.Expect(seen).To(Equal([]string{"get_control_plane success", "get_control_plane not_found", "list_nodes success", "get_control_plane unauthorized"}))
}
