// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package konnect

import (
	"net/url"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// A gateway's Konnect registration lives in one Secret it owns: the client certificate Portico
// issued (tls.crt, tls.key; the pods mount these), a successor during rotation (next.crt,
// next.key, never mounted), and in annotations the control plane and the ids Konnect gave the
// certificates. Keeping it there, rather than in status, means it survives a restore and a
// restart, and that a certificate is stored before it is pinned: a pinned certificate whose
// key was lost could never be matched again, nor unpinned.
const (
	registrationPrefix      = "konnect.gateway.portico.dev/"
	annServerURL            = registrationPrefix + "server-url"
	annAuthSecret           = registrationPrefix + "auth-secret"
	annAuthSecretKey        = registrationPrefix + "auth-secret-key"
	annControlPlaneRef      = registrationPrefix + "control-plane-ref"
	annControlPlaneID       = registrationPrefix + "control-plane-id"
	annControlPlaneHost     = registrationPrefix + "control-plane-host"
	annTelemetryHost        = registrationPrefix + "telemetry-host"
	AnnotationCertificateID = registrationPrefix + "certificate-id"
	annCertificateSHA256    = registrationPrefix + "certificate-sha256"
	annRetired              = registrationPrefix + "retired-certificates"

	nextCertKey = "next.crt"
	nextKeyKey  = "next.key"
)

// Registration is the state a gateway's registration Secret holds.
type Registration struct {
	// ServerURL and the auth Secret are what the certificates were pinned with: unpinning after
	// spec.konnect is removed needs them.
	ServerURL, AuthSecret, AuthSecretKey string
	// ControlPlaneRef is the spec's control plane ("id:…" or "name:…"), to notice a change.
	ControlPlaneRef                                 string
	ControlPlaneID, ControlPlaneHost, TelemetryHost string
	// CertificateID is Konnect's id of the certificate in use; "" until it is pinned.
	CertificateID string
	// CertificateSHA256 fingerprints the certificate in use (Portico's or the user's).
	CertificateSHA256 string
	// Retired are "controlPlaneID/certificateID" pairs to unpin once the pods have rolled.
	Retired []string
	// Cert and Key are Portico's certificate in use; NextCert and NextKey its successor.
	Cert, Key, NextCert, NextKey []byte
}

// RegistrationFrom reads a registration Secret.
func RegistrationFrom(secret *corev1.Secret) Registration {
	a := secret.Annotations
	reg := Registration{
		ServerURL: a[annServerURL], AuthSecret: a[annAuthSecret], AuthSecretKey: a[annAuthSecretKey],
		ControlPlaneRef: a[annControlPlaneRef], ControlPlaneID: a[annControlPlaneID],
		ControlPlaneHost: a[annControlPlaneHost], TelemetryHost: a[annTelemetryHost],
		CertificateID: a[AnnotationCertificateID], CertificateSHA256: a[annCertificateSHA256],
		Cert: secret.Data[corev1.TLSCertKey], Key: secret.Data[corev1.TLSPrivateKeyKey],
		NextCert: secret.Data[nextCertKey], NextKey: secret.Data[nextKeyKey],
	}
	if r := a[annRetired]; r != "" {
		reg.Retired = strings.Split(r, ",")
	}
	return reg
}

// WriteTo stores reg in secret, replacing what it held.
func (reg *Registration) WriteTo(secret *corev1.Secret) {
	if secret.Annotations == nil {
		secret.Annotations = map[string]string{}
	}
	for key, value := range map[string]string{
		annServerURL: reg.ServerURL, annAuthSecret: reg.AuthSecret, annAuthSecretKey: reg.AuthSecretKey,
		annControlPlaneRef: reg.ControlPlaneRef, annControlPlaneID: reg.ControlPlaneID,
		annControlPlaneHost: reg.ControlPlaneHost, annTelemetryHost: reg.TelemetryHost,
		AnnotationCertificateID: reg.CertificateID, annCertificateSHA256: reg.CertificateSHA256,
		annRetired: strings.Join(reg.Retired, ","),
	} {
		if value == "" {
			delete(secret.Annotations, key)
		} else {
			secret.Annotations[key] = value
		}
	}
	secret.Data = map[string][]byte{}
	for key, value := range map[string][]byte{
		corev1.TLSCertKey: reg.Cert, corev1.TLSPrivateKeyKey: reg.Key, nextCertKey: reg.NextCert, nextKeyKey: reg.NextKey,
	} {
		if len(value) > 0 {
			secret.Data[key] = value
		}
	}
}

// Retire moves the certificate in use to the ones to unpin.
func (reg *Registration) Retire() {
	if reg.CertificateID != "" {
		reg.Retired = append(reg.Retired, reg.ControlPlaneID+"/"+reg.CertificateID)
	}
	reg.CertificateID = ""
}

// UseControlPlane records cp, looked up for serverURL and the spec's ref, as the
// registration's control plane.
func (reg *Registration) UseControlPlane(serverURL, ref string, cp *ControlPlane) {
	reg.ServerURL, reg.ControlPlaneRef, reg.ControlPlaneID = serverURL, ref, cp.ID
	reg.ControlPlaneHost, reg.TelemetryHost = hostOf(cp.Endpoint), hostOf(cp.TelemetryEndpoint)
}

// hostOf is an endpoint URL's host, without scheme or port.
func hostOf(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return strings.TrimPrefix(endpoint, "https://")
	}
	return u.Hostname()
}

// Pinned lists every certificate reg knows to be pinned, as "controlPlaneID/certificateID".
func (reg *Registration) Pinned() []string {
	out := append([]string(nil), reg.Retired...)
	if reg.CertificateID != "" {
		out = append(out, reg.ControlPlaneID+"/"+reg.CertificateID)
	}
	return out
}

// Backoff is how long to wait after failures failed calls in a row: base, doubling, at most
// ceiling.
func Backoff(failures int, base, ceiling time.Duration) time.Duration {
	d := base
	for i := 1; i < failures && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}
