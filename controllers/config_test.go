// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/render"
)

const bookinfoConfig = `_format_version: "3.0"
services:
- name: productpage
  url: http://productpage.bookinfo.svc.cluster.local:9080
  routes:
  - name: productpage
    paths: [/productpage, /static]
`

func configMapSource(ns, name, data string, labelled bool) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string]string{"kong.yml": data}}
	if labelled {
		cm.Labels = map[string]string{gatewayv1alpha1.LabelConfig: gatewayv1alpha1.ConfigSourceValue}
	}
	return cm
}

func withConfigMap(name string) func(*gatewayv1alpha1.GatewayDeployment) {
	return func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Config = &gatewayv1alpha1.ConfigSource{ConfigMapKeyRef: &gatewayv1alpha1.ConfigKeyRef{Name: name}}
	}
}

// mountedCopy is the configuration copy a Deployment's pods mount, "" when none.
func mountedCopy(d *appsv1.Deployment) string {
	for _, v := range d.Spec.Template.Spec.Volumes {
		switch {
		case v.ConfigMap != nil:
			return "ConfigMap/" + v.ConfigMap.Name
		case v.Secret != nil && strings.Contains(v.Secret.SecretName, "-config-"):
			return "Secret/" + v.Secret.SecretName
		}
	}
	return ""
}

func configCopies(t *testing.T, ns string) []string {
	t.Helper()
	list := &corev1.ConfigMapList{}
	NewWithT(t).Expect(k8s.List(context.Background(), list, client.InNamespace(ns),
		client.MatchingLabels{gatewayv1alpha1.LabelConfig: gatewayv1alpha1.ConfigCopyValue})).To(Succeed())
	var names []string
	for _, cm := range list.Items {
		names = append(names, cm.Name)
	}
	return names
}

func TestDefaultConfigurationRoutesNothingAndSaysSo(t *testing.T) {
	g := NewWithT(t)
	gwd := readyGateway(t, newNamespace(t), "plain", 1, nil)
	latest := condition(t, gwd, gatewayv1alpha1.ConditionConfigValid, metav1.ConditionTrue, gatewayv1alpha1.ReasonDefaultConfig)
	g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionConfigValid).Message).
		To(ContainSubstring("routes nothing"))
	env := deployment(t, gwd).Spec.Template.Spec.Containers[0].Env
	g.Expect(env).To(ContainElement(corev1.EnvVar{Name: "KONG_DECLARATIVE_CONFIG_STRING", Value: render.DefaultConfig}))
}

// The whole life of a configuration: missing, unlabelled, valid, each invalid configuration
// of the checker's corpus in turn (none may change the pods), fixed (one rollout), and the
// old copy kept until that rollout completed.
func TestConfigurationLifecycle(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop"}}
	withConfigMap("routes")(gwd)
	g.Expect(k8s.Create(ctx, gwd)).To(Succeed())

	// Missing: no Deployment is made, and Ready says why.
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonConfigNotFound)
	g.Expect(apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), &appsv1.Deployment{}))).To(BeTrue())

	// Unlabelled: the message is the command that fixes it.
	source := configMapSource(ns, "routes", bookinfoConfig, false)
	g.Expect(k8s.Create(ctx, source)).To(Succeed())
	latest := condition(t, gwd, gatewayv1alpha1.ConditionConfigValid, metav1.ConditionFalse, gatewayv1alpha1.ReasonConfigNotLabelled)
	g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionConfigValid).Message).
		To(ContainSubstring("kubectl label configmap routes -n " + ns + " gateway.portico.dev/config=source --overwrite"))

	// Labelled: checked, copied, mounted.
	source.Labels = map[string]string{gatewayv1alpha1.LabelConfig: gatewayv1alpha1.ConfigSourceValue}
	g.Expect(k8s.Update(ctx, source)).To(Succeed())
	condition(t, gwd, gatewayv1alpha1.ConditionConfigValid, metav1.ConditionTrue, gatewayv1alpha1.ReasonConfigAccepted)
	d := deployment(t, gwd)
	first := mountedCopy(d)
	g.Expect(first).To(HavePrefix("ConfigMap/shop-config-"))
	g.Expect(d.Spec.Template.Spec.Containers[0].Env).To(ContainElement(corev1.EnvVar{Name: "KONG_DECLARATIVE_CONFIG", Value: "/etc/kong/declarative/kong.yml"}))
	copied := &corev1.ConfigMap{}
	g.Expect(k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: strings.TrimPrefix(first, "ConfigMap/")}, copied)).To(Succeed())
	g.Expect(copied.Data).To(Equal(map[string]string{"kong.yml": bookinfoConfig}))
	g.Expect(copied.Immutable).To(HaveValue(BeTrue()))
	g.Expect(metav1.IsControlledBy(copied, gwd)).To(BeTrue())
	setDeploymentStatus(t, gwd, rolledOut(1))
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)
	generation := deployment(t, gwd).Generation

	// Every invalid configuration of the corpus in turn: a condition naming the error and an
	// event, the pods exactly as they were, Ready still True.
	files, err := filepath.Glob("../internal/kongconfig/testdata/invalid/*")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(len(files)).To(BeNumerically(">=", 20))
	for _, f := range files {
		data, err := os.ReadFile(f)
		g.Expect(err).NotTo(HaveOccurred())
		want, _ := strings.CutPrefix(strings.SplitN(string(data), "\n", 2)[0], "# want: ")
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(source), source)).To(Succeed())
		source.Data = map[string]string{"kong.yml": string(data)}
		g.Expect(k8s.Update(ctx, source)).To(Succeed(), f)
		g.Eventually(func(g Gomega) {
			latest := &gatewayv1alpha1.GatewayDeployment{}
			g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), latest)).To(Succeed())
			c := meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionConfigValid)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse), f)
			g.Expect(c.Message).To(ContainSubstring(want), f)
			g.Expect(meta.IsStatusConditionTrue(latest.Status.Conditions, gatewayv1alpha1.ConditionReady)).To(BeTrue(), f)
		}, timeout, interval).Should(Succeed(), f)
		g.Expect(deployment(t, gwd).Generation).To(Equal(generation), "%s changed the pod template", f)
	}
	g.Expect(configCopies(t, ns)).To(ConsistOf(strings.TrimPrefix(first, "ConfigMap/")))
	g.Eventually(func() int { return warnings(t, ns, gatewayv1alpha1.ReasonConfigInvalid) }, timeout, interval).
		Should(BeNumerically(">=", 10))

	// Fixed: one rollout onto a new copy; the old copy stays until that rollout completed.
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(source), source)).To(Succeed())
	source.Data = map[string]string{"kong.yml": bookinfoConfig + "  - name: api\n    paths: [/api/v1/products]\n"}
	g.Expect(k8s.Update(ctx, source)).To(Succeed())
	condition(t, gwd, gatewayv1alpha1.ConditionConfigValid, metav1.ConditionTrue, gatewayv1alpha1.ReasonConfigAccepted)
	g.Eventually(func() int64 { return deployment(t, gwd).Generation }, timeout, interval).Should(Equal(generation + 1))
	second := mountedCopy(deployment(t, gwd))
	g.Expect(second).NotTo(Equal(first))
	setDeploymentStatus(t, gwd, func(d *appsv1.Deployment) {
		d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas = 2, 1, 1, 1
	})
	g.Consistently(func() []string { return configCopies(t, ns) }, "1s", interval).
		Should(ConsistOf(strings.TrimPrefix(first, "ConfigMap/"), strings.TrimPrefix(second, "ConfigMap/")))
	setDeploymentStatus(t, gwd, rolledOut(1))
	g.Eventually(func() []string { return configCopies(t, ns) }, timeout, interval).
		Should(ConsistOf(strings.TrimPrefix(second, "ConfigMap/")))
	g.Expect(deployment(t, gwd).Generation).To(Equal(generation + 1))

	// At rest, a reconcile of a configured gateway reads everything from the cache: the
	// source, the copy, the children. Not one request.
	reconcileAtRest(t, gwd)
	g.Expect(requests.in(ns)).To(BeEmpty())
}

// A configuration in a Secret is copied into a Secret, never a ConfigMap.
func TestConfigurationFromASecretStaysInSecrets(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	g.Expect(k8s.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "private", Labels: map[string]string{gatewayv1alpha1.LabelConfig: gatewayv1alpha1.ConfigSourceValue}},
		Data:       map[string][]byte{"kong.json": []byte(`{"_format_version":"3.0","services":[{"name":"a","host":"a","routes":[{"name":"a","paths":["/a"]}]}]}`)},
	})).To(Succeed())
	gwd := createGateway(t, ns, "private", func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Config = &gatewayv1alpha1.ConfigSource{SecretKeyRef: &gatewayv1alpha1.ConfigKeyRef{Name: "private", Key: "kong.json"}}
	})
	condition(t, gwd, gatewayv1alpha1.ConditionConfigValid, metav1.ConditionTrue, gatewayv1alpha1.ReasonConfigAccepted)
	mounted := mountedCopy(deployment(t, gwd))
	g.Expect(mounted).To(HavePrefix("Secret/private-config-"))
	copied := &corev1.Secret{}
	g.Expect(k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: strings.TrimPrefix(mounted, "Secret/")}, copied)).To(Succeed())
	g.Expect(copied.Immutable).To(HaveValue(BeTrue()))
	g.Expect(configCopies(t, ns)).To(BeEmpty())
}
