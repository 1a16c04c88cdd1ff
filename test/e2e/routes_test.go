// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// kongPod is a pod of Kong's image made without Portico, to show the local cluster's rules.
func kongPod(ns, name string, env []corev1.EnvVar, uid *int64) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)},
			Containers: []corev1.Container{{Name: "kong", Image: "kong/kong-gateway:3.11", Env: env,
				SecurityContext: &corev1.SecurityContext{RunAsUser: uid}}},
		},
	}
}

func podState(t *testing.T, ns, name string) string {
	pod := &corev1.Pod{}
	NewWithT(t).Expect(env.K8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, pod)).To(Succeed())
	for _, c := range pod.Status.ContainerStatuses {
		if w := c.State.Waiting; w != nil {
			return w.Reason + ": " + w.Message
		}
		if c.State.Running != nil {
			return "Running ready=" + map[bool]string{true: "true", false: "false"}[c.Ready]
		}
	}
	return "pending"
}

// The local cluster plays Kong's readiness and the kubelet's non-root rule: the controls
// below are Kong pods made by hand, which is why Portico's gateways must carry a
// configuration and a numeric user to become Ready.
func TestTheLocalClusterPlaysKongAndTheKubelet(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := env.NewNamespace(t, nil)
	g.Expect(env.K8s.Create(ctx, kongPod(ns, "unconfigured", nil, ptr.To[int64](1000)))).To(Succeed())
	g.Expect(env.K8s.Create(ctx, kongPod(ns, "configured", []corev1.EnvVar{{Name: "KONG_DECLARATIVE_CONFIG_STRING", Value: `{"_format_version":"3.0"}`}}, ptr.To[int64](1000)))).To(Succeed())
	g.Expect(env.K8s.Create(ctx, kongPod(ns, "named-user", []corev1.EnvVar{{Name: "KONG_DECLARATIVE_CONFIG_STRING", Value: `{"_format_version":"3.0"}`}}, nil))).To(Succeed())

	g.Eventually(func() string { return podState(t, ns, "configured") }, timeout, interval).Should(Equal("Running ready=true"))
	g.Eventually(func() string { return podState(t, ns, "unconfigured") }, timeout, interval).Should(Equal("Running ready=false"))
	g.Eventually(func() string { return podState(t, ns, "named-user") }, timeout, interval).Should(Equal(
		`CreateContainerConfigError: container has runAsNonRoot and image has non-numeric user (kong), cannot verify user is non-root (pod: "named-user_` +
			ns + `(` + podUID(t, ns, "named-user") + `)", container: kong)`))
	g.Consistently(func() string { return podState(t, ns, "unconfigured") }, "2s", interval).Should(Equal("Running ready=false"))
}

func podUID(t *testing.T, ns, name string) string {
	pod := &corev1.Pod{}
	NewWithT(t).Expect(env.K8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, pod)).To(Succeed())
	return string(pod.UID)
}

// The bookinfo sample, as a user applies it: routes from a ConfigMap, Ready because Kong
// loads them; an invalid edit leaves the pods as they are; a fixed one rolls them once.
func TestRoutesWithoutKonnect(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := env.NewNamespace(t, nil)
	env.MustKubectl(t, "apply", "-n", ns, "-f", "../../config/samples/bookinfo/bookinfo.yaml")
	gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bookinfo"}}
	env.WaitReady(t, gwd)
	env.WaitFor(t, gwd, gatewayv1alpha1.ConditionConfigValid, metav1.ConditionTrue, gatewayv1alpha1.ReasonConfigAccepted)
	out := env.MustKubectl(t, "get", "gwd", "bookinfo", "-n", ns, "-o", "wide")
	g.Expect(out).To(ContainSubstring(gatewayv1alpha1.ReasonConfigAccepted))
	replicaSets := func() int {
		list := &appsv1.ReplicaSetList{}
		g.Expect(env.K8s.List(ctx, list, client.InNamespace(ns))).To(Succeed())
		return len(list.Items)
	}
	g.Expect(replicaSets()).To(Equal(1))
	g.Expect(env.MustKubectl(t, "explain", "gwd.spec.config")).To(ContainSubstring("kong.yml"))

	// A route with a path that does not begin with /: Kong would refuse the whole file.
	env.MustKubectl(t, "patch", "configmap", "bookinfo-routes", "-n", ns, "--type=merge", "-p",
		`{"data":{"kong.yml":"_format_version: \"3.0\"\nservices:\n- name: productpage\n  url: http://productpage.bookinfo.svc.cluster.local:9080\n  routes:\n  - name: productpage\n    paths: [productpage]\n"}}`)
	latest := env.WaitFor(t, gwd, gatewayv1alpha1.ConditionConfigValid, metav1.ConditionFalse, gatewayv1alpha1.ReasonConfigInvalid)
	g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionConfigValid).Message).
		To(ContainSubstring(`services[0].routes[0].paths[0]: "productpage" must begin with /`))
	g.Expect(meta.IsStatusConditionTrue(latest.Status.Conditions, gatewayv1alpha1.ConditionReady)).To(BeTrue())
	g.Expect(env.MustKubectl(t, "get", "events", "-n", ns, "--field-selector", "reason=ConfigInvalid", "-o", "name")).NotTo(BeEmpty())
	g.Consistently(replicaSets, "2s", interval).Should(Equal(1))

	// Fixed: one rollout, Ready throughout.
	env.MustKubectl(t, "patch", "configmap", "bookinfo-routes", "-n", ns, "--type=merge", "-p",
		`{"data":{"kong.yml":"_format_version: \"3.0\"\nservices:\n- name: productpage\n  url: http://productpage.bookinfo.svc.cluster.local:9080\n  routes:\n  - name: productpage\n    paths: [/productpage]\n"}}`)
	env.WaitFor(t, gwd, gatewayv1alpha1.ConditionConfigValid, metav1.ConditionTrue, gatewayv1alpha1.ReasonConfigAccepted)
	g.Eventually(replicaSets, timeout, interval).Should(Equal(2))
	env.WaitReady(t, gwd)
	// The copy the first pods mounted goes once they are all replaced.
	g.Eventually(func() int {
		list := &corev1.ConfigMapList{}
		g.Expect(env.K8s.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{gatewayv1alpha1.LabelConfig: gatewayv1alpha1.ConfigCopyValue})).To(Succeed())
		return len(list.Items)
	}, timeout, interval).Should(Equal(1))
	g.Expect(replicaSets()).To(Equal(2))
}
