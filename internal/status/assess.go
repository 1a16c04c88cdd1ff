// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package status judges what the gateway's children show and writes it down as conditions.
// It is pure: the caller passes the observed objects and the time.
package status

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// Observed is what the reconcile saw of the gateway's children.
type Observed struct {
	// Deployment and Service as the cache holds them; nil when not there (yet).
	Deployment *appsv1.Deployment
	Service    *corev1.Service
	// DeploymentBehind tells that the cached Deployment is older than the one Portico last
	// wrote: its rollout, complete or not, is of a previous spec.
	DeploymentBehind bool
	// Pods are the gateway's pods.
	Pods []corev1.Pod
	// Autoscaler is the gateway's HorizontalPodAutoscaler as applied or cached; nil without.
	Autoscaler *autoscalingv2.HorizontalPodAutoscaler
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
	// TLS is what the reconcile found of the listener certificates.
	TLS TLSObserved
}

// Assess computes gwd's status from what was observed. Conditions keep their
// lastTransitionTime unless their status changes; now stamps the ones that do.
func Assess(gwd *gatewayv1alpha1.GatewayDeployment, obs Observed, now metav1.Time) gatewayv1alpha1.GatewayDeploymentStatus {
	a := &assessment{gwd: gwd, obs: obs, desired: DesiredReplicas(gwd, obs.Deployment), now: now}
	a.st = gatewayv1alpha1.GatewayDeploymentStatus{
		ObservedGeneration: gwd.Generation,
		Selector:           labels.SelectorFromSet(gwd.SelectorLabels()).String(),
		Conditions:         append([]metav1.Condition(nil), gwd.Status.Conditions...),
	}
	a.replicas()
	a.autoscaling()
	a.mesh()
	a.route()
	a.konnect()
	a.config()
	a.tls()
	return a.finish()
}

// assessment is one Assess under way: each part of the gateway adds its conditions, and the
// first optional part that failed is what makes Ready False.
type assessment struct {
	gwd     *gatewayv1alpha1.GatewayDeployment
	obs     Observed
	desired int32
	now     metav1.Time
	st      gatewayv1alpha1.GatewayDeploymentStatus

	available, degraded metav1.Condition
	conditions          []metav1.Condition
	optionalFailed      *metav1.Condition
}

// add records c as one of the status's conditions.
func (a *assessment) add(c metav1.Condition) { a.conditions = append(a.conditions, c) }

// addOptional records the condition of a part the spec asked for; when it is False, and no
// part before it failed, it is why the gateway is not Ready.
func (a *assessment) addOptional(c metav1.Condition) {
	a.add(c)
	if a.optionalFailed == nil && c.Status == metav1.ConditionFalse {
		a.optionalFailed = &c
	}
}

// blockedBy makes c why the gateway is not Ready, unless a part before it failed.
func (a *assessment) blockedBy(c *metav1.Condition) {
	if a.optionalFailed == nil {
		a.optionalFailed = c
	}
}

// absent removes the conditions of a part the spec no longer asks for.
func (a *assessment) absent(types ...string) {
	for _, t := range types {
		removeCondition(&a.st.Conditions, t)
	}
}

// finish puts Ready first and stamps every condition with the generation judged.
func (a *assessment) finish() gatewayv1alpha1.GatewayDeploymentStatus {
	ready := readyCondition(a.gwd, a.obs, a.desired, a.available, a.degraded, a.optionalFailed)
	for _, c := range append([]metav1.Condition{ready}, a.conditions...) {
		c.ObservedGeneration = a.gwd.Generation
		setCondition(&a.st.Conditions, c, a.now)
	}
	return a.st
}

// Settled tells whether a status is one to publish at once: Ready and at rest, or not Ready
// for a reason other than being on its way (pods starting, the Deployment controller yet to
// act). A Ready gateway rolling out is on its way too: its progress is folded like a new
// one's, so that an update of many gateways writes about one status each.
func Settled(st gatewayv1alpha1.GatewayDeploymentStatus) bool {
	ready := meta.FindStatusCondition(st.Conditions, gatewayv1alpha1.ConditionReady)
	switch {
	case ready == nil:
		return false
	case ready.Status == metav1.ConditionTrue:
		return !meta.IsStatusConditionTrue(st.Conditions, gatewayv1alpha1.ConditionProgressing)
	}
	return ready.Reason != gatewayv1alpha1.ReasonReconciling && ready.Reason != gatewayv1alpha1.ReasonMinimumReplicasUnavailable
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
