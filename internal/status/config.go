// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// ConfigObserved is the configuration part of Observed.
type ConfigObserved struct {
	// Requested tells whether the gateway loads a declarative configuration (it has no
	// Konnect control plane).
	Requested bool
	// Source describes the object spec.config names; "" for the default configuration.
	Source string
	// Reason and Message say why that configuration cannot be used; "" when it can.
	Reason, Message string
	// Copy names the checked copy the pods mount.
	Copy string
	// Warnings are what the checks warn of in a configuration that is used.
	Warnings string
	// MeshChecked tells whether the upstreams were judged against the sidecar, and Bypasses
	// lists those it would send without mTLS ("" when none).
	MeshChecked bool
	Bypasses    string
}

// config judges ConfigValid when the spec names a configuration, and UpstreamsInMesh when
// its upstreams were checked against the mesh.
func (a *assessment) config() {
	if a.obs.Config.Requested {
		c := configCondition(a.obs.Config)
		if a.obs.Deployment == nil {
			a.addOptional(c) // it is why there is no Deployment
		} else {
			a.add(c) // the pods keep serving the last valid one
		}
	} else {
		a.absent(gatewayv1alpha1.ConditionConfigValid)
	}
	if a.obs.Config.MeshChecked {
		a.add(upstreamsCondition(a.obs.Config))
	} else {
		a.absent(gatewayv1alpha1.ConditionUpstreamsInMesh)
	}
}

// configCondition says which configuration Kong loads, or why spec.config's cannot be used.
func configCondition(obs ConfigObserved) metav1.Condition {
	c := metav1.Condition{Type: gatewayv1alpha1.ConditionConfigValid, Status: metav1.ConditionTrue}
	switch {
	case obs.Reason != "":
		c.Status, c.Reason = metav1.ConditionFalse, obs.Reason
		c.Message = obs.Message + " The running pods keep their last valid configuration, and the Deployment is left as it is until this is fixed."
	case obs.Source == "":
		c.Reason = gatewayv1alpha1.ReasonDefaultConfig
		c.Message = "No spec.config: Kong loads Portico's default configuration, which routes nothing (every request gets Kong's 404). " +
			"To add services and routes, put a Kong declarative configuration (kong.yml) in a ConfigMap labelled " +
			gatewayv1alpha1.LabelConfig + "=" + gatewayv1alpha1.ConfigSourceValue + " and name it in spec.config.configMapKeyRef."
	default:
		c.Reason = gatewayv1alpha1.ReasonConfigAccepted
		c.Message = fmt.Sprintf("Kong loads %s, checked and copied to %s.", obs.Source, obs.Copy)
		if obs.Warnings != "" {
			c.Message += " Warnings: " + obs.Warnings
		}
	}
	return c
}

// upstreamsCondition says whether the sidecar sends every upstream call with mTLS.
func upstreamsCondition(obs ConfigObserved) metav1.Condition {
	c := metav1.Condition{Type: gatewayv1alpha1.ConditionUpstreamsInMesh}
	if obs.Bypasses == "" {
		c.Status, c.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonUpstreamsInMesh
		c.Message = "The configuration's upstreams are addressed by Service name or outside the cluster: the sidecar applies the DestinationRules to every call to a Service."
		return c
	}
	c.Status, c.Reason = metav1.ConditionFalse, gatewayv1alpha1.ReasonUpstreamsBypassMesh
	c.Message = "Some upstream calls leave without Istio mTLS: " + obs.Bypasses
	return c
}
