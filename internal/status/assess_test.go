// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

var t0 = metav1.NewTime(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))

func gateway(replicas int32) *gatewayv1alpha1.GatewayDeployment {
	return &gatewayv1alpha1.GatewayDeployment{
		ObjectMeta: metav1.ObjectMeta{Name: "edge", Namespace: "ns", Generation: 3},
		Spec:       gatewayv1alpha1.GatewayDeploymentSpec{Replicas: ptr.To(replicas)},
	}
}

// dep is a Deployment the controller has observed, with replicas/updated/available pods.
func dep(replicas, updated, available int32, conditions ...appsv1.DeploymentCondition) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "edge", Generation: 2},
		Status: appsv1.DeploymentStatus{
			ObservedGeneration: 2, Replicas: replicas, UpdatedReplicas: updated,
			ReadyReplicas: available, AvailableReplicas: available, Conditions: conditions,
		},
	}
}

var svc = &corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.7", ClusterIPs: []string{"10.0.0.7"}}}

func cond(st gatewayv1alpha1.GatewayDeploymentStatus, t string) metav1.Condition {
	c := meta.FindStatusCondition(st.Conditions, t)
	if c == nil {
		return metav1.Condition{}
	}
	return *c
}

func TestAssess(t *testing.T) {
	cases := []struct {
		name      string
		gwd       *gatewayv1alpha1.GatewayDeployment
		obs       Observed
		ready     metav1.ConditionStatus
		reason    string
		available metav1.ConditionStatus
		progress  metav1.ConditionStatus
		degraded  metav1.ConditionStatus
	}{
		{"first sight", gateway(1), Observed{},
			metav1.ConditionUnknown, gatewayv1alpha1.ReasonReconciling, metav1.ConditionUnknown, metav1.ConditionTrue, metav1.ConditionFalse},
		{"not yet observed by the Deployment controller", gateway(1), Observed{Deployment: &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Generation: 1}}, Service: svc},
			metav1.ConditionUnknown, gatewayv1alpha1.ReasonReconciling, metav1.ConditionUnknown, metav1.ConditionTrue, metav1.ConditionFalse},
		{"serving", gateway(2), Observed{Deployment: dep(2, 2, 2), Service: svc},
			metav1.ConditionTrue, gatewayv1alpha1.ReasonReady, metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionFalse},
		{"scaled to zero", gateway(0), Observed{Deployment: dep(0, 0, 0), Service: svc},
			metav1.ConditionTrue, gatewayv1alpha1.ReasonReady, metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionFalse},
		{"scaled to zero before the Deployment controller acts", gateway(0), Observed{Deployment: &appsv1.Deployment{}, Service: svc},
			metav1.ConditionTrue, gatewayv1alpha1.ReasonReady, metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionFalse},
		{"pods not ready", gateway(2), Observed{Deployment: dep(2, 2, 1), Service: svc},
			metav1.ConditionFalse, gatewayv1alpha1.ReasonMinimumReplicasUnavailable, metav1.ConditionFalse, metav1.ConditionTrue, metav1.ConditionFalse},
		{"no Service yet", gateway(1), Observed{Deployment: dep(1, 1, 1)},
			metav1.ConditionUnknown, gatewayv1alpha1.ReasonReconciling, metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionFalse},
		{"progress deadline exceeded", gateway(1), Observed{Service: svc, Deployment: dep(2, 1, 1, appsv1.DeploymentCondition{
			Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded", Message: "timed out"})},
			metav1.ConditionFalse, gatewayv1alpha1.ReasonProgressDeadlineExceeded, metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionTrue},
		{"pods cannot be created", gateway(1), Observed{Service: svc, Deployment: dep(0, 0, 0, appsv1.DeploymentCondition{
			Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate", Message: "exceeded quota"})},
			metav1.ConditionFalse, gatewayv1alpha1.ReasonReplicaFailure, metav1.ConditionFalse, metav1.ConditionTrue, metav1.ConditionTrue},
		{"a pod crash-loops", gateway(2), Observed{Deployment: dep(2, 2, 1), Service: svc, Pods: []corev1.Pod{
			{ObjectMeta: metav1.ObjectMeta{Name: "edge-a"}, Status: corev1.PodStatus{Phase: corev1.PodRunning}},
			{ObjectMeta: metav1.ObjectMeta{Name: "edge-b"}, Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
				Name: "kong", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}}}},
		}},
			metav1.ConditionFalse, gatewayv1alpha1.ReasonPodsFailing, metav1.ConditionFalse, metav1.ConditionTrue, metav1.ConditionTrue},
		{"a pod cannot be scheduled", gateway(1), Observed{Deployment: dep(1, 1, 0), Service: svc, Pods: []corev1.Pod{
			{ObjectMeta: metav1.ObjectMeta{Name: "edge-a"}, Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{
				Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, Message: "0/3 nodes are available"}}}},
		}},
			metav1.ConditionFalse, gatewayv1alpha1.ReasonPodsFailing, metav1.ConditionFalse, metav1.ConditionTrue, metav1.ConditionTrue},
		{"a pending pod is not a failure", gateway(1), Observed{Deployment: dep(1, 1, 0), Service: svc, Pods: []corev1.Pod{
			{ObjectMeta: metav1.ObjectMeta{Name: "edge-a"}, Status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{
				Name: "kong", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}}},
		}},
			metav1.ConditionFalse, gatewayv1alpha1.ReasonMinimumReplicasUnavailable, metav1.ConditionFalse, metav1.ConditionTrue, metav1.ConditionFalse},
		{"a child could not be written", gateway(1), Observed{Deployment: dep(1, 1, 1), Service: svc, ApplyError: errors.New("admission webhook denied")},
			metav1.ConditionFalse, gatewayv1alpha1.ReasonApplyFailed, metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionTrue},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			st := Assess(tc.gwd, tc.obs, t0)
			ready := cond(st, gatewayv1alpha1.ConditionReady)
			g.Expect(ready.Status).To(Equal(tc.ready), ready.Message)
			g.Expect(ready.Reason).To(Equal(tc.reason), ready.Message)
			g.Expect(ready.Message).NotTo(BeEmpty())
			g.Expect(cond(st, gatewayv1alpha1.ConditionAvailable).Status).To(Equal(tc.available))
			g.Expect(cond(st, gatewayv1alpha1.ConditionProgressing).Status).To(Equal(tc.progress))
			g.Expect(cond(st, gatewayv1alpha1.ConditionDegraded).Status).To(Equal(tc.degraded))
			for _, c := range st.Conditions {
				g.Expect(c.ObservedGeneration).To(Equal(int64(3)), c.Type)
			}
			g.Expect(st.ObservedGeneration).To(Equal(int64(3)))
		})
	}
}

// A rolling update with maxUnavailable 1 takes one of three pods down at a time. That is the
// rollout working, not an outage, so Ready must hold throughout.
func TestReadyHoldsWhileAvailabilityDipsWithinTheStrategy(t *testing.T) {
	g := NewWithT(t)
	gwd := gateway(3)
	gwd.Spec.Rollout.MaxUnavailable = ptr.To(intstr.FromInt32(1))
	for _, step := range []struct{ replicas, updated, available int32 }{
		{3, 0, 3}, {3, 1, 2}, {3, 1, 3}, {3, 2, 2}, {3, 3, 2}, {3, 3, 3},
	} {
		st := Assess(gwd, Observed{Deployment: dep(step.replicas, step.updated, step.available), Service: svc}, t0)
		g.Expect(cond(st, gatewayv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue), "%+v", step)
	}
	// One replica with maxUnavailable 1 still needs a pod to serve.
	one := gateway(1)
	one.Spec.Rollout.MaxUnavailable = ptr.To(intstr.FromString("100%"))
	st := Assess(one, Observed{Deployment: dep(1, 1, 0), Service: svc}, t0)
	g.Expect(cond(st, gatewayv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionFalse))
}

// Portico wrote a new spec and the cache still holds the Deployment before it, complete on
// the previous spec: that is no news of this one's rollout.
func TestACachedDeploymentBehindPorticosWriteIsStillRollingOut(t *testing.T) {
	g := NewWithT(t)
	st := Assess(gateway(2), Observed{Deployment: dep(2, 2, 2), DeploymentBehind: true, Service: svc}, t0)
	progressing := cond(st, gatewayv1alpha1.ConditionProgressing)
	g.Expect(progressing.Status).To(Equal(metav1.ConditionTrue))
	g.Expect(progressing.Reason).To(Equal(gatewayv1alpha1.ReasonRollingOut))
	g.Expect(cond(st, gatewayv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue), "the previous spec's pods still serve")
	g.Expect(Settled(st)).To(BeFalse())
}

func TestTransitionTimeChangesOnlyWithStatus(t *testing.T) {
	g := NewWithT(t)
	gwd := gateway(2)
	gwd.Status = Assess(gwd, Observed{Deployment: dep(2, 2, 2), Service: svc}, t0)

	later := metav1.NewTime(t0.Add(time.Minute))
	same := Assess(gwd, Observed{Deployment: dep(2, 2, 2), Service: svc}, later)
	g.Expect(same).To(Equal(gwd.Status), "an unchanged observation must give an identical status")

	changed := Assess(gwd, Observed{Deployment: dep(2, 2, 1), Service: svc}, later)
	g.Expect(cond(changed, gatewayv1alpha1.ConditionReady).LastTransitionTime).To(Equal(later))
	g.Expect(cond(changed, gatewayv1alpha1.ConditionDegraded).LastTransitionTime).To(Equal(t0))
}

func TestAddressesPutTheLoadBalancerFirst(t *testing.T) {
	g := NewWithT(t)
	lb := svc.DeepCopy()
	lb.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "203.0.113.9"}, {Hostname: "edge.example.com"}}
	st := Assess(gateway(1), Observed{Deployment: dep(1, 1, 1), Service: lb}, t0)
	g.Expect(st.Addresses).To(Equal([]gatewayv1alpha1.GatewayAddress{
		{Type: gatewayv1alpha1.AddressTypeIPAddress, Value: "203.0.113.9"},
		{Type: gatewayv1alpha1.AddressTypeHostname, Value: "edge.example.com"},
		{Type: gatewayv1alpha1.AddressTypeIPAddress, Value: "10.0.0.7"},
	}))
	g.Expect(st.ReadySummary).To(Equal("1/1"))
}

func TestPodFailuresAreNamedAndCapped(t *testing.T) {
	g := NewWithT(t)
	var pods []corev1.Pod
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		pods = append(pods, corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "edge-" + name}, Status: corev1.PodStatus{
			ContainerStatuses: []corev1.ContainerStatus{{Name: "kong", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
				Reason: "ImagePullBackOff", Message: "Back-off pulling image"}}}}}})
	}
	st := Assess(gateway(5), Observed{Deployment: dep(5, 5, 0), Service: svc, Pods: pods}, t0)
	msg := cond(st, gatewayv1alpha1.ConditionDegraded).Message
	g.Expect(msg).To(HavePrefix("5 of 5 pods failing: pod edge-a container kong: ImagePullBackOff (Back-off pulling image); "))
	g.Expect(msg).To(HaveSuffix("and 2 more"))
}

func meshGateway(injection gatewayv1alpha1.SidecarInjection, mode gatewayv1alpha1.MTLSMode) *gatewayv1alpha1.GatewayDeployment {
	gwd := gateway(1)
	gwd.Spec.Mesh = &gatewayv1alpha1.MeshSpec{SidecarInjection: injection, MTLS: &gatewayv1alpha1.MeshMTLS{Mode: mode}}
	return gwd
}

func readyPod(containers ...string) corev1.Pod {
	pod := corev1.Pod{Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
	for _, c := range containers {
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{Name: c, Ready: true})
	}
	return pod
}

func TestMeshReady(t *testing.T) {
	installed := MeshObserved{IstioInstalled: true, DestinationRules: 2, PeerAuthentication: true}
	cases := []struct {
		name   string
		gwd    *gatewayv1alpha1.GatewayDeployment
		mesh   MeshObserved
		pods   []corev1.Pod
		status metav1.ConditionStatus
		reason string
	}{
		{"no mesh", &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "gw", Generation: 3}}, MeshObserved{}, nil, "", ""},
		// Injection alone needs nothing of Istio's: said, never blocking Ready, Istio or not.
		{"injection left to the namespace", meshGateway(gatewayv1alpha1.SidecarInjectionInherit, gatewayv1alpha1.MTLSModeInherit), MeshObserved{}, nil,
			metav1.ConditionTrue, gatewayv1alpha1.ReasonMeshConfigured},
		{"injection off", meshGateway(gatewayv1alpha1.SidecarInjectionDisabled, gatewayv1alpha1.MTLSModeInherit), MeshObserved{}, nil,
			metav1.ConditionTrue, gatewayv1alpha1.ReasonSidecarInjectionDisabled},
		{"Istio missing", meshGateway(gatewayv1alpha1.SidecarInjectionEnabled, gatewayv1alpha1.MTLSModeInherit), MeshObserved{}, nil,
			metav1.ConditionFalse, gatewayv1alpha1.ReasonIstioNotInstalled},
		{"sidecar missing", meshGateway(gatewayv1alpha1.SidecarInjectionEnabled, gatewayv1alpha1.MTLSModeIstioMutual), installed,
			[]corev1.Pod{readyPod("kong")}, metav1.ConditionFalse, gatewayv1alpha1.ReasonSidecarNotInjected},
		{"mTLS through the namespace's injection needs the sidecar too", meshGateway(gatewayv1alpha1.SidecarInjectionInherit, gatewayv1alpha1.MTLSModeIstioMutual), installed,
			[]corev1.Pod{readyPod("kong")}, metav1.ConditionFalse, gatewayv1alpha1.ReasonSidecarNotInjected},
		{"sidecars everywhere", meshGateway(gatewayv1alpha1.SidecarInjectionEnabled, gatewayv1alpha1.MTLSModeIstioMutual), installed,
			[]corev1.Pod{readyPod("kong", "istio-proxy"), {}}, metav1.ConditionTrue, gatewayv1alpha1.ReasonMeshConfigured},
		{"mTLS off, no sidecar expected", meshGateway(gatewayv1alpha1.SidecarInjectionDisabled, gatewayv1alpha1.MTLSModeDisable), MeshObserved{IstioInstalled: true, DestinationRules: 1},
			[]corev1.Pod{readyPod("kong")}, metav1.ConditionTrue, gatewayv1alpha1.ReasonMeshConfigured},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			st := Assess(tc.gwd, Observed{Deployment: dep(1, 1, 1), Service: svc, Pods: tc.pods, Mesh: tc.mesh}, t0)
			c := meta.FindStatusCondition(st.Conditions, gatewayv1alpha1.ConditionMeshReady)
			ready := cond(st, gatewayv1alpha1.ConditionReady)
			if tc.status == "" {
				g.Expect(c).To(BeNil())
				g.Expect(st.Mesh).To(BeNil())
				g.Expect(ready.Status).To(Equal(metav1.ConditionTrue))
				return
			}
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(tc.status), c.Message)
			g.Expect(c.Reason).To(Equal(tc.reason), c.Message)
			if tc.status == metav1.ConditionTrue {
				g.Expect(ready.Status).To(Equal(metav1.ConditionTrue))
			} else {
				g.Expect(ready.Reason).To(Equal(tc.reason), "Ready summarises MeshReady")
			}
		})
	}
}

func TestSettled(t *testing.T) {
	g := NewWithT(t)
	withReady := func(s metav1.ConditionStatus, reason string) gatewayv1alpha1.GatewayDeploymentStatus {
		return gatewayv1alpha1.GatewayDeploymentStatus{Conditions: []metav1.Condition{{Type: gatewayv1alpha1.ConditionReady, Status: s, Reason: reason}}}
	}
	g.Expect(Settled(withReady(metav1.ConditionTrue, gatewayv1alpha1.ReasonReady))).To(BeTrue())
	g.Expect(Settled(withReady(metav1.ConditionFalse, gatewayv1alpha1.ReasonPodsFailing))).To(BeTrue(), "a problem is news")
	g.Expect(Settled(withReady(metav1.ConditionFalse, gatewayv1alpha1.ReasonIstioNotInstalled))).To(BeTrue())
	g.Expect(Settled(withReady(metav1.ConditionUnknown, gatewayv1alpha1.ReasonReconciling))).To(BeFalse(), "on its way")
	g.Expect(Settled(withReady(metav1.ConditionFalse, gatewayv1alpha1.ReasonMinimumReplicasUnavailable))).To(BeFalse(), "pods starting")
	g.Expect(Settled(gatewayv1alpha1.GatewayDeploymentStatus{})).To(BeFalse())
	rolling := withReady(metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)
	rolling.Conditions = append(rolling.Conditions, metav1.Condition{Type: gatewayv1alpha1.ConditionProgressing,
		Status: metav1.ConditionTrue, Reason: gatewayv1alpha1.ReasonRollingOut})
	g.Expect(Settled(rolling)).To(BeFalse(), "Ready, rolling out")
	rolling.Conditions[len(rolling.Conditions)-1].Status = metav1.ConditionFalse
	rolling.Conditions[len(rolling.Conditions)-1].Reason = gatewayv1alpha1.ReasonRolloutComplete
	g.Expect(Settled(rolling)).To(BeTrue(), "Ready, rolled out")
}

// A certificate's expiry is judged from the certificate, on the given clock: while Konnect's
// API is down too. Expiring leaves Ready as it is; expired takes it down.
func TestKonnectCertificateExpiry(t *testing.T) {
	notAfter := metav1.NewTime(t0.Add(90 * 24 * time.Hour))
	pod := readyPod("kong")
	pod.Name = "edge-7d4b9c-x2x7q"
	apiDown := KonnectObserved{
		Requested: true, Pinned: true, RenewBy: notAfter.Add(-30 * 24 * time.Hour),
		Reason: gatewayv1alpha1.ReasonAPIUnavailable, Message: "Konnect's API failed: connection refused.",
		Summary: gatewayv1alpha1.KonnectStatus{ControlPlaneID: "cp", CertificateID: "c1", CertificateNotAfter: &notAfter},
	}
	for _, tc := range []struct {
		name       string
		at         time.Time
		registered string
		ready      metav1.ConditionStatus
	}{
		{"before its renewal time: the API's failure", notAfter.Add(-40 * 24 * time.Hour), gatewayv1alpha1.ReasonAPIUnavailable, metav1.ConditionTrue},
		{"past its renewal time", notAfter.Add(-time.Hour), gatewayv1alpha1.ReasonCertificateExpiring, metav1.ConditionTrue},
		{"expired", notAfter.Add(time.Second), gatewayv1alpha1.ReasonCertificateExpired, metav1.ConditionFalse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			obs := apiDown
			// The last poll, made just before the API went down, saw the pod connected.
			obs.PolledAt, obs.Nodes = tc.at.Add(-time.Minute), map[string]time.Time{pod.Name: tc.at.Add(-80 * time.Second)}
			st := Assess(gateway(1), Observed{Deployment: dep(1, 1, 1), Service: svc, Pods: []corev1.Pod{pod}, Konnect: obs}, metav1.NewTime(tc.at))
			registered := cond(st, gatewayv1alpha1.ConditionKonnectRegistered)
			g.Expect(registered.Reason).To(Equal(tc.registered), registered.Message)
			g.Expect(registered.Status).To(Equal(metav1.ConditionFalse))
			ready := cond(st, gatewayv1alpha1.ConditionReady)
			g.Expect(ready.Status).To(Equal(tc.ready), ready.Message)
			if tc.registered != gatewayv1alpha1.ReasonAPIUnavailable {
				g.Expect(registered.Message).To(ContainSubstring(notAfter.UTC().Format(time.RFC3339)))
				g.Expect(registered.Message).To(ContainSubstring("connection refused"), "and why it was not renewed")
			}
			if tc.ready == metav1.ConditionFalse {
				g.Expect(ready.Reason).To(Equal(gatewayv1alpha1.ReasonCertificateExpired))
			}
		})
	}
}
