// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// The cache keeps of a labelled Secret what Portico reads, and no more than MaxSecretBytes of
// a user's.
func TestSecretsAreCachedAsRead(t *testing.T) {
	g := NewWithT(t)
	labelled := func(value string, data map[string][]byte) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns",
			Labels:        map[string]string{gatewayv1alpha1.LabelKonnect: value},
			Annotations:   map[string]string{"kubectl.kubernetes.io/last-applied-configuration": `{"data":{"token":"…"}}`},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}, Finalizers: []string{FinalizerKonnectToken}}, Data: data}
	}
	cached := func(s *corev1.Secret) *corev1.Secret {
		out, err := secretAsRead(s)
		g.Expect(err).NotTo(HaveOccurred())
		return out.(*corev1.Secret)
	}

	token := cached(labelled("token", map[string][]byte{"token": []byte("kpat_x"), "other": []byte("y")}))
	g.Expect(token.Data).To(HaveLen(2))
	g.Expect(token.Annotations).To(BeEmpty(), "a last-applied copy of the data is not kept")
	g.Expect(token.ManagedFields).To(BeEmpty())
	g.Expect(token.Finalizers).To(ConsistOf(FinalizerKonnectToken))

	cert := cached(labelled("certificate", map[string][]byte{corev1.TLSCertKey: []byte("c"), corev1.TLSPrivateKeyKey: []byte("k"), "ca.crt": []byte("ca")}))
	g.Expect(cert.Data).To(HaveKey(corev1.TLSCertKey))
	g.Expect(cert.Data).To(HaveKey(corev1.TLSPrivateKeyKey))
	g.Expect(cert.Data).NotTo(HaveKey("ca.crt"))

	big := cached(labelled("token", map[string][]byte{"token": make([]byte, MaxSecretBytes)}))
	g.Expect(big.Data).To(BeEmpty())
	g.Expect(big.Annotations).To(HaveKeyWithValue(annotationDataDropped, "65541"))

	registration := labelled("registration", map[string][]byte{"tls.crt": make([]byte, MaxSecretBytes)})
	registration.OwnerReferences = []metav1.OwnerReference{{Kind: "GatewayDeployment", Name: "edge", Controller: ptr.To(true)}}
	own := cached(registration)
	g.Expect(own.Data).To(HaveLen(1), "Portico's own registration is kept whole")
	g.Expect(own.Annotations).To(HaveLen(1))
	g.Expect(own.ManagedFields).To(BeEmpty())

	registration.OwnerReferences = nil
	g.Expect(cached(registration).Data).To(BeEmpty(), "labelled as a registration, but not Portico's")
}

// kubectl's copy of a GatewayDeployment in its annotations is not kept: it doubles its size.
func TestGatewaysAreCachedWithoutKubectlsCopy(t *testing.T) {
	g := NewWithT(t)
	gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Name: "edge", Annotations: map[string]string{
		corev1.LastAppliedConfigAnnotation: `{"spec":{}}`, gatewayv1alpha1.AnnotationKonnectRelease: "true"}},
		Spec: gatewayv1alpha1.GatewayDeploymentSpec{Image: "kong:3.9"}}
	gwd.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
	out, err := gatewayAsRead(gwd)
	g.Expect(err).NotTo(HaveOccurred())
	cached := out.(*gatewayv1alpha1.GatewayDeployment)
	g.Expect(cached.Annotations).To(Equal(map[string]string{gatewayv1alpha1.AnnotationKonnectRelease: "true"}))
	g.Expect(cached.ManagedFields).To(BeEmpty())
	g.Expect(cached.Spec.Image).To(Equal("kong:3.9"))
}

// A GatewayDeployment too large to cache whole is kept slim, and reconciled from a read around
// the cache: its children follow its spec all the same.
func TestLargeSpecsAreReadAroundTheCache(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	large := func(gwd *gatewayv1alpha1.GatewayDeployment, version string) {
		gwd.Spec.Env = nil
		for i := range 24 {
			gwd.Spec.Env = append(gwd.Spec.Env, gatewayv1alpha1.EnvVar{Name: fmt.Sprintf("KONG_X_%d", i), Value: version + strings.Repeat("x", 1024)})
		}
	}
	gwd := createGateway(t, ns, "large", func(gwd *gatewayv1alpha1.GatewayDeployment) { large(gwd, "1") })
	g.Expect(envOf(deployment(t, gwd))).To(HaveKeyWithValue("KONG_X_23", "1"+strings.Repeat("x", 1024)))

	cached := &gatewayv1alpha1.GatewayDeployment{}
	g.Eventually(func(g Gomega) {
		g.Expect(reconciler.Get(ctx, client.ObjectKeyFromObject(gwd), cached)).To(Succeed())
		g.Expect(cached.Annotations).To(HaveKey(annotationSpecNotCached))
		g.Expect(cached.Spec.Env).To(BeEmpty())
	}, timeout, interval).Should(Succeed())

	latest := &gatewayv1alpha1.GatewayDeployment{}
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), latest)).To(Succeed())
	large(latest, "2")
	g.Expect(k8s.Update(ctx, latest)).To(Succeed())
	g.Eventually(func() map[string]string { return envOf(deployment(t, gwd)) }, timeout, interval).
		Should(HaveKeyWithValue("KONG_X_23", "2"+strings.Repeat("x", 1024)))
	setDeploymentStatus(t, gwd, rolledOut(1))
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)
}

// Large gateways past the slots wait in line, once each, and each slot released wakes the
// first in line.
func TestLargeSlotsWakeTheFirstInLine(t *testing.T) {
	g := NewWithT(t)
	slots := newLargeSlots(2)
	key := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: "ns", Name: name} }
	g.Expect(slots.take(key("a"))).To(BeTrue())
	g.Expect(slots.take(key("b"))).To(BeTrue())
	g.Expect(slots.take(key("c"))).To(BeFalse())
	g.Expect(slots.take(key("d"))).To(BeFalse())
	g.Expect(slots.take(key("c"))).To(BeFalse(), "in line once")
	g.Expect(slots.waiting).To(Equal([]types.NamespacedName{key("c"), key("d")}))

	slots.release()
	g.Expect((<-slots.wake).Object.GetName()).To(Equal("c"))
	g.Expect(slots.take(key("c"))).To(BeTrue(), "the woken one finds the slot")
	g.Expect(slots.take(key("e"))).To(BeFalse())
	slots.release()
	slots.release()
	g.Expect((<-slots.wake).Object.GetName()).To(Equal("d"))
	g.Expect((<-slots.wake).Object.GetName()).To(Equal("e"))
	g.Expect(slots.waiting).To(BeEmpty())
}
