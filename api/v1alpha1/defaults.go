// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// The spec's defaults, as the +kubebuilder:default markers give them to the API server (and
// the CEL rules assume them). A spec read before defaulting, or built in a test, gets the same
// from the methods below; TestDefaultsMatchTheCRD holds the two together.
const (
	DefaultReplicas               int32 = 1
	DefaultMaxSurge                     = 1
	DefaultMaxUnavailable               = 0
	DefaultCertificateDuration          = 90 * 24 * time.Hour // "2160h" in the CEL rules
	DefaultCertificateRenewBefore       = 30 * 24 * time.Hour // "720h" in the CEL rules
	DefaultPollInterval                 = time.Minute
	DefaultConfigKey                    = "kong.yml"
	DefaultMinReplicas            int32 = 1
	// DefaultDisruptionMaxUnavailable is not a CRD default: it applies only to a gateway
	// with no spec.disruption that runs more than one pod.
	DefaultDisruptionMaxUnavailable = 1
)

// ComponentGateway is the app.kubernetes.io/component of the gateway's Deployment, Service
// and pods.
const ComponentGateway = "gateway"

// DesiredReplicas is how many gateway pods the spec asks for.
func (s *GatewayDeploymentSpec) DesiredReplicas() int32 {
	if s.Replicas == nil {
		return DefaultReplicas
	}
	return *s.Replicas
}

// MinReplicasOrDefault is the fewest pods the HorizontalPodAutoscaler keeps.
func (a *AutoscalingSpec) MinReplicasOrDefault() int32 {
	if a.MinReplicas == nil {
		return DefaultMinReplicas
	}
	return *a.MinReplicas
}

// DisruptionBudget is the PodDisruptionBudget the spec asks for: minAvailable or
// maxUnavailable (one of them set), or nil for none. Left to the default, a gateway that runs
// more than one pod gets maxUnavailable 1 (DefaultDisruptionMaxUnavailable).
func (s *GatewayDeploymentSpec) DisruptionBudget() *DisruptionSpec {
	switch {
	case s.Disruption != nil && s.Disruption.MinAvailable == nil && s.Disruption.MaxUnavailable == nil:
		return nil // {}: opted out
	case s.Disruption != nil:
		return s.Disruption
	}
	fewest := s.DesiredReplicas()
	if s.Autoscaling != nil {
		fewest = s.Autoscaling.MinReplicasOrDefault()
	}
	if fewest <= 1 {
		return nil
	}
	one := intstr.FromInt32(DefaultDisruptionMaxUnavailable)
	return &DisruptionSpec{MaxUnavailable: &one}
}

// MaxSurgeOrDefault is the rollout's maxSurge.
func (r *RolloutSpec) MaxSurgeOrDefault() intstr.IntOrString {
	if r.MaxSurge == nil {
		return intstr.FromInt32(DefaultMaxSurge)
	}
	return *r.MaxSurge
}

// MaxUnavailableOrDefault is the rollout's maxUnavailable.
func (r *RolloutSpec) MaxUnavailableOrDefault() intstr.IntOrString {
	if r.MaxUnavailable == nil {
		return intstr.FromInt32(DefaultMaxUnavailable)
	}
	return *r.MaxUnavailable
}

// MTLSModeOrDefault is the mesh's mTLS mode; Inherit when the mesh or its mtls is unset.
func (m *MeshSpec) MTLSModeOrDefault() MTLSMode {
	if m == nil || m.MTLS == nil || m.MTLS.Mode == "" {
		return MTLSModeInherit
	}
	return m.MTLS.Mode
}

// MeshRequested tells whether the spec asks Istio for anything: a sidecar, or mTLS objects.
func (s *GatewayDeploymentSpec) MeshRequested() bool {
	m := s.Mesh
	return m != nil && (m.SidecarInjection == SidecarInjectionEnabled || m.MTLSModeOrDefault() != MTLSModeInherit)
}

// SidecarsWanted tells whether the gateway's pods may get a sidecar: the mesh is asked for
// and injection is not Disabled (Inherit leaves it to the namespace).
func (s *GatewayDeploymentSpec) SidecarsWanted() bool {
	return s.Mesh != nil && s.Mesh.SidecarInjection != SidecarInjectionDisabled
}

// SidecarsExpected tells whether the gateway's pods should run an Istio sidecar.
func (s *GatewayDeploymentSpec) SidecarsExpected() bool {
	m := s.Mesh
	if m == nil || m.SidecarInjection == SidecarInjectionDisabled {
		return false
	}
	return m.SidecarInjection == SidecarInjectionEnabled || m.MTLSModeOrDefault() == MTLSModeIstioMutual
}

// DurationOrDefault is how long a certificate Portico issues is valid.
func (c *KonnectCertificate) DurationOrDefault() time.Duration {
	if c.Duration == nil {
		return DefaultCertificateDuration
	}
	return c.Duration.Duration
}

// RenewBeforeOrDefault is how long before expiry Portico issues the next certificate.
func (c *KonnectCertificate) RenewBeforeOrDefault() time.Duration {
	if c.RenewBefore == nil {
		return DefaultCertificateRenewBefore
	}
	return c.RenewBefore.Duration
}

// PollIntervalOrDefault is how often Portico asks Konnect which data planes checked in.
func (k *KonnectSpec) PollIntervalOrDefault() time.Duration {
	if k.PollInterval == nil {
		return DefaultPollInterval
	}
	return k.PollInterval.Duration
}

// SelectorLabels select the gateway's pods. They are part of the Deployment's immutable
// selector, and so of the API: never change them.
func (g *GatewayDeployment) SelectorLabels() map[string]string {
	return map[string]string{
		LabelComponent:         ComponentGateway,
		LabelGatewayDeployment: g.Name,
	}
}
