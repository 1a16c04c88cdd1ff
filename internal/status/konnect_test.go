// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// konnectPod is a pod ready since the given time.
func konnectPod(name string, readySince time.Time) corev1.Pod {
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{
			Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(readySince)}}},
	}
}

// The Konnect conditions as a table: each case is what the reconcile observed, and what the
// two conditions and Ready's blocker must say.
func TestKonnectConditions(t *testing.T) {
	now := t0.Time
	notAfter := metav1.NewTime(now.Add(60 * 24 * time.Hour))
	summary := gatewayv1alpha1.KonnectStatus{ControlPlaneID: "cp-1", CertificateID: "cert-1", CertificateNotAfter: &notAfter}
	pinned := func(mutate func(*KonnectObserved)) KonnectObserved {
		obs := KonnectObserved{Requested: true, Pinned: true, Summary: summary, PolledAt: now.Add(-5 * time.Second),
			Nodes: map[string]time.Time{"a": now.Add(-10 * time.Second), "b": now.Add(-20 * time.Second)}}
		if mutate != nil {
			mutate(&obs)
		}
		return obs
	}
	longReady := []corev1.Pod{konnectPod("a", now.Add(-time.Hour)), konnectPod("b", now.Add(-time.Hour))}
	cases := []struct {
		name                         string
		obs                          KonnectObserved
		pods                         []corev1.Pod
		desired                      int32
		registered, connected, block string // reasons; block "" when nothing blocks Ready
		connectedStatus              metav1.ConditionStatus
	}{
		{"not registered: the token is refused", KonnectObserved{Requested: true, Reason: gatewayv1alpha1.ReasonAuthInvalid, Message: "401"},
			nil, 2, gatewayv1alpha1.ReasonAuthInvalid, gatewayv1alpha1.ReasonReconciling, gatewayv1alpha1.ReasonAuthInvalid, metav1.ConditionUnknown},
		{"registered, connected", pinned(nil), longReady, 2,
			gatewayv1alpha1.ReasonKonnectRegistered, gatewayv1alpha1.ReasonConnected, "", metav1.ConditionTrue},
		{"registered, not polled yet", pinned(func(o *KonnectObserved) { o.PolledAt, o.Nodes = time.Time{}, nil }), longReady, 2,
			gatewayv1alpha1.ReasonKonnectRegistered, gatewayv1alpha1.ReasonReconciling, "", metav1.ConditionUnknown},
		{"certificate expired", pinned(func(o *KonnectObserved) {
			expired := metav1.NewTime(now.Add(-time.Minute))
			o.Summary.CertificateNotAfter = &expired
		}), longReady, 2, gatewayv1alpha1.ReasonCertificateExpired, gatewayv1alpha1.ReasonConnected, gatewayv1alpha1.ReasonCertificateExpired, metav1.ConditionTrue},
		{"past its renewal time: warned, not blocking", pinned(func(o *KonnectObserved) { o.RenewBy = now.Add(-time.Hour) }), longReady, 2,
			gatewayv1alpha1.ReasonCertificateExpiring, gatewayv1alpha1.ReasonConnected, "", metav1.ConditionTrue},
		{"renewal failing before its time: reported, not blocking", pinned(func(o *KonnectObserved) {
			o.Reason, o.Message, o.RenewBy = gatewayv1alpha1.ReasonAPIUnavailable, "503", now.Add(time.Hour)
		}), longReady, 2, gatewayv1alpha1.ReasonAPIUnavailable, gatewayv1alpha1.ReasonConnected, "", metav1.ConditionTrue},
		{"rotating", pinned(func(o *KonnectObserved) { o.Rotating = true }), longReady, 2,
			gatewayv1alpha1.ReasonCertificateRotating, gatewayv1alpha1.ReasonConnected, "", metav1.ConditionTrue},
		{"one pod missing: not blocking", pinned(func(o *KonnectObserved) { delete(o.Nodes, "b") }), longReady, 2,
			gatewayv1alpha1.ReasonKonnectRegistered, gatewayv1alpha1.ReasonNodesMissing, "", metav1.ConditionFalse},
		{"every pod missing: blocking", pinned(func(o *KonnectObserved) { o.Nodes = map[string]time.Time{} }), longReady, 2,
			gatewayv1alpha1.ReasonKonnectRegistered, gatewayv1alpha1.ReasonNodesMissing, gatewayv1alpha1.ReasonNodesMissing, metav1.ConditionFalse},
		{"a stale ping counts as missing", pinned(func(o *KonnectObserved) { o.Nodes["b"] = now.Add(-10 * time.Minute) }), longReady, 2,
			gatewayv1alpha1.ReasonKonnectRegistered, gatewayv1alpha1.ReasonNodesMissing, "", metav1.ConditionFalse},
		{"a pod ready a moment ago is pending", pinned(func(o *KonnectObserved) { delete(o.Nodes, "b") }),
			[]corev1.Pod{konnectPod("a", now.Add(-time.Hour)), konnectPod("b", now.Add(-10*time.Second))}, 2,
			gatewayv1alpha1.ReasonKonnectRegistered, gatewayv1alpha1.ReasonReconciling, "", metav1.ConditionUnknown},
		{"the last poll failed: last known, marked stale", pinned(func(o *KonnectObserved) {
			o.PollReason, o.PollMessage = gatewayv1alpha1.ReasonAPIUnavailable, "Konnect answered 503."
		}), longReady, 2, gatewayv1alpha1.ReasonKonnectRegistered, gatewayv1alpha1.ReasonAPIUnavailable, "", metav1.ConditionUnknown},
		{"scaled to zero", pinned(func(o *KonnectObserved) { o.Nodes = nil }), nil, 0,
			gatewayv1alpha1.ReasonKonnectRegistered, gatewayv1alpha1.ReasonConnected, "", metav1.ConditionTrue},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			registered, connected, blocking, st := konnectConditions(c.obs, c.pods, c.desired, now)
			g.Expect(registered.Reason).To(Equal(c.registered), registered.Message)
			g.Expect(connected.Reason).To(Equal(c.connected), connected.Message)
			g.Expect(connected.Status).To(Equal(c.connectedStatus), connected.Message)
			if c.block == "" {
				g.Expect(blocking).To(BeNil())
			} else {
				g.Expect(blocking).NotTo(BeNil())
				g.Expect(blocking.Reason).To(Equal(c.block))
			}
			g.Expect(st.ControlPlaneID).To(Equal(c.obs.Summary.ControlPlaneID))
		})
	}
}
