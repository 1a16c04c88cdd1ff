// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package render

import (
	"net"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// Konnect is what a registered gateway needs to join its Konnect control plane as a data plane.
type Konnect struct {
	// ControlPlaneHost and TelemetryHost are the control plane's endpoints, without scheme.
	ControlPlaneHost, TelemetryHost string
	// SecretName is the Secret with the pinned client certificate (tls.crt, tls.key).
	SecretName string
	// CertificateID is Konnect's id of that certificate. The pod template carries it, so a new
	// certificate rolls the pods.
	CertificateID string
	// Labels are the data plane's labels in Konnect.
	Labels map[string]gatewayv1alpha1.DataPlaneLabelValue
}

// AnnotationKonnectCertificate on the pod template names the pinned certificate the pods use.
const AnnotationKonnectCertificate = "gateway.portico.dev/konnect-certificate-id"

const (
	konnectVolume    = "konnect-certificate"
	konnectCertDir   = "/etc/kong/konnect"
	konnectHTTPSPort = "443"
)

// konnectEnv are the settings that make Kong a Konnect data plane. The CRD rejects them in
// spec.env when spec.konnect is set (keep its rule in sync with this list).
func konnectEnv(k *Konnect) []corev1.EnvVar {
	env := []corev1.EnvVar{
		{Name: "KONG_ROLE", Value: "data_plane"},
		{Name: "KONG_KONNECT_MODE", Value: "on"},
		{Name: "KONG_CLUSTER_MTLS", Value: "pki"},
		{Name: "KONG_CLUSTER_CONTROL_PLANE", Value: net.JoinHostPort(k.ControlPlaneHost, konnectHTTPSPort)},
		{Name: "KONG_CLUSTER_SERVER_NAME", Value: k.ControlPlaneHost},
		{Name: "KONG_CLUSTER_TELEMETRY_ENDPOINT", Value: net.JoinHostPort(k.TelemetryHost, konnectHTTPSPort)},
		{Name: "KONG_CLUSTER_TELEMETRY_SERVER_NAME", Value: k.TelemetryHost},
		{Name: "KONG_CLUSTER_CERT", Value: konnectCertDir + "/" + corev1.TLSCertKey},
		{Name: "KONG_CLUSTER_CERT_KEY", Value: konnectCertDir + "/" + corev1.TLSPrivateKeyKey},
	}
	if len(k.Labels) > 0 {
		env = append(env, corev1.EnvVar{Name: "KONG_CLUSTER_DP_LABELS", Value: dataPlaneLabels(k.Labels)})
	}
	return env
}

// konnectDefaultEnv are Konnect settings a user may replace: Konnect's endpoints have publicly
// trusted certificates, so Kong trusts the system's roots unless told otherwise.
var konnectDefaultEnv = []corev1.EnvVar{{Name: "KONG_LUA_SSL_TRUSTED_CERTIFICATE", Value: "system"}}

// dataPlaneLabels is Kong's cluster_dp_labels form, key:value pairs joined by commas, sorted
// so that the same labels always render the same.
func dataPlaneLabels(labels map[string]gatewayv1alpha1.DataPlaneLabelValue) string {
	pairs := make([]string, 0, len(labels))
	for k, v := range labels {
		pairs = append(pairs, k+":"+string(v))
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}

func konnectVolumeSource(k *Konnect) *corev1ac.VolumeApplyConfiguration {
	return corev1ac.Volume().WithName(konnectVolume).WithSecret(corev1ac.SecretVolumeSource().
		WithSecretName(k.SecretName).
		WithItems(
			corev1ac.KeyToPath().WithKey(corev1.TLSCertKey).WithPath(corev1.TLSCertKey),
			corev1ac.KeyToPath().WithKey(corev1.TLSPrivateKeyKey).WithPath(corev1.TLSPrivateKeyKey),
		))
}

func konnectVolumeMount() *corev1ac.VolumeMountApplyConfiguration {
	return corev1ac.VolumeMount().WithName(konnectVolume).WithMountPath(konnectCertDir).WithReadOnly(true)
}
