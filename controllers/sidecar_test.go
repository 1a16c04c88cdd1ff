// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/istiorev"
	"github.com/portico-dev/portico/internal/render"
)

// injectorWebhook registers an injector as istiod and istioctl tag do: a revision's own, or a
// tag's (tag != "").
func injectorWebhook(t *testing.T, name, revision, tag string) *admissionregistrationv1.MutatingWebhookConfiguration {
	t.Helper()
	wh := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: name,
		Labels: map[string]string{"app": "sidecar-injector", istiorev.LabelRev: revision}}}
	if tag != "" {
		wh.Labels[istiorev.LabelTag] = tag
	}
	NewWithT(t).Expect(k8s.Create(context.Background(), wh)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), wh) })
	return wh
}

// injectedPod plays the ReplicaSet controller and istiod's injector: a ready pod of the
// Deployment's current template, whose sidecar revision injected.
func injectedPod(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment, name, revision string) {
	t.Helper()
	g := NewWithT(t)
	d := deployment(t, gwd)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: gwd.Namespace, Name: name, Labels: d.Spec.Template.Labels,
			Annotations: map[string]string{istiorev.AnnotationStatus: `{"containers":["istio-proxy"],"revision":"` + revision + `"}`}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "kong", Image: testImage}, {Name: "istio-proxy", Image: "proxyv2"}}},
	}
	g.Expect(k8s.Create(context.Background(), pod)).To(Succeed())
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning,
		Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "kong", Ready: true}, {Name: "istio-proxy", Ready: true}}}
	g.Expect(k8s.Status().Update(context.Background(), pod)).To(Succeed())
}

func templateRevisionOf(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment) string {
	return deployment(t, gwd).Spec.Template.Annotations[render.AnnotationSidecarRevision]
}

func meshReadyMessage(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment, reason string) string {
	t.Helper()
	latest := condition(t, gwd, gatewayv1alpha1.ConditionMeshReady, metav1.ConditionFalse, reason)
	return meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionMeshReady).Message
}

// A revision tag moves: the gateways following it roll once each, one at a time in their
// namespace; one without rollOnUpgrade only says its sidecar is outdated.
func TestSidecarsFollowTheirRevisionTag(t *testing.T) {
	g := NewWithT(t)
	installCRDs(t, istioCRDs(t))
	ns := newNamespace(t)
	injectorWebhook(t, "istio-sidecar-injector-1-27", "1-27", "")
	tagged := injectorWebhook(t, "istio-revision-tag-prod-stable", "1-27", "prod-stable")
	following := func(roll bool) func(*gatewayv1alpha1.GatewayDeployment) {
		return func(gwd *gatewayv1alpha1.GatewayDeployment) {
			gwd.Spec.Mesh = &gatewayv1alpha1.MeshSpec{SidecarInjection: gatewayv1alpha1.SidecarInjectionEnabled,
				Revision: "prod-stable", RollOnUpgrade: roll}
		}
	}
	var gateways []*gatewayv1alpha1.GatewayDeployment
	for _, name := range []string{"east", "west", "manual"} {
		gwd := createGateway(t, ns, name, following(name != "manual"))
		if name != "manual" {
			g.Eventually(func() string { return templateRevisionOf(t, gwd) }, timeout, interval).Should(Equal("1-27"))
		}
		injectedPod(t, gwd, name+"-1", "1-27")
		setDeploymentStatus(t, gwd, rolledOut(1))
		latest := condition(t, gwd, gatewayv1alpha1.ConditionMeshReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonMeshConfigured)
		g.Expect(latest.Status.Mesh.SidecarRevision).To(Equal("1-27"))
		g.Expect(latest.Status.Mesh.RunningRevisions).To(Equal([]string{"1-27"}))
		gateways = append(gateways, gwd)
	}
	east, west, manual := gateways[0], gateways[1], gateways[2]
	generations := map[string]int64{}
	for _, gwd := range gateways {
		generations[gwd.Name] = deployment(t, gwd).Generation
	}

	// istioctl tag set prod-stable --revision 1-28.
	injectorWebhook(t, "istio-sidecar-injector-1-28", "1-28", "")
	tagged.Labels[istiorev.LabelRev] = "1-28"
	g.Expect(k8s.Update(context.Background(), tagged)).To(Succeed())

	// One of the two rolls; the other waits for it, and says so; neither stops being Ready.
	var first, second *gatewayv1alpha1.GatewayDeployment
	g.Eventually(func() int {
		rolled := 0
		for _, gwd := range []*gatewayv1alpha1.GatewayDeployment{east, west} {
			if templateRevisionOf(t, gwd) == "1-28" {
				rolled++
				first = gwd
			}
		}
		return rolled
	}, timeout, interval).Should(Equal(1))
	second = map[bool]*gatewayv1alpha1.GatewayDeployment{true: west, false: east}[first == east]
	g.Consistently(func() string { return templateRevisionOf(t, second) }, 2*time.Second, interval).Should(Equal("1-27"))
	g.Expect(meshReadyMessage(t, second, gatewayv1alpha1.ReasonSidecarOutdated)).To(ContainSubstring("once gateway " + first.Name))
	g.Expect(meshReadyMessage(t, manual, gatewayv1alpha1.ReasonSidecarOutdated)).To(And(
		ContainSubstring("run the sidecar of Istio revision 1-27; revision 1-28 injects them now"),
		ContainSubstring("spec.mesh.rollOnUpgrade")))
	g.Expect(templateRevisionOf(t, manual)).To(BeEmpty())
	for _, gwd := range gateways {
		condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)
	}

	// The first's rollout completes onto the new sidecar: the second rolls, once.
	replaceWithInjected(t, first, "1-28")
	g.Eventually(func() string { return templateRevisionOf(t, second) }, timeout, interval).Should(Equal("1-28"))
	replaceWithInjected(t, second, "1-28")
	for _, gwd := range []*gatewayv1alpha1.GatewayDeployment{east, west} {
		condition(t, gwd, gatewayv1alpha1.ConditionMeshReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonMeshConfigured)
		// The new pod is created before its status says Running: a reconcile in between
		// rightly reports no running revision yet.
		g.Eventually(func(g Gomega) {
			latest := &gatewayv1alpha1.GatewayDeployment{}
			g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(gwd), latest)).To(Succeed())
			g.Expect(latest.Status.Mesh.RunningRevisions).To(Equal([]string{"1-28"}))
		}, timeout, interval).Should(Succeed())
		g.Expect(deployment(t, gwd).Generation).To(Equal(generations[gwd.Name]+1), "%s rolled more than once", gwd.Name)
	}
	g.Expect(deployment(t, manual).Generation).To(Equal(generations["manual"]))
}

// replaceWithInjected plays a completed rollout: the old pods gone, a new one injected by
// revision, the Deployment's status at its generation.
func replaceWithInjected(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment, revision string) {
	t.Helper()
	g := NewWithT(t)
	g.Expect(k8s.DeleteAllOf(context.Background(), &corev1.Pod{}, client.InNamespace(gwd.Namespace),
		client.MatchingLabels{gatewayv1alpha1.LabelGatewayDeployment: gwd.Name}, client.GracePeriodSeconds(0))).To(Succeed())
	injectedPod(t, gwd, gwd.Name+"-"+revision, revision)
	setDeploymentStatus(t, gwd, func(d *appsv1.Deployment) {
		rolledOut(ptr.Deref(d.Spec.Replicas, 1))(d)
	})
	NewWithT(t).Eventually(func() bool {
		d := &appsv1.Deployment{}
		g.Expect(reconciler.Get(context.Background(), types.NamespacedName{Namespace: gwd.Namespace, Name: gwd.Name}, d)).To(Succeed())
		return d.Status.ObservedGeneration == d.Generation
	}, timeout, interval).Should(BeTrue())
}
