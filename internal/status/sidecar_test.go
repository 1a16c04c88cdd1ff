// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// The refusals as the ReplicaSet controller reports them, from OpenShift's security context
// constraints and from Pod Security admission.
const (
	sccRefusal   = `pods "edge-5d8f7b-" is forbidden: unable to validate against any security context constraint: [provider "anyuid": Forbidden: not usable by user or serviceaccount, provider restricted-v2: .initContainers[0].capabilities.add: Invalid value: "NET_ADMIN": capability may not be added, provider restricted-v2: .initContainers[0].capabilities.add: Invalid value: "NET_RAW": capability may not be added]`
	psaRefusal   = `pods "edge-5d8f7b-x2x7q" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "istio-init" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "istio-init" must set securityContext.capabilities.drop=["ALL"]; container "istio-init" must not include "NET_ADMIN", "NET_RAW" in securityContext.capabilities.add)`
	quotaRefusal = `pods "edge-5d8f7b-x2x7q" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=10, limited: pods=10`
)

func refused(message string) *appsv1.Deployment {
	d := dep(2, 0, 0, appsv1.DeploymentCondition{Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate", Message: message})
	d.Name = "edge"
	return d
}

func TestSidecarBlockedNamesTheCure(t *testing.T) {
	meshed := meshGateway(gatewayv1alpha1.SidecarInjectionEnabled, gatewayv1alpha1.MTLSModeIstioMutual)
	plain := gateway(2)
	for name, c := range map[string]struct {
		gwd     *gatewayv1alpha1.GatewayDeployment
		message string
		reason  string // Degraded's
		says    string
	}{
		"OpenShift's restricted-v2": {meshed, sccRefusal, gatewayv1alpha1.ReasonSidecarBlocked, "OpenShift's security context constraints"},
		"Pod Security restricted":   {meshed, psaRefusal, gatewayv1alpha1.ReasonSidecarBlocked, "Pod Security admission"},
		"another refusal":           {meshed, quotaRefusal, gatewayv1alpha1.ReasonReplicaFailure, "exceeded quota"},
		"no sidecar wanted":         {plain, psaRefusal, gatewayv1alpha1.ReasonReplicaFailure, "istio-init"},
	} {
		obs := Observed{Deployment: refused(c.message), Mesh: MeshObserved{IstioInstalled: true}}
		st := Assess(c.gwd, obs, metav1.Now())
		degraded := cond(st, gatewayv1alpha1.ConditionDegraded)
		if degraded.Reason != c.reason || !strings.Contains(degraded.Message, c.says) {
			t.Errorf("%s: Degraded %s: %s", name, degraded.Reason, degraded.Message)
		}
		if c.reason != gatewayv1alpha1.ReasonSidecarBlocked {
			continue
		}
		mesh := cond(st, gatewayv1alpha1.ConditionMeshReady)
		if mesh.Status != metav1.ConditionFalse || mesh.Reason != gatewayv1alpha1.ReasonSidecarBlocked ||
			!strings.Contains(mesh.Message, "Install Istio CNI") || !strings.Contains(mesh.Message, "kubectl rollout restart deployment/edge") {
			t.Errorf("%s: MeshReady %s/%s: %s", name, mesh.Status, mesh.Reason, mesh.Message)
		}
		if ready := cond(st, gatewayv1alpha1.ConditionReady); ready.Reason != gatewayv1alpha1.ReasonSidecarBlocked {
			t.Errorf("%s: Ready %s: %s", name, ready.Reason, ready.Message)
		}
	}
}
