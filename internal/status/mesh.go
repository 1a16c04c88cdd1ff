// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// MeshObserved is the mesh part of Observed.
type MeshObserved struct {
	// IstioInstalled tells whether the API server serves Istio's kinds.
	IstioInstalled bool
	// DestinationRules and PeerAuthentication count what Portico has in place.
	DestinationRules   int32
	PeerAuthentication bool
	// UpstreamHosts are the hosts the DestinationRules are for.
	UpstreamHosts []string
}

// mesh judges MeshReady when the spec asks for the mesh.
func (a *assessment) mesh() {
	if a.gwd.Spec.Mesh == nil {
		a.absent(gatewayv1alpha1.ConditionMeshReady)
		return
	}
	c, summary := meshCondition(a.gwd, a.obs)
	a.st.Mesh = summary
	a.addOptional(c)
}

// meshCondition judges the mesh: Istio there, Portico's objects in place, and a sidecar in
// every ready gateway pod when one is expected.
func meshCondition(gwd *gatewayv1alpha1.GatewayDeployment, obs Observed) (metav1.Condition, *gatewayv1alpha1.MeshStatus) {
	summary := &gatewayv1alpha1.MeshStatus{
		DestinationRules:   obs.Mesh.DestinationRules,
		PeerAuthentication: obs.Mesh.PeerAuthentication,
		UpstreamHosts:      obs.Mesh.UpstreamHosts,
	}
	var ready int32
	for i := range obs.Pods {
		if PodReady(&obs.Pods[i]) {
			ready++
			if hasSidecar(&obs.Pods[i]) {
				summary.InjectedPods++
			}
		}
	}
	c := metav1.Condition{Type: gatewayv1alpha1.ConditionMeshReady}
	switch {
	case !gwd.Spec.MeshRequested():
		// Only injection is set, to Disabled or Inherit: nothing of Istio's is needed, so
		// nothing can be missing; say what the pods run.
		c.Status, c.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonMeshConfigured
		if gwd.Spec.Mesh.SidecarInjection == gatewayv1alpha1.SidecarInjectionDisabled {
			c.Reason = gatewayv1alpha1.ReasonSidecarInjectionDisabled
			c.Message = fmt.Sprintf("Sidecar injection is disabled: %d of %d ready pods run istio-proxy.", summary.InjectedPods, ready)
		} else {
			c.Message = fmt.Sprintf("Sidecar injection follows namespace %s: %d of %d ready pods run istio-proxy.", gwd.Namespace, summary.InjectedPods, ready)
		}
	case !obs.Mesh.IstioInstalled:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, gatewayv1alpha1.ReasonIstioNotInstalled, istioInstallHint
	case gwd.Spec.SidecarsExpected() && summary.InjectedPods < ready:
		c.Status, c.Reason = metav1.ConditionFalse, gatewayv1alpha1.ReasonSidecarNotInjected
		hint := fmt.Sprintf("check that istiod's injector is running and that namespace %s allows injection "+
			"(label istio-injection=enabled, or istio.io/rev for a revision)", gwd.Namespace)
		if rev := gwd.Spec.Mesh.Revision; rev != "" {
			hint = fmt.Sprintf("the pods ask for Istio revision %s (istio.io/rev=%s): check that an istiod of that revision "+
				"is installed and running", rev, rev)
		}
		c.Message = fmt.Sprintf("%d of %d ready gateway pods run no istio-proxy sidecar: %s; pods created before that need a restart.",
			ready-summary.InjectedPods, ready, hint)
	default:
		c.Status, c.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonMeshConfigured
		c.Message = fmt.Sprintf("%d DestinationRules", summary.DestinationRules)
		if summary.PeerAuthentication {
			c.Message += " and a PeerAuthentication"
		}
		c.Message += " in place"
		if gwd.Spec.SidecarsExpected() {
			c.Message += fmt.Sprintf("; all %d ready pods run the Istio sidecar", ready)
		}
		c.Message += "."
	}
	return c, summary
}

// istioInstallHint is the message for a gateway that asks for mesh features without Istio.
const istioInstallHint = "Istio is not installed: the API server does not serve DestinationRule " +
	"(networking.istio.io/v1) and PeerAuthentication (security.istio.io/v1). Install Istio " +
	"(for example istioctl install, or its base chart); Portico picks it up without a restart."

// hasSidecar finds Istio's proxy, as a container or as a native (init) sidecar.
func hasSidecar(pod *corev1.Pod) bool {
	for _, statuses := range [][]corev1.ContainerStatus{pod.Status.ContainerStatuses, pod.Status.InitContainerStatuses} {
		for _, cs := range statuses {
			if cs.Name == "istio-proxy" {
				return true
			}
		}
	}
	return false
}
