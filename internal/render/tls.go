// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package render

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
)

// TLS is the checked copy of the listener certificates that the pods mount.
type TLS struct {
	// SecretName is Portico's copy, named with its content's hash: a renewal is a new name,
	// and so one rollout.
	SecretName string
	// Count is how many certificates it holds (TLSCertKey(i), TLSKeyKey(i)).
	Count int
}

const (
	// ComponentTLS is the app.kubernetes.io/component of the copies of the certificates.
	ComponentTLS = "tls"
	tlsVolume    = "listener-certificates"
	tlsDir       = "/etc/kong/tls"
	// tlsFileMode: readable by the owner and the pod's fsGroup only.
	tlsFileMode int32 = 0o440
	// KongGID is the group of the user Kong's images declare: the fsGroup that lets Kong read
	// the certificates where the platform assigns none.
	KongGID int64 = 1000
)

// TLSCopyName is the name of the copy of the certificates with content hash hash.
func TLSCopyName(gwdName, hash string) string { return gwdName + "-tls-" + hash }

// TLSCertKey and TLSKeyKey are the keys of the i-th certificate and key in the copy.
func TLSCertKey(i int) string { return fmt.Sprintf("tls-%d.crt", i) }
func TLSKeyKey(i int) string  { return fmt.Sprintf("tls-%d.key", i) }

// tlsEnv points Kong's HTTPS listeners at the certificates. The CRD rejects these names in
// spec.env when spec.tls is set (keep its rule in sync with this list).
func tlsEnv(t *TLS) []corev1.EnvVar {
	certs, keys := make([]string, t.Count), make([]string, t.Count)
	for i := range t.Count {
		certs[i], keys[i] = tlsDir+"/"+TLSCertKey(i), tlsDir+"/"+TLSKeyKey(i)
	}
	return []corev1.EnvVar{
		{Name: "KONG_SSL_CERT", Value: strings.Join(certs, ",")},
		{Name: "KONG_SSL_CERT_KEY", Value: strings.Join(keys, ",")},
	}
}

func tlsVolumes(t *TLS) podVolume {
	source := corev1ac.SecretVolumeSource().WithSecretName(t.SecretName).WithDefaultMode(tlsFileMode)
	for i := range t.Count {
		source.WithItems(
			corev1ac.KeyToPath().WithKey(TLSCertKey(i)).WithPath(TLSCertKey(i)),
			corev1ac.KeyToPath().WithKey(TLSKeyKey(i)).WithPath(TLSKeyKey(i)))
	}
	return podVolume{corev1ac.Volume().WithName(tlsVolume).WithSecret(source),
		corev1ac.VolumeMount().WithName(tlsVolume).WithMountPath(tlsDir).WithReadOnly(true)}
}
