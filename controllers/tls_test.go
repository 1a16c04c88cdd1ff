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
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/render"
	"github.com/portico-dev/portico/internal/testutil"
)

// certificateFor makes a key pair for api.example.com valid for the given time from now.
func certificateFor(t *testing.T, validFor time.Duration) (certPEM, keyPEM []byte) {
	t.Helper()
	certPEM, keyPEM, err := testutil.SelfSigned("api.example.com", time.Now().Add(-time.Hour), time.Now().Add(validFor), "PRIVATE KEY")
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return certPEM, keyPEM
}

// putTLSSecret creates or replaces a labelled kubernetes.io/tls Secret, as cert-manager would.
func putTLSSecret(t *testing.T, ns, name string, certPEM, keyPEM []byte, labelled bool) {
	t.Helper()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: certPEM, corev1.TLSPrivateKeyKey: keyPEM}}
	if labelled {
		secret.Labels = map[string]string{gatewayv1alpha1.LabelConfig: gatewayv1alpha1.ConfigCertificateValue}
	}
	err := k8s.Create(context.Background(), secret)
	if apierrors.IsAlreadyExists(err) {
		err = k8s.Update(context.Background(), secret)
	}
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
}

func withTLS(names ...string) func(*gatewayv1alpha1.GatewayDeployment) {
	return func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.TLS = &gatewayv1alpha1.TLSSpec{}
		for _, n := range names {
			gwd.Spec.TLS.CertificateSecretRefs = append(gwd.Spec.TLS.CertificateSecretRefs, gatewayv1alpha1.TLSSecretRef{Name: n})
		}
	}
}

// mountedCertificates is the copy of the certificates the Deployment's pods mount.
func mountedCertificates(d *appsv1.Deployment) string {
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Secret != nil && strings.Contains(v.Secret.SecretName, "-tls-") {
			return v.Secret.SecretName
		}
	}
	return ""
}

func warnings(t *testing.T, ns, reason string) int {
	t.Helper()
	events := &eventsv1.EventList{}
	NewWithT(t).Expect(k8s.List(context.Background(), events, client.InNamespace(ns))).To(Succeed())
	n := 0
	for _, e := range events.Items {
		if e.Type == corev1.EventTypeWarning && e.Reason == reason {
			n++
		}
	}
	return n
}

// A renewed certificate rolls the gateway once; a bad one never reaches it.
func TestListenerCertificatesRollOnceAndNeverOntoABadOne(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	cert, key := certificateFor(t, 90*24*time.Hour)
	putTLSSecret(t, ns, "api-tls", cert, key, true)
	gwd := readyGateway(t, ns, "secure", 1, withTLS("api-tls"))

	latest := condition(t, gwd, gatewayv1alpha1.ConditionTLSReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonCertificatesValid)
	g.Expect(latest.Status.TLS).To(HaveLen(1))
	g.Expect(latest.Status.TLS[0].DNSNames).To(Equal([]string{"api.example.com"}))
	g.Expect(latest.Status.TLS[0].NotAfter.Time).To(BeTemporally("~", time.Now().Add(90*24*time.Hour), time.Minute))
	d := deployment(t, gwd)
	first := mountedCertificates(d)
	g.Expect(first).To(HavePrefix("secure-tls-"))
	g.Expect(d.Spec.Template.Spec.Containers[0].Env).To(ContainElement(corev1.EnvVar{Name: "KONG_SSL_CERT", Value: "/etc/kong/tls/tls-0.crt"}))
	copied := &corev1.Secret{}
	g.Expect(k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: first}, copied)).To(Succeed())
	g.Expect(copied.Data[render.TLSCertKey(0)]).To(Equal(cert))
	g.Expect(*copied.Immutable).To(BeTrue())
	g.Expect(metav1.IsControlledBy(copied, gwd)).To(BeTrue())
	generation := d.Generation

	// A key that is not the certificate's: no roll, a condition and a Warning event.
	_, otherKey := certificateFor(t, 90*24*time.Hour)
	putTLSSecret(t, ns, "api-tls", cert, otherKey, true)
	latest = condition(t, gwd, gatewayv1alpha1.ConditionTLSReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonTLSKeyMismatch)
	g.Expect(meta.IsStatusConditionTrue(latest.Status.Conditions, gatewayv1alpha1.ConditionReady)).To(BeTrue())
	g.Expect(latest.Status.TLS).To(HaveLen(1), "status should still describe the certificate the pods serve")
	g.Eventually(func() int { return warnings(t, ns, gatewayv1alpha1.ReasonTLSKeyMismatch) }, timeout, interval).Should(Equal(1))
	g.Consistently(func() int64 { return deployment(t, gwd).Generation }, time.Second, interval).Should(Equal(generation))

	// An expired certificate: the same.
	expired, expiredKey, err := testutil.SelfSigned("api.example.com", time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour), "EC PRIVATE KEY")
	g.Expect(err).NotTo(HaveOccurred())
	putTLSSecret(t, ns, "api-tls", expired, expiredKey, true)
	condition(t, gwd, gatewayv1alpha1.ConditionTLSReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonTLSCertificateExpired)
	g.Expect(deployment(t, gwd).Generation).To(Equal(generation))

	// Renewed: exactly one rollout onto a new copy; the old copy goes once it completed.
	renewed, renewedKey := certificateFor(t, 60*24*time.Hour)
	putTLSSecret(t, ns, "api-tls", renewed, renewedKey, true)
	condition(t, gwd, gatewayv1alpha1.ConditionTLSReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonCertificatesValid)
	g.Eventually(func() string { return mountedCertificates(deployment(t, gwd)) }, timeout, interval).ShouldNot(Equal(first))
	g.Consistently(func() int64 { return deployment(t, gwd).Generation }, time.Second, interval).Should(Equal(generation + 1))
	setDeploymentStatus(t, gwd, rolledOut(1))
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: first}, &corev1.Secret{}))
	}, timeout, interval).Should(BeTrue(), "the old copy outlived the rollout")
}

// Within 14 days of expiry: a Warning event and the reason say so, Ready does not.
func TestExpiringCertificateWarnsWithoutTakingReadyDown(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	cert, key := certificateFor(t, 10*24*time.Hour)
	putTLSSecret(t, ns, "api-tls", cert, key, true)
	gwd := readyGateway(t, ns, "ageing", 1, withTLS("api-tls"))
	latest := condition(t, gwd, gatewayv1alpha1.ConditionTLSReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonCertificateExpiringSoon)
	g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionTLSReady).Message).To(ContainSubstring("renew the Secret"))
	g.Eventually(func() int { return warnings(t, ns, gatewayv1alpha1.ReasonCertificateExpiringSoon) }, timeout, interval).Should(Equal(1))
	g.Expect(meta.IsStatusConditionTrue(latest.Status.Conditions, gatewayv1alpha1.ConditionReady)).To(BeTrue())
}

// A gateway whose certificate cannot be had does not start; the message says what to do.
func TestMissingOrUnlabelledCertificateHoldsANewGateway(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "waiting"}}
	withTLS("api-tls")(gwd)
	g.Expect(k8s.Create(ctx, gwd)).To(Succeed())
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonTLSSecretNotFound)
	g.Expect(apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), &appsv1.Deployment{}))).To(BeTrue())

	cert, key := certificateFor(t, 90*24*time.Hour)
	putTLSSecret(t, ns, "api-tls", cert, key, false)
	latest := condition(t, gwd, gatewayv1alpha1.ConditionTLSReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonTLSSecretNotLabelled)
	g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionTLSReady).Message).
		To(ContainSubstring("kubectl label secret api-tls -n " + ns + " gateway.portico.dev/config=certificate"))

	putTLSSecret(t, ns, "api-tls", cert, key, true)
	deployment(t, gwd)
	condition(t, gwd, gatewayv1alpha1.ConditionTLSReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonCertificatesValid)
}
