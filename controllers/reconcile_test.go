// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/render"
)

// createGateway creates a GatewayDeployment and waits for its Deployment and Service.
func createGateway(t *testing.T, ns, name string, mutate func(*gatewayv1alpha1.GatewayDeployment)) *gatewayv1alpha1.GatewayDeployment {
	t.Helper()
	gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if mutate != nil {
		mutate(gwd)
	}
	NewWithT(t).Expect(k8s.Create(context.Background(), gwd)).To(Succeed())
	deployment(t, gwd)
	service(t, gwd)
	return gwd
}

// child waits for the gateway's child of obj's kind and returns it.
func child[T client.Object](t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment, obj T) T {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		return k8s.Get(context.Background(), client.ObjectKeyFromObject(gwd), obj)
	}, timeout, interval).Should(Succeed(), "no %T for %s", obj, gwd.Name)
	return obj
}

func deployment(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment) *appsv1.Deployment {
	t.Helper()
	return child(t, gwd, &appsv1.Deployment{})
}

func service(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment) *corev1.Service {
	t.Helper()
	return child(t, gwd, &corev1.Service{})
}

// readyGateway creates a GatewayDeployment and plays its rollout of replicas to Ready.
func readyGateway(t *testing.T, ns, name string, replicas int32, mutate func(*gatewayv1alpha1.GatewayDeployment)) *gatewayv1alpha1.GatewayDeployment {
	t.Helper()
	gwd := createGateway(t, ns, name, func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Replicas = ptr.To(replicas)
		if mutate != nil {
			mutate(gwd)
		}
	})
	setDeploymentStatus(t, gwd, rolledOut(replicas))
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)
	return gwd
}

// setDeploymentStatus plays the Deployment controller, which envtest does not run.
func setDeploymentStatus(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment, mutate func(d *appsv1.Deployment)) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		d := &appsv1.Deployment{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(gwd), d); err != nil {
			return err
		}
		d.Status.ObservedGeneration = d.Generation
		mutate(d)
		return k8s.Status().Update(context.Background(), d)
	}, timeout, interval).Should(Succeed())
}

// rolledOut sets a finished rollout of n replicas.
func rolledOut(n int32) func(d *appsv1.Deployment) {
	return func(d *appsv1.Deployment) {
		d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas = n, n, n, n
	}
}

// condition waits until gwd's condition of type satisfies match, and returns gwd.
func condition(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment, condType string, status metav1.ConditionStatus, reason string) *gatewayv1alpha1.GatewayDeployment {
	t.Helper()
	latest := &gatewayv1alpha1.GatewayDeployment{}
	NewWithT(t).Eventually(func(g Gomega) {
		g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(gwd), latest)).To(Succeed())
		c := meta.FindStatusCondition(latest.Status.Conditions, condType)
		g.Expect(c).NotTo(BeNil(), "no %s condition", condType)
		g.Expect(c.ObservedGeneration).To(Equal(latest.Generation), "%s is stale", condType)
		g.Expect(c.Status).To(Equal(status), "%s: %s: %s", condType, c.Reason, c.Message)
		g.Expect(c.Reason).To(Equal(reason), "%s: %s", condType, c.Message)
	}, timeout, interval).Should(Succeed())
	return latest
}

func TestCreateMakesOwnedChildren(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	gwd := createGateway(t, ns, "edge", nil)
	d, s := deployment(t, gwd), service(t, gwd)

	for _, obj := range []client.Object{d, s} {
		refs := obj.GetOwnerReferences()
		g.Expect(refs).To(HaveLen(1))
		g.Expect(refs[0].UID).To(Equal(gwd.UID))
		g.Expect(refs[0].Kind).To(Equal("GatewayDeployment"))
		g.Expect(*refs[0].Controller).To(BeTrue())
		g.Expect(obj.GetLabels()).To(HaveKeyWithValue(gatewayv1alpha1.LabelManagedBy, "portico"))
		g.Expect(obj.GetLabels()).To(HaveKeyWithValue(gatewayv1alpha1.LabelInstance, "edge"))
	}
	g.Expect(d.Spec.Template.Spec.Containers[0].Image).To(Equal(testImage), "the operator's default image")
	g.Expect(s.Spec.Type).To(Equal(corev1.ServiceTypeLoadBalancer))
	g.Expect(s.Spec.Selector).To(Equal(d.Spec.Selector.MatchLabels))

	// On first sight every condition is there, Unknown until the Deployment controller acts.
	latest := condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionUnknown, gatewayv1alpha1.ReasonReconciling)
	for _, ct := range []string{gatewayv1alpha1.ConditionAvailable, gatewayv1alpha1.ConditionProgressing, gatewayv1alpha1.ConditionDegraded} {
		g.Expect(meta.FindStatusCondition(latest.Status.Conditions, ct)).NotTo(BeNil(), ct)
	}
	g.Expect(latest.Status.Selector).To(Equal("app.kubernetes.io/component=gateway,gateway.portico.dev/gatewaydeployment=edge"))
	g.Expect(latest.Status.ObservedGeneration).To(Equal(latest.Generation))

	// A new gateway's children are what its creation asked for: no event. Creating one again
	// after it was deleted is news, recorded as one event for the reconcile.
	createdNotes := func(g Gomega) []string {
		list := &eventsv1.EventList{}
		g.Expect(k8s.List(context.Background(), list, client.InNamespace(ns))).To(Succeed())
		var notes []string
		for _, e := range list.Items {
			if e.Regarding.UID == gwd.UID && e.Reason == "Created" {
				notes = append(notes, e.Note)
			}
		}
		return notes
	}
	g.Consistently(createdNotes, time.Second, interval).Should(BeEmpty())
	g.Expect(k8s.Delete(context.Background(), d)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(createdNotes(g)).To(ConsistOf("Created Deployment edge"))
	}, timeout, interval).Should(Succeed())
}

func TestStatusFollowsTheDeployment(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	gwd := createGateway(t, ns, "edge", func(gwd *gatewayv1alpha1.GatewayDeployment) { gwd.Spec.Replicas = ptr.To[int32](2) })

	setDeploymentStatus(t, gwd, rolledOut(2))
	latest := condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)
	condition(t, gwd, gatewayv1alpha1.ConditionAvailable, metav1.ConditionTrue, gatewayv1alpha1.ReasonMinimumReplicasAvailable)
	condition(t, gwd, gatewayv1alpha1.ConditionProgressing, metav1.ConditionFalse, gatewayv1alpha1.ReasonRolloutComplete)
	condition(t, gwd, gatewayv1alpha1.ConditionDegraded, metav1.ConditionFalse, gatewayv1alpha1.ReasonAsExpected)
	g.Expect(latest.Status.ReadySummary).To(Equal("2/2"))
	g.Expect(latest.Status.ReadyReplicas).To(Equal(int32(2)))
	g.Expect(latest.Status.AvailableReplicas).To(Equal(int32(2)))
	svc := service(t, gwd)
	g.Expect(latest.Status.Addresses).To(ContainElement(gatewayv1alpha1.GatewayAddress{
		Type: gatewayv1alpha1.AddressTypeIPAddress, Value: svc.Spec.ClusterIP}))

	// Pods lost: no longer serving.
	setDeploymentStatus(t, gwd, func(d *appsv1.Deployment) { d.Status.ReadyReplicas, d.Status.AvailableReplicas = 0, 0 })
	latest = condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonMinimumReplicasUnavailable)
	g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionReady).Message).
		To(Equal("0 of 2 replicas available; at least 2 needed."))

	// A load balancer's address comes first once there is one; readiness never waited for it.
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "203.0.113.10"}}
	g.Expect(k8s.Status().Update(context.Background(), svc)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(gwd), latest)).To(Succeed())
		g.Expect(latest.Status.Addresses).NotTo(BeEmpty())
		g.Expect(latest.Status.Addresses[0].Value).To(Equal("203.0.113.10"))
	}, timeout, interval).Should(Succeed())
}

func TestZeroReplicasIsReady(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	gwd := createGateway(t, ns, "idle", func(gwd *gatewayv1alpha1.GatewayDeployment) { gwd.Spec.Replicas = ptr.To[int32](0) })
	g.Expect(*deployment(t, gwd).Spec.Replicas).To(Equal(int32(0)))
	setDeploymentStatus(t, gwd, rolledOut(0))
	latest := condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)
	g.Expect(latest.Status.ReadySummary).To(Equal("0/0"))
}

func TestReadyHoldsThroughARollingUpdate(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	gwd := readyGateway(t, ns, "edge", 2, nil)

	before, oldGeneration := deployment(t, gwd).Generation, gwd.Generation
	list := &gatewayv1alpha1.GatewayDeploymentList{}
	g.Expect(k8s.List(ctx, list, client.InNamespace(ns))).To(Succeed())
	w, err := k8s.Watch(ctx, list, client.InNamespace(ns))
	g.Expect(err).NotTo(HaveOccurred())
	defer w.Stop()
	g.Expect(k8s.Patch(ctx, gwd, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"image":"kong/kong-gateway:3.12"}}`)))).To(Succeed())
	g.Eventually(func() int64 { return deployment(t, gwd).Generation }, timeout, interval).Should(BeNumerically(">", before))

	// Every status written for the new generation says the rollout has begun, never that it
	// is complete: the Deployment controller has not acted on the new template yet.
	for seen := false; !seen; {
		select {
		case ev := <-w.ResultChan():
			obj, ok := ev.Object.(*gatewayv1alpha1.GatewayDeployment)
			if !ok || obj.Status.ObservedGeneration != obj.Generation || obj.Generation == oldGeneration {
				continue
			}
			c := meta.FindStatusCondition(obj.Status.Conditions, gatewayv1alpha1.ConditionProgressing)
			g.Expect(c.Reason).To(Equal(gatewayv1alpha1.ReasonRollingOut), "the new generation was reported as: %s", c.Message)
			seen = true
		case <-time.After(timeout):
			t.Fatal("no status for the new generation")
		}
	}

	// The steps a surge rollout of 2 replicas goes through (maxSurge 1, maxUnavailable 0).
	steps := []struct{ replicas, updated, available int32 }{
		{3, 1, 2}, {3, 1, 3}, {3, 2, 2}, {3, 2, 3}, {2, 2, 2},
	}
	for i, step := range steps {
		setDeploymentStatus(t, gwd, func(d *appsv1.Deployment) {
			d.Status.Replicas, d.Status.UpdatedReplicas = step.replicas, step.updated
			d.Status.AvailableReplicas, d.Status.ReadyReplicas = step.available, step.available
		})
		want := gatewayv1alpha1.ReasonRollingOut
		status := metav1.ConditionTrue
		if i == len(steps)-1 {
			want, status = gatewayv1alpha1.ReasonRolloutComplete, metav1.ConditionFalse
		}
		latest := condition(t, gwd, gatewayv1alpha1.ConditionProgressing, status, want)
		ready := meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionReady)
		g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), "step %d: Ready flipped: %s", i, ready.Message)
	}
}

func TestDegradedNamesTheCause(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	gwd := createGateway(t, ns, "stuck", nil)

	setDeploymentStatus(t, gwd, func(d *appsv1.Deployment) {
		d.Status.Conditions = []appsv1.DeploymentCondition{{
			Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate",
			Message: `pods "stuck-1" is forbidden: violates PodSecurity "restricted:latest"`,
		}}
	})
	latest := condition(t, gwd, gatewayv1alpha1.ConditionDegraded, metav1.ConditionTrue, gatewayv1alpha1.ReasonReplicaFailure)
	ready := meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionReady)
	g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(ready.Reason).To(Equal(gatewayv1alpha1.ReasonReplicaFailure))
	g.Expect(ready.Message).To(ContainSubstring("violates PodSecurity"))

	setDeploymentStatus(t, gwd, func(d *appsv1.Deployment) {
		d.Status.Conditions = []appsv1.DeploymentCondition{{
			Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded",
			Message: `ReplicaSet "stuck-abc" has timed out progressing.`,
		}}
	})
	condition(t, gwd, gatewayv1alpha1.ConditionDegraded, metav1.ConditionTrue, gatewayv1alpha1.ReasonProgressDeadlineExceeded)
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonProgressDeadlineExceeded)

	// Recovery clears it.
	setDeploymentStatus(t, gwd, func(d *appsv1.Deployment) { d.Status.Conditions = nil; rolledOut(1)(d) })
	condition(t, gwd, gatewayv1alpha1.ConditionDegraded, metav1.ConditionFalse, gatewayv1alpha1.ReasonAsExpected)
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)
}

func TestPodChangesRollPodsServiceChangesDoNot(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	gwd := createGateway(t, ns, "edge", nil)
	d := deployment(t, gwd)
	hash := d.Spec.Template.Annotations[render.AnnotationConfigHash]
	g.Expect(hash).NotTo(BeEmpty())

	// A Service-only change reaches the Service and leaves the pod template alone.
	g.Expect(k8s.Patch(ctx, gwd, client.RawPatch(types.MergePatchType,
		[]byte(`{"spec":{"service":{"annotations":{"lb.example/internal":"true"}}}}`)))).To(Succeed())
	g.Eventually(func() map[string]string { return service(t, gwd).Annotations }, timeout, interval).
		Should(HaveKeyWithValue("lb.example/internal", "true"))
	after := deployment(t, gwd)
	g.Expect(after.Generation).To(Equal(d.Generation), "the Deployment was written")
	g.Expect(after.Spec.Template.Annotations[render.AnnotationConfigHash]).To(Equal(hash))

	// A pod setting rolls the pods: new template, new hash.
	g.Expect(k8s.Patch(ctx, gwd, client.RawPatch(types.MergePatchType,
		[]byte(`{"spec":{"env":[{"name":"KONG_LOG_LEVEL","value":"debug"}]}}`)))).To(Succeed())
	g.Eventually(func(g Gomega) {
		latest := deployment(t, gwd)
		g.Expect(latest.Spec.Template.Annotations[render.AnnotationConfigHash]).NotTo(Equal(hash))
		g.Expect(latest.Spec.Template.Spec.Containers[0].Env).To(ContainElement(corev1.EnvVar{Name: "KONG_LOG_LEVEL", Value: "debug"}))
	}, timeout, interval).Should(Succeed())
}

func TestDriftIsReverted(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	gwd := createGateway(t, ns, "edge", nil)

	// Someone edits the image in place.
	d := deployment(t, gwd)
	d.Spec.Template.Spec.Containers[0].Image = "evil/kong:latest"
	g.Expect(k8s.Update(ctx, d, client.FieldOwner("kubectl-edit"))).To(Succeed())
	g.Eventually(func() string { return deployment(t, gwd).Spec.Template.Spec.Containers[0].Image }, timeout, interval).
		Should(Equal(testImage))

	// Someone overwrites a label Portico sets, which leaves the generation as it is.
	d = deployment(t, gwd)
	name := d.Labels[gatewayv1alpha1.LabelName]
	g.Expect(name).NotTo(BeEmpty())
	tampered := d.DeepCopy()
	tampered.Labels[gatewayv1alpha1.LabelName] = "tampered"
	g.Expect(k8s.Patch(ctx, tampered, client.MergeFrom(d), client.FieldOwner("kubectl-label"))).To(Succeed())
	g.Expect(tampered.Generation).To(Equal(d.Generation))
	g.Eventually(func() string { return deployment(t, gwd).Labels[gatewayv1alpha1.LabelName] }, timeout, interval).
		Should(Equal(name))

	// Someone changes a Service port and drops Portico's label.
	s := service(t, gwd)
	s.Spec.Ports[0].Port = 8080
	delete(s.Labels, gatewayv1alpha1.LabelManagedBy)
	g.Expect(k8s.Update(ctx, s, client.FieldOwner("kubectl-edit"))).To(Succeed())
	g.Eventually(func(g Gomega) {
		s := service(t, gwd)
		g.Expect(s.Spec.Ports[0].Port).To(Equal(int32(80)))
		g.Expect(s.Labels).To(HaveKeyWithValue(gatewayv1alpha1.LabelManagedBy, "portico"))
	}, timeout, interval).Should(Succeed())

	// Someone deletes the Deployment.
	old := deployment(t, gwd)
	g.Expect(k8s.Delete(ctx, old)).To(Succeed())
	g.Eventually(func(g Gomega) {
		latest := &appsv1.Deployment{}
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), latest)).To(Succeed())
		g.Expect(latest.UID).NotTo(Equal(old.UID))
	}, timeout, interval).Should(Succeed())
}

func TestFieldsOthersOwnAreLeftAlone(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	gwd := createGateway(t, ns, "edge", nil)

	// kubectl rollout restart stamps the pod template; Portico must not undo it.
	restart := []byte(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-25T10:00:00Z"}}}}}`)
	d := deployment(t, gwd)
	g.Expect(k8s.Patch(ctx, d, client.RawPatch(types.StrategicMergePatchType, restart), client.FieldOwner("kubectl-rollout"))).To(Succeed())
	generation := deployment(t, gwd).Generation
	// Nudge a reconcile, then make sure the Deployment was left as it was.
	g.Expect(k8s.Patch(ctx, gwd, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"service":{"annotations":{"a":"b"}}}}`)))).To(Succeed())
	g.Eventually(func() map[string]string { return service(t, gwd).Annotations }, timeout, interval).Should(HaveKey("a"))
	g.Consistently(func(g Gomega) {
		latest := deployment(t, gwd)
		g.Expect(latest.Generation).To(Equal(generation))
		g.Expect(latest.Spec.Template.Annotations).To(HaveKey("kubectl.kubernetes.io/restartedAt"))
	}, time.Second, interval).Should(Succeed())
}

func TestScaleSubresource(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	gwd := readyGateway(t, ns, "edge", 1, nil)

	// What kubectl scale and an HorizontalPodAutoscaler do.
	scale := &autoscalingv1.Scale{}
	g.Expect(k8s.SubResource("scale").Get(ctx, gwd, scale)).To(Succeed())
	g.Expect(scale.Status.Selector).To(ContainSubstring("gateway.portico.dev/gatewaydeployment=edge"))
	g.Expect(scale.Status.Replicas).To(Equal(int32(1)))
	scale.Spec.Replicas = 3
	g.Expect(k8s.SubResource("scale").Update(ctx, gwd, client.WithSubResourceBody(scale))).To(Succeed())

	g.Eventually(func() int32 { return *deployment(t, gwd).Spec.Replicas }, timeout, interval).Should(Equal(int32(3)))
	latest := condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonMinimumReplicasUnavailable)
	g.Expect(latest.Status.ReadySummary).To(Equal("1/3"))
}

func TestNoWritesWhenNothingChanged(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	gwd := createGateway(t, ns, "quiet", func(gwd *gatewayv1alpha1.GatewayDeployment) {
		// Exercise the conversions whose round trip could make a spurious difference.
		gwd.Spec.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: mustQuantity("1000m"), corev1.ResourceMemory: mustQuantity("256Mi")}}
		gwd.Spec.Env = []gatewayv1alpha1.EnvVar{{Name: "KONG_LOG_LEVEL", Value: "info"}, {Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{
			FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}}}
		gwd.Spec.Pod.Tolerations = []gatewayv1alpha1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "edge", Effect: corev1.TaintEffectNoSchedule}}
		gwd.Spec.Pod.NodeSelector = gatewayv1alpha1.LabelMap{"kubernetes.io/os": "linux"}
		gwd.Spec.Service.Annotations = map[string]string{"lb.example/internal": "true"}
	})
	setDeploymentStatus(t, gwd, rolledOut(1))
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)
	// Let the cache catch up with the last writes before measuring.
	time.Sleep(500 * time.Millisecond)

	dep, svc := deployment(t, gwd), service(t, gwd)
	requests.reset()
	for range 3 {
		_, err := reconciler.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(gwd)})
		g.Expect(err).NotTo(HaveOccurred())
	}
	var writes []string
	for req, n := range requests.writes() {
		if strings.Contains(req, "/namespaces/"+ns+"/") {
			writes = append(writes, req, string(rune('0'+n)))
		}
	}
	g.Expect(writes).To(BeEmpty(), "an unchanged reconcile wrote")
	g.Expect(deployment(t, gwd).ResourceVersion).To(Equal(dep.ResourceVersion))
	g.Expect(service(t, gwd).ResourceVersion).To(Equal(svc.ResourceVersion))
}

// A spec change is applied without reading the Deployment first: Portico knows the live one
// holds the spec it last judged, which is not the one it wants now.
func TestSpecChangeAppliesWithoutReadingTheDeployment(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	gwd := createGateway(t, ns, "moving", nil)
	setDeploymentStatus(t, gwd, rolledOut(1))
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)
	time.Sleep(500 * time.Millisecond)
	requests.reset()
	g.Expect(k8s.Patch(context.Background(), gwd, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"image":"kong/kong-gateway:3.12"}}`)))).To(Succeed())
	g.Eventually(func() string { return deployment(t, gwd).Spec.Template.Spec.Containers[0].Image }, timeout, interval).Should(Equal("kong/kong-gateway:3.12"))
	g.Expect(requests.in(ns)).NotTo(HaveKey("GET /apis/apps/v1/namespaces/"+ns+"/deployments/moving"), "%v", requests.in(ns))
	g.Expect(requests.in(ns)).To(HaveKeyWithValue("PATCH /apis/apps/v1/namespaces/"+ns+"/deployments/moving", 1))
}

func TestCacheHoldsOnlyOwnedObjects(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	gwd := createGateway(t, ns, "edge", nil)

	foreign := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "someone-else"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "x"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "x", Image: "x"}}},
			},
		},
	}
	g.Expect(k8s.Create(ctx, foreign)).To(Succeed())

	// The operator's cached client sees its own Deployment, never the foreign one.
	g.Eventually(func() error {
		return reconciler.Get(ctx, client.ObjectKeyFromObject(gwd), &appsv1.Deployment{})
	}, timeout, interval).Should(Succeed())
	g.Consistently(func() bool {
		return apierrors.IsNotFound(reconciler.Get(ctx, client.ObjectKeyFromObject(foreign), &appsv1.Deployment{}))
	}, time.Second, interval).Should(BeTrue())
}

func TestFailingPodsAreReported(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	gwd := readyGateway(t, ns, "crashy", 1, nil)

	// A gateway pod as the ReplicaSet controller would create it, then crash-looping.
	d := deployment(t, gwd)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "crashy-5d9c7-x2x7q", Labels: d.Spec.Template.Labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "kong", Image: testImage}}},
	}
	g.Expect(k8s.Create(ctx, pod)).To(Succeed())
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
		Name: "kong", Image: testImage, RestartCount: 4,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s restarting failed container"}},
	}}}
	g.Expect(k8s.Status().Update(ctx, pod)).To(Succeed())

	latest := condition(t, gwd, gatewayv1alpha1.ConditionDegraded, metav1.ConditionTrue, gatewayv1alpha1.ReasonPodsFailing)
	g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionDegraded).Message).
		To(Equal("1 of 1 pods failing: pod crashy-5d9c7-x2x7q container kong: CrashLoopBackOff (back-off 40s restarting failed container)"))
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonPodsFailing)

	// Evicted and pending again, with nowhere to go: the scheduler's reason is the cause.
	pod.Status = corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{
		{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: metav1.Now()},
		{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
			Message: "0/5 nodes are available: 5 Insufficient cpu.", LastTransitionTime: metav1.Now()},
	}}
	g.Expect(k8s.Status().Update(ctx, pod)).To(Succeed())
	g.Eventually(func(g Gomega) string {
		latest := &gatewayv1alpha1.GatewayDeployment{}
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), latest)).To(Succeed())
		return meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionDegraded).Message
	}, timeout, interval).Should(Equal("1 of 1 pods failing: pod crashy-5d9c7-x2x7q is unschedulable: 0/5 nodes are available: 5 Insufficient cpu."))

	// It recovers.
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()},
	}, ContainerStatuses: []corev1.ContainerStatus{{Name: "kong", Image: testImage}}}
	pod.Status.ContainerStatuses[0].State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}
	pod.Status.ContainerStatuses[0].Ready = true
	g.Expect(k8s.Status().Update(ctx, pod)).To(Succeed())
	condition(t, gwd, gatewayv1alpha1.ConditionDegraded, metav1.ConditionFalse, gatewayv1alpha1.ReasonAsExpected)
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)
}
