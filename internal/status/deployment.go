// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// replicas reads the Deployment's counts and judges Available, Progressing and Degraded.
func (a *assessment) replicas() {
	if d := a.obs.Deployment; d != nil {
		a.st.Replicas = d.Status.Replicas
		a.st.ReadyReplicas = d.Status.ReadyReplicas
		a.st.UpdatedReplicas = d.Status.UpdatedReplicas
		a.st.AvailableReplicas = d.Status.AvailableReplicas
	}
	a.st.ReadySummary = fmt.Sprintf("%d/%d", a.st.ReadyReplicas, a.desired)
	a.st.Addresses = addresses(a.obs.Service)
	a.available = availableCondition(a.gwd, a.obs.Deployment, a.desired)
	a.degraded = degradedCondition(a.gwd, a.obs)
	a.add(a.available)
	a.add(progressingCondition(a.obs.Deployment, a.obs.DeploymentBehind, a.desired))
	a.add(a.degraded)
}

// PodReady tells whether a pod's Ready condition is True.
func PodReady(pod *corev1.Pod) bool {
	_, ready := readySince(pod)
	return ready
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

// RolloutComplete tells whether d runs desired pods of its current spec, all available.
func RolloutComplete(d *appsv1.Deployment, desired int32) bool {
	return d != nil && d.Status.ObservedGeneration >= d.Generation &&
		d.Status.UpdatedReplicas == desired && d.Status.Replicas == desired && d.Status.AvailableReplicas == desired
}

func progressingCondition(d *appsv1.Deployment, behind bool, desired int32) metav1.Condition {
	c := metav1.Condition{Type: gatewayv1alpha1.ConditionProgressing}
	switch {
	case d == nil || behind || d.Status.ObservedGeneration < d.Generation:
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

func degradedCondition(gwd *gatewayv1alpha1.GatewayDeployment, obs Observed) metav1.Condition {
	c := metav1.Condition{Type: gatewayv1alpha1.ConditionDegraded}
	d := obs.Deployment
	failures := podFailures(obs.Pods)
	blocked := sidecarBlocked(gwd, d)
	switch {
	case len(obs.Conflicts) > 0:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, gatewayv1alpha1.ReasonChildConflict, strings.Join(obs.Conflicts, " ")
	case obs.ApplyError != nil:
		c.Status, c.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonApplyFailed
		c.Message = fmt.Sprintf("Writing the gateway's children failed: %v", obs.ApplyError)
	case d != nil && deadlineExceeded(d) != nil:
		c.Status, c.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonProgressDeadlineExceeded
		c.Message = fmt.Sprintf("Deployment %s: %s", d.Name, deadlineExceeded(d).Message)
	case blocked != "":
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, gatewayv1alpha1.ReasonSidecarBlocked, blocked
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
