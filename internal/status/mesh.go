// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/istiorev"
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
	// SidecarRevision is the Istio revision that should inject the pods now; "" when Istio's
	// injector is not there or no sidecar is wanted.
	SidecarRevision string
	// RollWaitingFor names the gateway of the namespace whose roll onto a new revision this
	// one waits for (spec.mesh.rollOnUpgrade).
	RollWaitingFor string
}

// mesh judges MeshReady when the spec asks for the mesh. Outdated sidecars do not make the
// gateway not Ready: they still serve.
func (a *assessment) mesh() {
	if a.gwd.Spec.Mesh == nil {
		a.absent(gatewayv1alpha1.ConditionMeshReady)
		return
	}
	c, summary := meshCondition(a.gwd, a.obs)
	a.st.Mesh = summary
	if c.Reason == gatewayv1alpha1.ReasonSidecarOutdated {
		a.add(c)
		return
	}
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
	summary.SidecarRevision = obs.Mesh.SidecarRevision
	ready, outdated := countSidecars(obs, summary)
	blocked := sidecarBlocked(gwd, obs.Deployment)
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
	case blocked != "":
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, gatewayv1alpha1.ReasonSidecarBlocked, blocked
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
	case gwd.Spec.SidecarsExpected() && outdated > 0:
		c.Status, c.Reason = metav1.ConditionFalse, gatewayv1alpha1.ReasonSidecarOutdated
		c.Message = outdatedMessage(gwd, obs.Mesh, summary, outdated, ready)
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

// countSidecars counts the ready pods, and fills summary's injected pods and the revisions
// they run; outdated counts those that run another than the one that should inject them.
func countSidecars(obs Observed, summary *gatewayv1alpha1.MeshStatus) (ready, outdated int32) {
	running := map[string]bool{}
	for i := range obs.Pods {
		if !PodReady(&obs.Pods[i]) {
			continue
		}
		ready++
		if hasSidecar(&obs.Pods[i]) {
			summary.InjectedPods++
		}
		if rev := istiorev.Running(&obs.Pods[i]); rev != "" {
			running[rev] = true
			if obs.Mesh.SidecarRevision != "" && rev != obs.Mesh.SidecarRevision {
				outdated++
			}
		}
	}
	summary.RunningRevisions = slices.Sorted(maps.Keys(running))
	return ready, outdated
}

// outdatedMessage says which revision the pods run, which one should inject them, and what
// happens next.
func outdatedMessage(gwd *gatewayv1alpha1.GatewayDeployment, mesh MeshObserved, summary *gatewayv1alpha1.MeshStatus, outdated, ready int32) string {
	var stale []string
	for _, rev := range summary.RunningRevisions {
		if rev != mesh.SidecarRevision {
			stale = append(stale, rev)
		}
	}
	msg := fmt.Sprintf("%d of %d ready pods run the sidecar of Istio revision %s; revision %s injects them now.",
		outdated, ready, strings.Join(stale, ", "), mesh.SidecarRevision)
	switch {
	case !gwd.Spec.Mesh.RollOnUpgrade:
		return msg + fmt.Sprintf(" Set spec.mesh.rollOnUpgrade: true for Portico to roll them, or restart them: kubectl rollout restart deployment/%s -n %s.", gwd.Name, gwd.Namespace)
	case mesh.RollWaitingFor != "":
		return msg + fmt.Sprintf(" They roll once gateway %s, rolling onto its new sidecar, has finished: one gateway of a namespace at a time.", mesh.RollWaitingFor)
	}
	return msg + " They are rolling onto it."
}

// sidecarBlocked says why the pods of d (nil: none yet) are refused, when it is for the
// capabilities of Istio's istio-init container: NET_ADMIN and NET_RAW, which OpenShift's
// restricted-v2 security context constraint and Pod Security "restricted" refuse. "" when
// they are not.
// Portico's own pod has no init container, so a refused init container with those
// capabilities is the sidecar's.
func sidecarBlocked(gwd *gatewayv1alpha1.GatewayDeployment, d *appsv1.Deployment) string {
	if d == nil {
		return ""
	}
	failure := replicaFailure(d)
	if failure == nil || !gwd.Spec.SidecarsWanted() {
		return ""
	}
	msg := failure.Message
	capabilities := strings.Contains(msg, "NET_ADMIN") || strings.Contains(msg, "NET_RAW")
	initContainer := strings.Contains(msg, "istio-init") || strings.Contains(msg, "initContainers")
	if !capabilities || !initContainer {
		return ""
	}
	refuser := "the cluster's admission"
	switch {
	case strings.Contains(msg, "security context constraint"):
		refuser = "OpenShift's security context constraints (restricted-v2)"
	case strings.Contains(msg, "PodSecurity"):
		refuser = fmt.Sprintf("Pod Security admission on namespace %s", gwd.Namespace)
	}
	return fmt.Sprintf("The gateway's pods are refused: Istio's istio-init container needs the NET_ADMIN and NET_RAW capabilities, "+
		"which %s does not allow. Install Istio CNI, which redirects the pods' traffic without an init container "+
		"(istioctl install --set components.cni.enabled=true; on OpenShift, the openshift profile). "+
		"If Istio CNI is installed and these pods were created before it, start them again: kubectl rollout restart deployment/%s -n %s. "+
		"Refused with: %s", refuser, d.Name, gwd.Namespace, shorten(msg, 300))
}

// shorten cuts s to at most n bytes, on a rune boundary, marking the cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

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
