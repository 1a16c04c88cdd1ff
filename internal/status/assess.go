// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package status judges what the gateway's children show and writes it down as conditions.
// It is pure: the caller passes the observed objects and the time.
package status

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	routev1 "github.com/openshift/api/route/v1"
	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// Observed is what the reconcile saw of the gateway's children.
type Observed struct {
	// Deployment and Service as the cache holds them; nil when not there (yet).
	Deployment *appsv1.Deployment
	Service    *corev1.Service
	// Pods are the gateway's pods.
	Pods []corev1.Pod
	// ApplyError is set when a child could not be written.
	ApplyError error
	// Conflicts describe children Portico did not write because another object has their name.
	Conflicts []string
	// Mesh is what the reconcile found and did for the mesh.
	Mesh MeshObserved
	// Route is what the reconcile found of the OpenShift Route.
	Route RouteObserved
	// Konnect is what the reconcile found and did for the Konnect registration.
	Konnect KonnectObserved
	// Config is what the reconcile found of the gateway's Kong configuration.
	Config ConfigObserved
}

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

// RouteObserved is the Route part of Observed.
type RouteObserved struct {
	// OpenShift tells whether the API server serves Routes.
	OpenShift bool
	// Route as the API server last showed it; nil when there is none (yet).
	Route *routev1.Route
}

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

// Assess computes gwd's status from what was observed. Conditions keep their
// lastTransitionTime unless their status changes; now stamps the ones that do.
func Assess(gwd *gatewayv1alpha1.GatewayDeployment, obs Observed, now metav1.Time) gatewayv1alpha1.GatewayDeploymentStatus {
	desired := gwd.Spec.DesiredReplicas()
	st := gatewayv1alpha1.GatewayDeploymentStatus{
		ObservedGeneration: gwd.Generation,
		Selector:           labels.SelectorFromSet(gwd.SelectorLabels()).String(),
		Conditions:         append([]metav1.Condition(nil), gwd.Status.Conditions...),
	}
	if d := obs.Deployment; d != nil {
		st.Replicas = d.Status.Replicas
		st.ReadyReplicas = d.Status.ReadyReplicas
		st.UpdatedReplicas = d.Status.UpdatedReplicas
		st.AvailableReplicas = d.Status.AvailableReplicas
	}
	st.ReadySummary = fmt.Sprintf("%d/%d", st.ReadyReplicas, desired)
	st.Addresses = addresses(obs.Service)

	available := availableCondition(gwd, obs.Deployment, desired)
	progressing := progressingCondition(obs.Deployment, desired)
	degraded := degradedCondition(obs)
	conditions := []metav1.Condition{available, progressing, degraded}
	// The optional parts, when asked for, each have a condition; the first that failed
	// makes Ready False.
	var optionalFailed *metav1.Condition
	optional := func(c metav1.Condition) {
		conditions = append(conditions, c)
		if optionalFailed == nil && c.Status == metav1.ConditionFalse {
			optionalFailed = &c
		}
	}
	if gwd.Spec.Mesh != nil {
		c, summary := meshCondition(gwd, obs)
		st.Mesh = summary
		optional(c)
	} else {
		removeCondition(&st.Conditions, gatewayv1alpha1.ConditionMeshReady)
	}
	if gwd.Spec.Route != nil {
		optional(routeCondition(gwd, obs.Route))
		st.Addresses = append(routeAddresses(obs.Route.Route), st.Addresses...)
	} else {
		removeCondition(&st.Conditions, gatewayv1alpha1.ConditionRouteAdmitted)
	}
	if obs.Konnect.Requested {
		registered, connected, blocking, summary := konnectConditions(obs.Konnect, obs.Pods, desired, now.Time)
		conditions = append(conditions, registered, connected)
		if optionalFailed == nil {
			optionalFailed = blocking
		}
		st.Konnect = summary
	} else {
		removeCondition(&st.Conditions, gatewayv1alpha1.ConditionKonnectRegistered)
		removeCondition(&st.Conditions, gatewayv1alpha1.ConditionKonnectConnected)
	}
	if obs.Config.Requested {
		c := configCondition(obs.Config)
		if obs.Deployment == nil {
			optional(c) // it is why there is no Deployment
		} else {
			conditions = append(conditions, c) // the pods keep serving the last valid one
		}
	} else {
		removeCondition(&st.Conditions, gatewayv1alpha1.ConditionConfigValid)
	}
	if obs.Config.MeshChecked {
		conditions = append(conditions, upstreamsCondition(obs.Config))
	} else {
		removeCondition(&st.Conditions, gatewayv1alpha1.ConditionUpstreamsInMesh)
	}
	ready := readyCondition(gwd, obs, desired, available, degraded, optionalFailed)
	for _, c := range append([]metav1.Condition{ready}, conditions...) {
		c.ObservedGeneration = gwd.Generation
		setCondition(&st.Conditions, c, now)
	}
	return st
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

// notOpenShiftHint is the message for a gateway that asks for a Route elsewhere.
const notOpenShiftHint = "This cluster does not serve OpenShift Routes (route.openshift.io/v1), " +
	"so spec.route cannot take effect: remove it, and expose the gateway with spec.service.type " +
	"LoadBalancer or an Ingress instead."

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

// routeCondition reads the routers' verdicts from the Route's status.
func routeCondition(gwd *gatewayv1alpha1.GatewayDeployment, obs RouteObserved) metav1.Condition {
	c := metav1.Condition{Type: gatewayv1alpha1.ConditionRouteAdmitted}
	if !obs.OpenShift {
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, gatewayv1alpha1.ReasonNotOpenShift, notOpenShiftHint
		return c
	}
	if obs.Route != nil {
		for _, ing := range obs.Route.Status.Ingress {
			for _, cond := range ing.Conditions {
				if cond.Type != routev1.RouteAdmitted {
					continue
				}
				if cond.Status == corev1.ConditionTrue {
					c.Status, c.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonRouteAdmitted
					c.Message = fmt.Sprintf("Route %s is admitted by router %s at host %s.", obs.Route.Name, ing.RouterName, ing.Host)
					return c
				}
				if cond.Status == corev1.ConditionFalse {
					c.Status, c.Reason = metav1.ConditionFalse, gatewayv1alpha1.ReasonRouteRejected
					c.Message = fmt.Sprintf("Router %s rejected Route %s: %s: %s", ing.RouterName, obs.Route.Name, cond.Reason, cond.Message)
				}
			}
		}
		if c.Status == metav1.ConditionFalse {
			return c
		}
	}
	c.Status, c.Reason = metav1.ConditionUnknown, gatewayv1alpha1.ReasonReconciling
	c.Message = fmt.Sprintf("Waiting for a router to admit Route %s.", gwd.Name)
	return c
}

// routeAddresses are the hosts routers admitted the Route at.
func routeAddresses(route *routev1.Route) []gatewayv1alpha1.GatewayAddress {
	if route == nil {
		return nil
	}
	var out []gatewayv1alpha1.GatewayAddress
	seen := map[string]bool{}
	for _, ing := range route.Status.Ingress {
		for _, cond := range ing.Conditions {
			if cond.Type == routev1.RouteAdmitted && cond.Status == corev1.ConditionTrue && ing.Host != "" && !seen[ing.Host] {
				seen[ing.Host] = true
				out = append(out, gatewayv1alpha1.GatewayAddress{Type: gatewayv1alpha1.AddressTypeHostname, Value: ing.Host})
			}
		}
	}
	return out
}

// PodReady tells whether a pod's Ready condition is True.
func PodReady(pod *corev1.Pod) bool {
	_, ready := readySince(pod)
	return ready
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

func availableCondition(gwd *gatewayv1alpha1.GatewayDeployment, d *appsv1.Deployment, desired int32) metav1.Condition {
	c := metav1.Condition{Type: gatewayv1alpha1.ConditionAvailable}
	switch {
	case desired == 0:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, gatewayv1alpha1.ReasonMinimumReplicasAvailable, "Scaled to 0 replicas."
	case d == nil:
		c.Status, c.Reason, c.Message = metav1.ConditionUnknown, gatewayv1alpha1.ReasonReconciling, "Waiting for the gateway's Deployment to be created."
	case d.Status.ObservedGeneration == 0:
		c.Status, c.Reason, c.Message = metav1.ConditionUnknown, gatewayv1alpha1.ReasonReconciling,
			fmt.Sprintf("Waiting for the Deployment controller to act on Deployment %s.", d.Name)
	default:
		needed := minAvailable(gwd, desired)
		avail := d.Status.AvailableReplicas
		if avail >= needed {
			c.Status, c.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonMinimumReplicasAvailable
			c.Message = fmt.Sprintf("%d of %d replicas available.", avail, desired)
		} else {
			c.Status, c.Reason = metav1.ConditionFalse, gatewayv1alpha1.ReasonMinimumReplicasUnavailable
			c.Message = fmt.Sprintf("%d of %d replicas available; at least %d needed.", avail, desired, needed)
		}
	}
	return c
}

// minAvailable is how many pods must be available for the gateway to count as serving: what
// the rollout strategy guarantees, and never fewer than one. Using the strategy's own floor is
// what keeps Ready steady through a healthy rolling update.
func minAvailable(gwd *gatewayv1alpha1.GatewayDeployment, desired int32) int32 {
	maxUnavailable := gwd.Spec.Rollout.MaxUnavailableOrDefault()
	// The Deployment controller rounds maxUnavailable down; do the same.
	unavailable, err := intstr.GetScaledValueFromIntOrPercent(&maxUnavailable, int(desired), false)
	if err != nil {
		unavailable = 0
	}
	return max(1, desired-int32(unavailable))
}

// Settled tells whether a status is one to publish at once: Ready, or not Ready for a reason
// other than being on its way (pods starting, the Deployment controller yet to act).
func Settled(st gatewayv1alpha1.GatewayDeploymentStatus) bool {
	for _, c := range st.Conditions {
		if c.Type == gatewayv1alpha1.ConditionReady {
			return c.Status == metav1.ConditionTrue ||
				(c.Reason != gatewayv1alpha1.ReasonReconciling && c.Reason != gatewayv1alpha1.ReasonMinimumReplicasUnavailable)
		}
	}
	return false
}

// RolloutComplete tells whether d runs desired pods of its current spec, all available.
func RolloutComplete(d *appsv1.Deployment, desired int32) bool {
	return d != nil && d.Status.ObservedGeneration >= d.Generation &&
		d.Status.UpdatedReplicas == desired && d.Status.Replicas == desired && d.Status.AvailableReplicas == desired
}

func progressingCondition(d *appsv1.Deployment, desired int32) metav1.Condition {
	c := metav1.Condition{Type: gatewayv1alpha1.ConditionProgressing}
	switch {
	case d == nil || d.Status.ObservedGeneration < d.Generation:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, gatewayv1alpha1.ReasonRollingOut, "Rolling out the current spec."
	case deadlineExceeded(d) != nil:
		c.Status, c.Reason = metav1.ConditionFalse, gatewayv1alpha1.ReasonProgressDeadlineExceeded
		c.Message = "The rollout stopped making progress; see the Degraded condition."
	case RolloutComplete(d, desired):
		c.Status, c.Reason = metav1.ConditionFalse, gatewayv1alpha1.ReasonRolloutComplete
		c.Message = fmt.Sprintf("Rollout complete: %d of %d replicas updated and available.", desired, desired)
	default:
		c.Status, c.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonRollingOut
		c.Message = fmt.Sprintf("Rolling out: %d of %d replicas updated, %d available, %d in total.",
			d.Status.UpdatedReplicas, desired, d.Status.AvailableReplicas, d.Status.Replicas)
	}
	return c
}

func degradedCondition(obs Observed) metav1.Condition {
	c := metav1.Condition{Type: gatewayv1alpha1.ConditionDegraded}
	d := obs.Deployment
	failures := podFailures(obs.Pods)
	switch {
	case len(obs.Conflicts) > 0:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, gatewayv1alpha1.ReasonChildConflict, strings.Join(obs.Conflicts, " ")
	case obs.ApplyError != nil:
		c.Status, c.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonApplyFailed
		c.Message = fmt.Sprintf("Writing the gateway's children failed: %v", obs.ApplyError)
	case d != nil && deadlineExceeded(d) != nil:
		c.Status, c.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonProgressDeadlineExceeded
		c.Message = fmt.Sprintf("Deployment %s: %s", d.Name, deadlineExceeded(d).Message)
	case d != nil && replicaFailure(d) != nil:
		c.Status, c.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonReplicaFailure
		c.Message = fmt.Sprintf("Deployment %s cannot create pods: %s", d.Name, replicaFailure(d).Message)
	case len(failures) > 0:
		shown := failures
		if len(shown) > 3 {
			shown = append(shown[:3:3], fmt.Sprintf("and %d more", len(failures)-3))
		}
		c.Status, c.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonPodsFailing
		c.Message = fmt.Sprintf("%d of %d pods failing: %s", len(failures), len(obs.Pods), strings.Join(shown, "; "))
	default:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, gatewayv1alpha1.ReasonAsExpected, "No problems found."
	}
	return c
}

// readyCondition summarises: Degraded wins, then Available, then the Service, then the
// optional parts (mesh, Route), given as the first of them that failed.
func readyCondition(gwd *gatewayv1alpha1.GatewayDeployment, obs Observed, desired int32, available, degraded metav1.Condition, optionalFailed *metav1.Condition) metav1.Condition {
	c := metav1.Condition{Type: gatewayv1alpha1.ConditionReady}
	switch {
	case degraded.Status == metav1.ConditionTrue:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, degraded.Reason, degraded.Message
	case obs.Deployment == nil && optionalFailed != nil:
		// What failed is why there is no Deployment yet (a Konnect registration).
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, optionalFailed.Reason, optionalFailed.Message
	case available.Status != metav1.ConditionTrue:
		c.Status, c.Reason, c.Message = available.Status, available.Reason, available.Message
		if c.Status == metav1.ConditionUnknown {
			c.Reason = gatewayv1alpha1.ReasonReconciling
		}
	case obs.Service == nil:
		c.Status, c.Reason = metav1.ConditionUnknown, gatewayv1alpha1.ReasonReconciling
		c.Message = fmt.Sprintf("Waiting for Service %s to be created.", gwd.Name)
	case optionalFailed != nil:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, optionalFailed.Reason, optionalFailed.Message
	case desired == 0:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, gatewayv1alpha1.ReasonReady, "Scaled to 0 replicas."
	default:
		c.Status, c.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonReady
		c.Message = fmt.Sprintf("%d of %d replicas ready.", obs.Deployment.Status.ReadyReplicas, desired)
	}
	return c
}

// failingWaitReasons are container states that do not clear up without a change.
var failingWaitReasons = map[string]bool{
	"CrashLoopBackOff":           true,
	"ImagePullBackOff":           true,
	"ErrImagePull":               true,
	"InvalidImageName":           true,
	"CreateContainerConfigError": true,
	"CreateContainerError":       true,
	"RunContainerError":          true,
}

// podFailures describes each failing pod in a sentence fragment.
func podFailures(pods []corev1.Pod) []string {
	var out []string
	for i := range pods {
		if why := podFailure(&pods[i]); why != "" {
			out = append(out, fmt.Sprintf("pod %s %s", pods[i].Name, why))
		}
	}
	return out
}

func podFailure(pod *corev1.Pod) string {
	if pod.DeletionTimestamp != nil {
		return ""
	}
	if pod.Status.Phase == corev1.PodFailed {
		return fmt.Sprintf("failed: %s %s", pod.Status.Reason, pod.Status.Message)
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return "is unschedulable: " + c.Message
		}
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && failingWaitReasons[w.Reason] {
			msg := fmt.Sprintf("container %s: %s", cs.Name, w.Reason)
			if w.Message != "" {
				msg += " (" + w.Message + ")"
			}
			return msg
		}
	}
	return ""
}

// SameDeploymentView tells whether Assess reads the same of a Deployment's status in a as in
// b: its replica counts, how far it observed, and the two conditions that report a problem.
// Most of the Deployment controller's writes while a rollout starts change only a condition's
// reason or time, which no gateway's status shows.
func SameDeploymentView(a, b *appsv1.Deployment) bool {
	type view struct {
		observed                            int64
		replicas, updated, ready, available int32
		deadline, failure                   bool
		deadlineMessage, failureMessage     string
	}
	of := func(d *appsv1.Deployment) view {
		v := view{observed: d.Status.ObservedGeneration, replicas: d.Status.Replicas, updated: d.Status.UpdatedReplicas,
			ready: d.Status.ReadyReplicas, available: d.Status.AvailableReplicas}
		if c := deadlineExceeded(d); c != nil {
			v.deadline, v.deadlineMessage = true, c.Message
		}
		if c := replicaFailure(d); c != nil {
			v.failure, v.failureMessage = true, c.Message
		}
		return v
	}
	return of(a) == of(b)
}

func deadlineExceeded(d *appsv1.Deployment) *appsv1.DeploymentCondition {
	for i := range d.Status.Conditions {
		c := &d.Status.Conditions[i]
		if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded" {
			return c
		}
	}
	return nil
}

func replicaFailure(d *appsv1.Deployment) *appsv1.DeploymentCondition {
	for i := range d.Status.Conditions {
		c := &d.Status.Conditions[i]
		if c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue {
			return c
		}
	}
	return nil
}

// addresses lists where the Service answers: load-balancer ingress first, then cluster IPs.
func addresses(svc *corev1.Service) []gatewayv1alpha1.GatewayAddress {
	if svc == nil {
		return nil
	}
	var out []gatewayv1alpha1.GatewayAddress
	for _, ing := range svc.Status.LoadBalancer.Ingress {
		if ing.IP != "" {
			out = append(out, gatewayv1alpha1.GatewayAddress{Type: gatewayv1alpha1.AddressTypeIPAddress, Value: ing.IP})
		}
		if ing.Hostname != "" {
			out = append(out, gatewayv1alpha1.GatewayAddress{Type: gatewayv1alpha1.AddressTypeHostname, Value: ing.Hostname})
		}
	}
	ips := svc.Spec.ClusterIPs
	if len(ips) == 0 && svc.Spec.ClusterIP != "" {
		ips = []string{svc.Spec.ClusterIP}
	}
	for _, ip := range ips {
		if ip != corev1.ClusterIPNone {
			out = append(out, gatewayv1alpha1.GatewayAddress{Type: gatewayv1alpha1.AddressTypeIPAddress, Value: ip})
		}
	}
	return out
}

func removeCondition(conditions *[]metav1.Condition, condType string) {
	kept := (*conditions)[:0]
	for _, c := range *conditions {
		if c.Type != condType {
			kept = append(kept, c)
		}
	}
	*conditions = kept
}

// setCondition replaces or adds c in place, stamping lastTransitionTime only when the status
// changes. Keeping positions stable means an unchanged status compares equal.
func setCondition(conditions *[]metav1.Condition, c metav1.Condition, now metav1.Time) {
	c.LastTransitionTime = now
	for i := range *conditions {
		existing := &(*conditions)[i]
		if existing.Type != c.Type {
			continue
		}
		if existing.Status == c.Status {
			c.LastTransitionTime = existing.LastTransitionTime
		}
		*existing = c
		return
	}
	*conditions = append(*conditions, c)
}
