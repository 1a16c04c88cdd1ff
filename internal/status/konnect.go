// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// KonnectObserved is what the reconcile found and did for the Konnect registration.
type KonnectObserved struct {
	// Requested is true when spec.konnect is set, or when certificates are still pinned after
	// it was removed.
	Requested bool
	// Reason and Message say why the registration is not what the spec asks for; Reason is
	// empty when it is.
	Reason, Message string
	// Pinned is true once the pods are configured with a pinned certificate.
	Pinned bool
	// Rotating is true from pinning a new certificate until the old one is unpinned.
	Rotating bool
	Summary  gatewayv1alpha1.KonnectStatus
	// Nodes are the data planes of the last successful poll (hostname to last ping), taken at
	// PolledAt; a zero PolledAt means none succeeded yet.
	Nodes    map[string]time.Time
	PolledAt time.Time
	// PollReason and PollMessage tell why the last poll failed; empty when it did not.
	PollReason, PollMessage string
	// RenewBy is when the certificate in use should have been replaced (its renewal time);
	// zero when there is none.
	RenewBy time.Time
}

const (
	// NodeFreshness is how recent a node's last ping must be, at the time of the poll, for it
	// to count as connected. Kong's data planes ping every 30 s.
	NodeFreshness = 90 * time.Second
	// ConnectGrace is how long after becoming ready a pod may take to appear in a poll before
	// it counts as missing.
	ConnectGrace = 30 * time.Second
)

// konnectConnections sorts the ready pods by what the last poll says of them.
type konnectConnections struct {
	ready                       int
	connected, pending, missing []string
}

// connections places each ready pod: connected (a fresh node of its name), pending (polled
// too soon after it became ready to tell), or missing.
func connections(obs KonnectObserved, pods []corev1.Pod) konnectConnections {
	var out konnectConnections
	for i := range pods {
		pod := &pods[i]
		since, ready := readySince(pod)
		if !ready || pod.DeletionTimestamp != nil {
			continue
		}
		out.ready++
		ping, seen := obs.Nodes[pod.Name]
		switch {
		case seen && obs.PolledAt.Sub(ping) <= NodeFreshness:
			out.connected = append(out.connected, pod.Name)
		case obs.PolledAt.Before(since.Add(ConnectGrace)):
			out.pending = append(out.pending, pod.Name)
		default:
			out.missing = append(out.missing, pod.Name)
		}
	}
	sort.Strings(out.missing)
	sort.Strings(out.pending)
	return out
}

// AwaitingCheckIn tells whether a ready pod is missing from nodes while it may still be
// checking in (within ConnectGrace of becoming ready, and a poll's worth after): polls made
// then settle it sooner than the poll interval would.
func AwaitingCheckIn(nodes map[string]time.Time, pods []corev1.Pod, now time.Time) bool {
	for i := range pods {
		since, ready := readySince(&pods[i])
		if _, seen := nodes[pods[i].Name]; ready && !seen && now.Before(since.Add(ConnectGrace+10*time.Second)) {
			return true
		}
	}
	return false
}

func readySince(pod *corev1.Pod) (time.Time, bool) {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.LastTransitionTime.Time, c.Status == corev1.ConditionTrue
		}
	}
	return time.Time{}, false
}

// konnect judges KonnectRegistered and KonnectConnected when the spec asks for Konnect.
func (a *assessment) konnect() {
	if !a.obs.Konnect.Requested {
		a.absent(gatewayv1alpha1.ConditionKonnectRegistered, gatewayv1alpha1.ConditionKonnectConnected)
		return
	}
	registered, connected, blocking, summary := konnectConditions(a.obs.Konnect, a.obs.Pods, a.desired, a.now.Time)
	a.add(registered)
	a.add(connected)
	a.blockedBy(blocking)
	a.st.Konnect = summary
}

// konnectConditions judges the registration and the connection, and gives status.konnect.
// blocking is the condition that keeps Ready False, if any: before the first registration,
// or when no ready pod is connected. Once registered, a failing Konnect API does not: the
// data planes keep serving.
func konnectConditions(obs KonnectObserved, pods []corev1.Pod, desired int32, now time.Time) (registered, connected metav1.Condition, blocking *metav1.Condition, summary *gatewayv1alpha1.KonnectStatus) {
	registered = registeredCondition(obs, now)
	expired := registered.Reason == gatewayv1alpha1.ReasonCertificateExpired
	if expired || (!obs.Pinned && registered.Status == metav1.ConditionFalse) {
		blocking = &registered
	}
	conns := connections(obs, pods)
	s := obs.Summary
	summary = &s
	summary.ConnectedNodes = int32(len(conns.connected))
	connected = connectedCondition(obs, conns, desired)
	if connected.Reason == gatewayv1alpha1.ReasonNodesMissing && len(conns.connected) == 0 && len(conns.pending) == 0 && blocking == nil {
		blocking = &connected
	}
	if obs.PollReason != "" && obs.Pinned {
		// What was last known stands, but it may be stale: say so.
		connected.Status, connected.Reason = metav1.ConditionUnknown, obs.PollReason
		connected.Message = obs.PollMessage + " Last known: " + connected.Message
	}
	return registered, connected, blocking, summary
}

// registeredCondition judges the registration from the certificate itself, so that it holds
// while Konnect's API is down.
func registeredCondition(obs KonnectObserved, now time.Time) metav1.Condition {
	registered := metav1.Condition{Type: gatewayv1alpha1.ConditionKonnectRegistered}
	s := obs.Summary
	expiry := ""
	if s.CertificateNotAfter != nil {
		expiry = s.CertificateNotAfter.UTC().Format(time.RFC3339)
	}
	failing := ""
	if obs.Reason != "" {
		failing = " Renewing it failed: " + obs.Message
	}
	switch {
	case obs.Pinned && expiry != "" && !now.Before(s.CertificateNotAfter.Time):
		registered.Status, registered.Reason = metav1.ConditionFalse, gatewayv1alpha1.ReasonCertificateExpired
		registered.Message = fmt.Sprintf("Certificate %s expired at %s: the data planes cannot connect to control plane %s until it is replaced.%s",
			s.CertificateID, expiry, s.ControlPlaneID, failing)
	case obs.Pinned && expiry != "" && !obs.RenewBy.IsZero() && !now.Before(obs.RenewBy):
		registered.Status, registered.Reason = metav1.ConditionFalse, gatewayv1alpha1.ReasonCertificateExpiring
		registered.Message = fmt.Sprintf("Certificate %s expires at %s and is past its renewal time (%s); the data planes still connect.%s",
			s.CertificateID, expiry, obs.RenewBy.UTC().Format(time.RFC3339), failing)
	case obs.Reason != "":
		registered.Status, registered.Reason, registered.Message = metav1.ConditionFalse, obs.Reason, obs.Message
	case obs.Rotating:
		registered.Status, registered.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonCertificateRotating
		registered.Message = fmt.Sprintf("New certificate %s pinned to control plane %s; the old one is unpinned once the pods have rolled onto it.",
			s.CertificateID, s.ControlPlaneID)
	default:
		registered.Status, registered.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonKonnectRegistered
		registered.Message = fmt.Sprintf("Certificate %s is pinned to control plane %s", s.CertificateID, s.ControlPlaneID)
		if expiry != "" {
			registered.Message += ", valid until " + expiry
		}
		registered.Message += "."
	}
	return registered
}

// connectedCondition judges whether the ready pods checked in with the control plane.
func connectedCondition(obs KonnectObserved, conns konnectConnections, desired int32) metav1.Condition {
	connected := metav1.Condition{Type: gatewayv1alpha1.ConditionKonnectConnected}
	controlPlane := obs.Summary.ControlPlaneID
	switch {
	case !obs.Pinned:
		connected.Status, connected.Reason, connected.Message = metav1.ConditionUnknown, gatewayv1alpha1.ReasonReconciling,
			"Waiting for the gateway to be registered with Konnect."
	case desired == 0:
		connected.Status, connected.Reason, connected.Message = metav1.ConditionTrue, gatewayv1alpha1.ReasonConnected,
			"Scaled to 0 replicas: no data planes expected."
	case obs.PolledAt.IsZero():
		connected.Status, connected.Reason = metav1.ConditionUnknown, gatewayv1alpha1.ReasonReconciling
		connected.Message = "Waiting for Konnect's list of data planes."
	case conns.ready == 0:
		connected.Status, connected.Reason, connected.Message = metav1.ConditionUnknown, gatewayv1alpha1.ReasonReconciling,
			"No ready gateway pods yet."
	case len(conns.missing) > 0:
		connected.Status, connected.Reason = metav1.ConditionFalse, gatewayv1alpha1.ReasonNodesMissing
		connected.Message = fmt.Sprintf("%d of %d ready pods checked in with control plane %s lately; not seen: %s.",
			len(conns.connected), conns.ready, controlPlane, shortList(conns.missing))
	case len(conns.pending) > 0:
		connected.Status, connected.Reason = metav1.ConditionUnknown, gatewayv1alpha1.ReasonReconciling
		connected.Message = fmt.Sprintf("%d of %d ready pods checked in with control plane %s; waiting for %s.",
			len(conns.connected), conns.ready, controlPlane, shortList(conns.pending))
	default:
		connected.Status, connected.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonConnected
		connected.Message = fmt.Sprintf("All %d ready pods checked in with control plane %s.", conns.ready, controlPlane)
	}
	return connected
}

func shortList(names []string) string {
	if len(names) > 3 {
		return strings.Join(names[:3], ", ") + fmt.Sprintf(" and %d more", len(names)-3)
	}
	return strings.Join(names, ", ")
}
