// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package konnect

import (
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A registration survives the round trip through its Secret, and writing one that holds
// less removes what the Secret held beyond it.
func TestRegistrationRoundTrip(t *testing.T) {
	full := Registration{
		ServerURL: "https://eu.api.konghq.com", AuthSecret: "token", AuthSecretKey: "token",
		ControlPlaneRef: "name:edge", ControlPlaneID: "cp-1", ControlPlaneHost: "cp.example", TelemetryHost: "tp.example",
		CertificateID: "cert-2", CertificateSHA256: "ab12", Retired: []string{"cp-1/cert-0", "cp-1/cert-1"},
		Cert: []byte("crt"), Key: []byte("key"), NextCert: []byte("next-crt"), NextKey: []byte("next-key"),
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"other": "kept"}}}
	full.WriteTo(secret)
	if got := RegistrationFrom(secret); !reflect.DeepEqual(got, full) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, full)
	}
	if secret.Annotations["other"] != "kept" {
		t.Fatal("an annotation not the registration's was dropped")
	}
	less := full
	less.Retired, less.NextCert, less.NextKey = nil, nil, nil
	less.Retire()
	less.WriteTo(secret)
	got := RegistrationFrom(secret)
	if got.CertificateID != "" || !reflect.DeepEqual(got.Retired, []string{"cp-1/cert-2"}) || got.NextCert != nil {
		t.Fatalf("after retiring: %+v", got)
	}
	if pinned := got.Pinned(); !reflect.DeepEqual(pinned, []string{"cp-1/cert-2"}) {
		t.Fatalf("pinned %v", pinned)
	}
}

func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		failures int
		want     time.Duration
	}{{0, 5 * time.Second}, {1, 5 * time.Second}, {2, 10 * time.Second}, {3, 20 * time.Second}, {7, 5 * time.Minute}, {1000, 5 * time.Minute}} {
		if got := Backoff(c.failures, 5*time.Second, 5*time.Minute); got != c.want {
			t.Errorf("Backoff(%d) = %s, want %s", c.failures, got, c.want)
		}
	}
}
