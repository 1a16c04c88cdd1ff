// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/konnect"
	"github.com/portico-dev/portico/internal/konnect/konnecttest"
	"github.com/portico-dev/portico/internal/render"
)

// newControlPlane makes a control plane, unique to the test, exist in the fake Konnect.
func newControlPlane(t *testing.T) string {
	t.Helper()
	id := newControlPlaneID()
	fakeKonnect.AddControlPlane(id, "cp-"+id[:8])
	return id
}

// newControlPlaneID is a fresh control-plane id, unknown to the fake Konnect.
func newControlPlaneID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// tokenSecret creates the labelled Secret that holds the Konnect token.
func tokenSecret(t *testing.T, ns, name, token string, labelled bool) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, StringData: map[string]string{"token": token}}
	if labelled {
		s.Labels = map[string]string{gatewayv1alpha1.LabelKonnect: "token"}
	}
	NewWithT(t).Expect(k8s.Create(context.Background(), s)).To(Succeed())
	return s
}

func konnectSpec(cpID, secret string) *gatewayv1alpha1.KonnectSpec {
	return &gatewayv1alpha1.KonnectSpec{ControlPlaneID: cpID, ServerURL: fakeKonnect.URL,
		AuthSecretRef: gatewayv1alpha1.SecretKeyRef{Name: secret, Key: "token"}}
}

// readyPod creates a gateway pod that became ready now, as the ReplicaSet controller and
// kubelet would.
func readyPod(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment, name string) {
	t.Helper()
	readyPodSince(t, gwd, name, testClock.Now())
}

func readyPodSince(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment, name string, since time.Time) {
	t.Helper()
	g := NewWithT(t)
	d := deployment(t, gwd)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: gwd.Namespace, Name: name, Labels: d.Spec.Template.Labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "kong", Image: testImage}}},
	}
	g.Expect(k8s.Create(context.Background(), pod)).To(Succeed())
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning,
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(since)}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "kong", Image: testImage, Ready: true,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}}}}
	g.Expect(k8s.Status().Update(context.Background(), pod)).To(Succeed())
}

func registrationSecret(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	NewWithT(t).Eventually(func() error {
		return k8s.Get(context.Background(), client.ObjectKey{Namespace: gwd.Namespace, Name: gwd.Name + "-konnect"}, s)
	}, timeout, interval).Should(Succeed())
	return s
}

func envOf(d *appsv1.Deployment) map[string]string {
	out := map[string]string{}
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		out[e.Name] = e.Value
	}
	return out
}

// pinnedIDs are the ids of the certificates pinned to a control plane, read through the API.
func pinnedIDs(t *testing.T, cpID string) []string {
	t.Helper()
	certs, err := konnect.NewClient(fakeKonnect.URL, konnectToken, fakeKonnect.Client(), nil).Certificates(context.Background(), cpID)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	var ids []string
	for _, c := range certs {
		ids = append(ids, c.ID)
	}
	return ids
}

func noContractViolations(t *testing.T) {
	t.Helper()
	NewWithT(t).Expect(fakeKonnect.Violations()).To(BeEmpty())
}

// updateSecret changes a Secret from a fresh read; the operator may have just added its finalizer.
func updateSecret(t *testing.T, s *corev1.Secret, mutate func(*corev1.Secret)) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		latest := &corev1.Secret{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(s), latest); err != nil {
			return err
		}
		mutate(latest)
		return k8s.Update(context.Background(), latest)
	}, timeout, interval).Should(Succeed())
}

// touch changes a Secret's annotation: the Secret watch re-runs the gateways that name it.
func touch(t *testing.T, s *corev1.Secret) {
	t.Helper()
	updateSecret(t, s, func(s *corev1.Secret) { s.Annotations = map[string]string{"test/touched": time.Now().String()} })
}

func TestKonnectRegistrationLifecycle(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	cpID := newControlPlane(t)
	token := tokenSecret(t, ns, "konnect-token", konnectToken, true)
	gwd := createGateway(t, ns, "hybrid", func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Konnect = konnectSpec(cpID, token.Name)
		gwd.Spec.Konnect.DataPlaneLabels = map[string]gatewayv1alpha1.DataPlaneLabelValue{"team": "payments", "env": "prod"}
	})

	// Registered: one certificate pinned, its id and expiry recorded, the pods configured.
	latest := condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionTrue, gatewayv1alpha1.ReasonKonnectRegistered)
	g.Expect(pinnedIDs(t, cpID)).To(HaveLen(1))
	firstID := pinnedIDs(t, cpID)[0]
	g.Expect(latest.Status.Konnect.CertificateID).To(Equal(firstID))
	g.Expect(latest.Status.Konnect.CertificateNotAfter.Time).To(BeTemporally("~", testClock.Now().Add(90*24*time.Hour), time.Minute))
	g.Expect(latest.Finalizers).To(ContainElement(gatewayv1alpha1.FinalizerKonnect))
	reg := registrationSecret(t, gwd)
	g.Expect(metav1.IsControlledBy(reg, latest)).To(BeTrue())
	g.Expect(fakeKonnect.Certificates(cpID)[0]).To(Equal(string(reg.Data[corev1.TLSCertKey])))
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(token), token)).To(Succeed())
	g.Expect(token.Finalizers).To(ContainElement(FinalizerKonnectToken))

	d := deployment(t, gwd)
	host := strings.ReplaceAll(cpID[:8], "-", "") + ".us.cp0.konghq.com"
	telemetry := strings.Replace(host, ".cp0.", ".tp0.", 1)
	g.Expect(envOf(d)).To(Equal(map[string]string{
		"KONG_DATABASE": "off", "KONG_PREFIX": "/kong_prefix", "KONG_NGINX_DAEMON": "off",
		"KONG_PROXY_LISTEN": envOf(d)["KONG_PROXY_LISTEN"], "KONG_PORT_MAPS": envOf(d)["KONG_PORT_MAPS"],
		"KONG_STATUS_LISTEN": "0.0.0.0:8100",
		"KONG_ROLE":          "data_plane", "KONG_KONNECT_MODE": "on", "KONG_CLUSTER_MTLS": "pki",
		"KONG_CLUSTER_CONTROL_PLANE": host + ":443", "KONG_CLUSTER_SERVER_NAME": host,
		"KONG_CLUSTER_TELEMETRY_ENDPOINT": telemetry + ":443", "KONG_CLUSTER_TELEMETRY_SERVER_NAME": telemetry,
		"KONG_CLUSTER_CERT": "/etc/kong/konnect/tls.crt", "KONG_CLUSTER_CERT_KEY": "/etc/kong/konnect/tls.key",
		"KONG_CLUSTER_DP_LABELS":           "env:prod,team:payments",
		"KONG_LUA_SSL_TRUSTED_CERTIFICATE": "system",
		"KONG_ADMIN_LISTEN":                "off", "KONG_PROXY_ACCESS_LOG": "/dev/stdout", "KONG_PROXY_ERROR_LOG": "/dev/stderr",
		"KONG_ADMIN_ACCESS_LOG": "/dev/stdout", "KONG_ADMIN_ERROR_LOG": "/dev/stderr",
		"KONG_STATUS_ACCESS_LOG": "off", "KONG_STATUS_ERROR_LOG": "/dev/stderr",
	}))
	g.Expect(d.Spec.Template.Annotations).To(HaveKeyWithValue(render.AnnotationKonnectCertificate, firstID))
	g.Expect(d.Spec.Template.Spec.Volumes).To(ContainElement(HaveField("VolumeSource.Secret.SecretName", reg.Name)))
	g.Expect(d.Spec.Template.Spec.Containers[0].VolumeMounts).To(ContainElement(corev1.VolumeMount{
		Name: "konnect-certificate", MountPath: "/etc/kong/konnect", ReadOnly: true}))

	// Connected: the pod checked in.
	setDeploymentStatus(t, gwd, rolledOut(1))
	fakeKonnect.CheckIn(cpID, "hybrid-7f9c-abcde")
	readyPod(t, gwd, "hybrid-7f9c-abcde")
	latest = condition(t, gwd, gatewayv1alpha1.ConditionKonnectConnected, metav1.ConditionTrue, gatewayv1alpha1.ReasonConnected)
	g.Expect(latest.Status.Konnect.ConnectedNodes).To(Equal(int32(1)))
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)

	// A pin whose answer was lost (the id never recorded) is found by listing, not pinned twice.
	g.Eventually(func() error {
		s := registrationSecret(t, gwd)
		delete(s.Annotations, konnect.AnnotationCertificateID)
		return k8s.Update(ctx, s)
	}, timeout, interval).Should(Succeed())
	g.Eventually(func() string { return registrationSecret(t, gwd).Annotations[konnect.AnnotationCertificateID] }, timeout, interval).Should(Equal(firstID))
	g.Expect(pinnedIDs(t, cpID)).To(Equal([]string{firstID}))

	// Rotation: 61 days on, past renewBefore (30 days before the 90-day expiry).
	testClock.advance(61 * 24 * time.Hour)
	t.Cleanup(func() { testClock.advance(-61 * 24 * time.Hour) })
	fakeKonnect.CheckIn(cpID, "hybrid-7f9c-abcde")
	touch(t, token)
	latest = condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionTrue, gatewayv1alpha1.ReasonCertificateRotating)
	g.Expect(pinnedIDs(t, cpID)).To(HaveLen(2), "the new certificate is pinned next to the old one")
	newID := latest.Status.Konnect.CertificateID
	g.Expect(newID).NotTo(Equal(firstID))
	g.Expect(pinnedIDs(t, cpID)).To(ContainElements(firstID, newID))
	d = deployment(t, gwd)
	g.Expect(d.Spec.Template.Annotations).To(HaveKeyWithValue(render.AnnotationKonnectCertificate, newID), "the pods roll onto it")
	// Until the rollout completes, the old certificate stays pinned.
	g.Consistently(func() []string { return pinnedIDs(t, cpID) }, time.Second, 100*time.Millisecond).Should(HaveLen(2))
	setDeploymentStatus(t, gwd, rolledOut(1))
	condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionTrue, gatewayv1alpha1.ReasonKonnectRegistered)
	g.Expect(pinnedIDs(t, cpID)).To(Equal([]string{newID}))

	// Deletion unpins, then lets go of the gateway and of the token Secret.
	g.Expect(k8s.Delete(ctx, gwd)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), &gatewayv1alpha1.GatewayDeployment{}))
	}, timeout, interval).Should(BeTrue())
	g.Expect(pinnedIDs(t, cpID)).To(BeEmpty())
	g.Eventually(func() []string {
		_ = k8s.Get(ctx, client.ObjectKeyFromObject(token), token)
		return token.Finalizers
	}, timeout, interval).ShouldNot(ContainElement(FinalizerKonnectToken))
	noContractViolations(t)
}

// registeredGateway creates, in a namespace of its own, a token Secret, a control plane and a
// gateway registered with it, and returns the gateway as registered.
func registeredGateway(t *testing.T, name string) (*gatewayv1alpha1.GatewayDeployment, *corev1.Secret, string) {
	t.Helper()
	ns := newNamespace(t)
	token := tokenSecret(t, ns, "token", konnectToken, true)
	cpID := newControlPlane(t)
	gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gatewayv1alpha1.GatewayDeploymentSpec{Konnect: konnectSpec(cpID, token.Name)}}
	NewWithT(t).Expect(k8s.Create(context.Background(), gwd)).To(Succeed())
	return condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionTrue, gatewayv1alpha1.ReasonKonnectRegistered), token, cpID
}

// A namespace being deleted takes the registration Secret with the gateway. Mid-rotation that
// Secret is the only record of the retired certificate: it stays until everything is unpinned.
func TestNamespaceDeletionMidRotationUnpinsEverything(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	gwd, token, cpID := registeredGateway(t, "rotating")
	reg := registrationSecret(t, gwd)
	g.Expect(reg.Finalizers).To(ContainElement(FinalizerKonnectRegistration))

	testClock.advance(61 * 24 * time.Hour)
	t.Cleanup(func() { testClock.advance(-61 * 24 * time.Hour) })
	touch(t, token)
	condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionTrue, gatewayv1alpha1.ReasonCertificateRotating)
	g.Expect(pinnedIDs(t, cpID)).To(HaveLen(2))

	// What the namespace controller does: delete everything in the namespace at once.
	g.Expect(k8s.Delete(ctx, reg)).To(Succeed())
	g.Expect(k8s.Delete(ctx, gwd)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), &gatewayv1alpha1.GatewayDeployment{}))
	}, timeout, interval).Should(BeTrue())
	g.Expect(pinnedIDs(t, cpID)).To(BeEmpty(), "the retired certificate too")
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKeyFromObject(reg), &corev1.Secret{}))
	}, timeout, interval).Should(BeTrue(), "the registration is let go")
}

// Konnect's API goes down and stays down: on the operator's (test) clock the certificate
// passes its renewal time, then expires. Status says so from the certificate alone, and an
// expired one takes Ready down.
func TestCertificateExpiryDuringAnOutage(t *testing.T) {
	g := NewWithT(t)
	gwd, token, cpID := registeredGateway(t, "outage")
	setDeploymentStatus(t, gwd, rolledOut(1))
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)
	for range 1000 {
		fakeKonnect.Inject(konnecttest.Fault{PathContains: cpID, Status: http.StatusServiceUnavailable})
	}
	t.Cleanup(func() { fakeKonnect.ClearFaults(cpID) })

	testClock.advance(61 * 24 * time.Hour)
	t.Cleanup(func() { testClock.advance(-61 * 24 * time.Hour) })
	touch(t, token)
	latest := condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionFalse, gatewayv1alpha1.ReasonCertificateExpiring)
	g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionKonnectRegistered).Message).To(ContainSubstring("Renewing it failed"))
	g.Expect(meta.IsStatusConditionTrue(latest.Status.Conditions, gatewayv1alpha1.ConditionReady)).To(BeTrue(), "still serving")

	testClock.advance(30 * 24 * time.Hour)
	t.Cleanup(func() { testClock.advance(-30 * 24 * time.Hour) })
	touch(t, token)
	condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionFalse, gatewayv1alpha1.ReasonCertificateExpired)
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonCertificateExpired)
}

// Deleting the registration Secret of a live gateway unpins its certificates and registers
// afresh, rather than leaving them pinned or the Secret stuck.
func TestDeletedRegistrationIsUnpinnedAndRenewed(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	gwd, _, cpID := registeredGateway(t, "renewed")
	first := gwd.Status.Konnect.CertificateID
	reg := registrationSecret(t, gwd)

	g.Expect(k8s.Delete(ctx, reg)).To(Succeed())
	g.Eventually(func(g Gomega) {
		ids := pinnedIDs(t, cpID)
		g.Expect(ids).To(HaveLen(1))
		g.Expect(ids).NotTo(ContainElement(first))
		renewed := &corev1.Secret{}
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(reg), renewed)).To(Succeed())
		g.Expect(renewed.UID).NotTo(Equal(reg.UID))
		g.Expect(renewed.DeletionTimestamp).To(BeNil())
	}, 2*timeout, interval).Should(Succeed())
	condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionTrue, gatewayv1alpha1.ReasonKonnectRegistered)
}

// The two tests that wait on Konnect's clock (backoffs, Retry-After, poll intervals) run
// beside each other, after the others: each has its own control planes and gateways.
func TestKonnectFailuresSetTheirReasonAndRecover(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	t.Run("token Secret missing, unlabelled, wrong", func(t *testing.T) {
		cpID := newControlPlane(t)
		gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "auth"},
			Spec: gatewayv1alpha1.GatewayDeploymentSpec{Konnect: konnectSpec(cpID, "auth-token")}}
		g.Expect(k8s.Create(ctx, gwd)).To(Succeed())
		latest := condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionFalse, gatewayv1alpha1.ReasonAuthSecretNotFound)
		g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionKonnectRegistered).Message).To(ContainSubstring("does not exist"))
		condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonAuthSecretNotFound)
		g.Expect(apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), &appsv1.Deployment{}))).To(BeTrue(),
			"no Deployment before the gateway is registered")

		secret := tokenSecret(t, ns, "auth-token", "kpat_wrong", false)
		g.Eventually(func() string {
			_ = k8s.Get(ctx, client.ObjectKeyFromObject(gwd), latest)
			if c := meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionKonnectRegistered); c != nil {
				return c.Message
			}
			return ""
		}, 20*time.Second, interval).Should(ContainSubstring("kubectl label secret -n " + ns + " auth-token " + gatewayv1alpha1.LabelKonnect + "=token"))

		// Labelled for Portico, but as a certificate: not a token to send.
		updateSecret(t, secret, func(s *corev1.Secret) { s.Labels = map[string]string{gatewayv1alpha1.LabelKonnect: "certificate"} })
		g.Eventually(func() string {
			_ = k8s.Get(ctx, client.ObjectKeyFromObject(gwd), latest)
			return meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionKonnectRegistered).Message
		}, 20*time.Second, interval).Should(ContainSubstring("is labelled " + gatewayv1alpha1.LabelKonnect + "=certificate, not token"))

		updateSecret(t, secret, func(s *corev1.Secret) { s.Labels = map[string]string{gatewayv1alpha1.LabelKonnect: "token"} })
		latest = condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionFalse, gatewayv1alpha1.ReasonAuthInvalid)
		message := meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionKonnectRegistered).Message
		g.Expect(message).NotTo(ContainSubstring("kpat_"), "the token never reaches status")

		updateSecret(t, secret, func(s *corev1.Secret) { s.StringData = map[string]string{"token": konnectToken} })
		condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionTrue, gatewayv1alpha1.ReasonKonnectRegistered)
		deployment(t, gwd)
	})

	token := tokenSecret(t, ns, "token", konnectToken, true)

	t.Run("serverURL not a Konnect API host", func(t *testing.T) {
		cpID := newControlPlane(t)
		elsewhere := tokenSecret(t, ns, "token-elsewhere", konnectToken, true)
		gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "elsewhere"},
			Spec: gatewayv1alpha1.GatewayDeploymentSpec{Konnect: konnectSpec(cpID, elsewhere.Name)}}
		// The same server under another name: the operator allows only 127.0.0.1.
		gwd.Spec.Konnect.ServerURL = strings.Replace(fakeKonnect.URL, "127.0.0.1", "localhost", 1)
		g.Expect(k8s.Create(ctx, gwd)).To(Succeed())
		latest := condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionFalse, gatewayv1alpha1.ReasonServerNotAllowed)
		message := meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionKonnectRegistered).Message
		g.Expect(message).To(ContainSubstring("localhost"))
		g.Expect(message).To(ContainSubstring("--konnect-api-hosts"))
		g.Expect(fakeKonnect.Certificates(cpID)).To(BeEmpty())
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(elsewhere), elsewhere)).To(Succeed())
		g.Expect(elsewhere.Finalizers).To(BeEmpty(), "the token is not even read")
		g.Expect(k8s.Delete(ctx, gwd)).To(Succeed())
	})

	t.Run("token Secret unlabelled after registration", func(t *testing.T) {
		cpID := newControlPlane(t)
		own := tokenSecret(t, ns, "token-unlabelled", konnectToken, true)
		gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "unlabelled"},
			Spec: gatewayv1alpha1.GatewayDeploymentSpec{Konnect: konnectSpec(cpID, own.Name)}}
		g.Expect(k8s.Create(ctx, gwd)).To(Succeed())
		condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionTrue, gatewayv1alpha1.ReasonKonnectRegistered)
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(own), own)).To(Succeed())
		g.Expect(own.Finalizers).To(ContainElement(FinalizerKonnectToken))

		updateSecret(t, own, func(s *corev1.Secret) { delete(s.Labels, gatewayv1alpha1.LabelKonnect) })
		g.Eventually(func(g Gomega) {
			g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(own), own)).To(Succeed())
			g.Expect(own.Finalizers).NotTo(ContainElement(FinalizerKonnectToken))
		}, timeout, interval).Should(Succeed(), "the finalizer goes with the label")
		condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionFalse, gatewayv1alpha1.ReasonAuthSecretNotFound)
	})

	t.Run("token Secret too large to cache", func(t *testing.T) {
		cpID := newControlPlane(t)
		big := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "token-big", Labels: map[string]string{gatewayv1alpha1.LabelKonnect: "token"}},
			Data: map[string][]byte{"token": []byte(konnectToken), "padding": make([]byte, MaxSecretBytes)}}
		g.Expect(k8s.Create(ctx, big)).To(Succeed())
		gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "big"},
			Spec: gatewayv1alpha1.GatewayDeploymentSpec{Konnect: konnectSpec(cpID, big.Name)}}
		g.Expect(k8s.Create(ctx, gwd)).To(Succeed())
		latest := condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionFalse, gatewayv1alpha1.ReasonAuthSecretNotFound)
		g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionKonnectRegistered).Message).To(ContainSubstring("at most 64 KiB"))

		updateSecret(t, big, func(s *corev1.Secret) { delete(s.Data, "padding") })
		condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionTrue, gatewayv1alpha1.ReasonKonnectRegistered)
	})

	t.Run("control plane not found", func(t *testing.T) {
		cpID := newControlPlaneID()
		gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nocp"},
			Spec: gatewayv1alpha1.GatewayDeploymentSpec{Konnect: konnectSpec(cpID, token.Name)}}
		g.Expect(k8s.Create(ctx, gwd)).To(Succeed())
		condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionFalse, gatewayv1alpha1.ReasonControlPlaneNotFound)
		fakeKonnect.AddControlPlane(cpID, "late")
		condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionTrue, gatewayv1alpha1.ReasonKonnectRegistered)
	})

	t.Run("a foreign Secret in the registration's place", func(t *testing.T) {
		cpID := newControlPlane(t)
		g.Expect(k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "clash-konnect"}})).To(Succeed())
		gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "clash"},
			Spec: gatewayv1alpha1.GatewayDeploymentSpec{Konnect: konnectSpec(cpID, token.Name)}}
		g.Expect(k8s.Create(ctx, gwd)).To(Succeed())
		latest := condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionFalse, gatewayv1alpha1.ReasonRegistrationSecretConflict)
		g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionKonnectRegistered).Message).To(ContainSubstring("clash-konnect"))
		g.Expect(fakeKonnect.Certificates(cpID)).To(BeEmpty(), "nothing pinned without a place to keep it")
	})

	t.Run("control plane by name", func(t *testing.T) {
		cpID := newControlPlane(t)
		gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "byname"},
			Spec: gatewayv1alpha1.GatewayDeploymentSpec{Konnect: konnectSpec("", token.Name)}}
		gwd.Spec.Konnect.ControlPlaneName = "cp-" + cpID[:8]
		g.Expect(k8s.Create(ctx, gwd)).To(Succeed())
		latest := condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionTrue, gatewayv1alpha1.ReasonKonnectRegistered)
		g.Expect(latest.Status.Konnect.ControlPlaneID).To(Equal(cpID))
	})

	for _, tc := range []struct {
		name  string
		fault konnecttest.Fault
	}{
		{"500", konnecttest.Fault{Status: http.StatusInternalServerError}},
		{"slow answer past the call timeout", konnecttest.Fault{Delay: 3 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cpID := newControlPlane(t)
			tc.fault.PathContains = cpID
			fakeKonnect.Inject(tc.fault)
			gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "fault-" + strings.ToLower(strings.Fields(tc.name)[0])},
				Spec: gatewayv1alpha1.GatewayDeploymentSpec{Konnect: konnectSpec(cpID, token.Name)}}
			g.Expect(k8s.Create(ctx, gwd)).To(Succeed())
			condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionFalse, gatewayv1alpha1.ReasonAPIUnavailable)
			condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionTrue, gatewayv1alpha1.ReasonKonnectRegistered)
			g.Expect(pinnedIDs(t, cpID)).To(HaveLen(1))
		})
	}

	t.Run("429 waits for Retry-After", func(t *testing.T) {
		cpID := newControlPlane(t)
		fakeKonnect.Inject(konnecttest.Fault{PathContains: cpID, Status: http.StatusTooManyRequests, RetryAfter: 3 * time.Second})
		gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "limited"},
			Spec: gatewayv1alpha1.GatewayDeploymentSpec{Konnect: konnectSpec(cpID, token.Name)}}
		start := time.Now()
		g.Expect(k8s.Create(ctx, gwd)).To(Succeed())
		latest := condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionFalse, gatewayv1alpha1.ReasonAPIUnavailable)
		g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionKonnectRegistered).Message).To(ContainSubstring("retrying after 3s"))
		calls := func() int {
			n := 0
			for _, r := range fakeKonnect.Requests() {
				if strings.Contains(r, cpID) {
					n++
				}
			}
			return n
		}
		// Longer than the retry backoff (1 s here): only Retry-After holds the call back.
		g.Consistently(calls, 2500*time.Millisecond, 100*time.Millisecond).Should(Equal(1), "no call before Retry-After")
		condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionTrue, gatewayv1alpha1.ReasonKonnectRegistered)
		g.Expect(time.Since(start)).To(BeNumerically(">=", 3*time.Second))
	})

	t.Run("unpin failing on delete: condition, then the release annotation", func(t *testing.T) {
		cpID := newControlPlane(t)
		gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "stuck"},
			Spec: gatewayv1alpha1.GatewayDeploymentSpec{Konnect: konnectSpec(cpID, token.Name)}}
		g.Expect(k8s.Create(ctx, gwd)).To(Succeed())
		condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionTrue, gatewayv1alpha1.ReasonKonnectRegistered)
		for range 20 {
			fakeKonnect.Inject(konnecttest.Fault{PathContains: cpID, Status: http.StatusInternalServerError})
		}
		g.Expect(k8s.Delete(ctx, gwd)).To(Succeed())
		latest := &gatewayv1alpha1.GatewayDeployment{}
		g.Eventually(func(g Gomega) {
			g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), latest)).To(Succeed())
			c := meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionKonnectRegistered)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(gatewayv1alpha1.ReasonUnpinFailed))
			g.Expect(c.Message).To(ContainSubstring(gatewayv1alpha1.AnnotationKonnectRelease + "=true"))
		}, timeout, interval).Should(Succeed())
		g.Expect(fakeKonnect.Certificates(cpID)).NotTo(BeEmpty())

		// The deadline is on the object: an operator restart (its memory lost) does not move it.
		deadline := latest.Annotations[gatewayv1alpha1.AnnotationKonnectUnpinDeadline]
		g.Expect(time.Parse(time.RFC3339, deadline)).To(BeTemporally("~", testClock.Now().Add(unpinDeadline), time.Minute))
		reconciler.konnect.forget(latest.UID)
		g.Consistently(func(g Gomega) {
			g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), latest)).To(Succeed())
			g.Expect(latest.Annotations).To(HaveKeyWithValue(gatewayv1alpha1.AnnotationKonnectUnpinDeadline, deadline))
			c := meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionKonnectRegistered)
			g.Expect(c.Message).To(ContainSubstring("retrying until " + deadline))
		}, 3*time.Second, 200*time.Millisecond).Should(Succeed())

		latest.Annotations = map[string]string{gatewayv1alpha1.AnnotationKonnectRelease: "true"}
		g.Expect(k8s.Update(ctx, latest)).To(Succeed())
		g.Eventually(func() bool {
			return apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), latest))
		}, 2*timeout, interval).Should(BeTrue())
		events := &corev1.EventList{}
		g.Expect(k8s.List(ctx, events, client.InNamespace(ns))).To(Succeed())
		var warned bool
		for _, e := range events.Items {
			warned = warned || (e.Reason == "KonnectCertificatesLeftPinned" && strings.Contains(e.Message, cpID))
		}
		g.Expect(warned).To(BeTrue(), "a warning event names the certificates left pinned")
	})
	noContractViolations(t)
}

func TestKonnectUserCertificateAndRemoval(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	cpID := newControlPlane(t)
	token := tokenSecret(t, ns, "token", konnectToken, true)
	userCert := func() map[string][]byte {
		pair, err := konnect.Issue("mine", time.Now(), 24*time.Hour, rand.Reader)
		g.Expect(err).NotTo(HaveOccurred())
		return map[string][]byte{corev1.TLSCertKey: pair.CertPEM, corev1.TLSPrivateKeyKey: pair.KeyPEM}
	}
	mine := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "my-cert", Labels: map[string]string{gatewayv1alpha1.LabelKonnect: "certificate"}},
		Type: corev1.SecretTypeTLS, Data: userCert()}
	g.Expect(k8s.Create(ctx, mine)).To(Succeed())
	gwd := createGateway(t, ns, "own-cert", func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Replicas = ptr.To[int32](0)
		gwd.Spec.Konnect = konnectSpec(cpID, token.Name)
		gwd.Spec.Konnect.Certificate.SecretName = mine.Name
	})
	condition(t, gwd, gatewayv1alpha1.ConditionKonnectRegistered, metav1.ConditionTrue, gatewayv1alpha1.ReasonKonnectRegistered)
	g.Expect(fakeKonnect.Certificates(cpID)).To(Equal([]string{string(mine.Data[corev1.TLSCertKey])}))
	g.Expect(deployment(t, gwd).Spec.Template.Spec.Volumes).To(ContainElement(HaveField("VolumeSource.Secret.SecretName", mine.Name)))
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)

	// The user renews it: the new one is pinned, the pods roll, the old one goes.
	mine.Data = userCert()
	updateSecret(t, mine, func(s *corev1.Secret) { s.Data = mine.Data })
	g.Eventually(func() []string { return fakeKonnect.Certificates(cpID) }, timeout, interval).Should(ContainElement(string(mine.Data[corev1.TLSCertKey])))
	setDeploymentStatus(t, gwd, rolledOut(0))
	g.Eventually(func() []string { return fakeKonnect.Certificates(cpID) }, timeout, interval).Should(Equal([]string{string(mine.Data[corev1.TLSCertKey])}))

	// spec.konnect removed: certificates unpinned, registration and finalizer gone, and the
	// gateway is an ordinary one again.
	latest := &gatewayv1alpha1.GatewayDeployment{}
	g.Eventually(func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(gwd), latest); err != nil {
			return err
		}
		latest.Spec.Konnect = nil
		return k8s.Update(ctx, latest)
	}, timeout, interval).Should(Succeed())
	g.Eventually(func() []string { return fakeKonnect.Certificates(cpID) }, timeout, interval).Should(BeEmpty())
	g.Eventually(func(g Gomega) {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), latest)).To(Succeed())
		g.Expect(controllerutil.ContainsFinalizer(latest, gatewayv1alpha1.FinalizerKonnect)).To(BeFalse())
		g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionKonnectRegistered)).To(BeNil())
		g.Expect(envOf(deployment(t, gwd))).NotTo(HaveKey("KONG_ROLE"))
		g.Expect(apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: gwd.Name + "-konnect"}, &corev1.Secret{}))).To(BeTrue())
	}, timeout, interval).Should(Succeed())
	noContractViolations(t)
}

func TestKonnectConnectedNamesMissingDataPlanes(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ns := newNamespace(t)
	cpID := newControlPlane(t)
	token := tokenSecret(t, ns, "token", konnectToken, true)
	gwd := createGateway(t, ns, "pair", func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Replicas = ptr.To[int32](2)
		gwd.Spec.Konnect = konnectSpec(cpID, token.Name)
		gwd.Spec.Konnect.PollInterval = &metav1.Duration{Duration: 10 * time.Second}
	})
	setDeploymentStatus(t, gwd, rolledOut(2))
	// Two pods, ready for a minute (past the grace for checking in); only one checked in.
	fakeKonnect.CheckIn(cpID, "pair-a")
	readyPodSince(t, gwd, "pair-a", testClock.Now().Add(-time.Minute))
	readyPodSince(t, gwd, "pair-b", testClock.Now().Add(-time.Minute))
	// The poll before the pods appeared saw none; the next one (pollInterval 10s) sees pair-a.
	g.Eventually(func(g Gomega) {
		latest := condition(t, gwd, gatewayv1alpha1.ConditionKonnectConnected, metav1.ConditionFalse, gatewayv1alpha1.ReasonNodesMissing)
		g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionKonnectConnected).Message).
			To(Equal("1 of 2 ready pods checked in with control plane " + cpID + " lately; not seen: pair-b."))
	}, 2*timeout, interval).Should(Succeed())
	// One data plane connected still serves: Ready holds.
	condition(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)

	// The next poll (pollInterval 10s) sees it check in.
	fakeKonnect.CheckIn(cpID, "pair-a", "pair-b")
	latest := condition(t, gwd, gatewayv1alpha1.ConditionKonnectConnected, metav1.ConditionTrue, gatewayv1alpha1.ReasonConnected)
	g.Expect(latest.Status.Konnect.ConnectedNodes).To(Equal(int32(2)))
	noContractViolations(t)
}

// Konnect control planes that hang hold only the operator's share of workers for Konnect:
// gateways without Konnect are reconciled meanwhile. Not parallel: it measures the workers.
func TestSlowKonnectHoldsOnlyItsShareOfWorkers(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	token := tokenSecret(t, ns, "token", konnectToken, true)
	var hanging []*gatewayv1alpha1.GatewayDeployment
	for i := range 8 {
		cpID := newControlPlane(t)
		for range 30 {
			fakeKonnect.Inject(konnecttest.Fault{PathContains: cpID, Delay: time.Minute})
		}
		t.Cleanup(func() { fakeKonnect.ClearFaults(cpID) })
		gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("hanging-%d", i)},
			Spec: gatewayv1alpha1.GatewayDeploymentSpec{Konnect: konnectSpec(cpID, token.Name)}}
		g.Expect(k8s.Create(ctx, gwd)).To(Succeed())
		hanging = append(hanging, gwd)
	}
	konnectCalls.takeMost()
	g.Eventually(func() int { return len(fakeKonnect.Requests()) }).Should(BeNumerically(">", 0))

	start := time.Now()
	for i := range 6 {
		createGateway(t, ns, fmt.Sprintf("plain-%d", i), nil)
	}
	t.Logf("6 gateways without Konnect got their Deployment and Service in %s while 8 control planes hung", time.Since(start).Round(10*time.Millisecond))
	for _, gwd := range hanging {
		latest := &gatewayv1alpha1.GatewayDeployment{}
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), latest)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(latest.Status.Conditions, gatewayv1alpha1.ConditionKonnectRegistered)).To(BeFalse(), "still hanging meanwhile")
	}
	// 4 workers in this suite: the share is 2.
	g.Expect(konnectCalls.takeMost()).To(BeNumerically("<=", 2), "Konnect calls under way at once")
	for _, gwd := range hanging {
		g.Expect(k8s.Delete(ctx, gwd)).To(Succeed())
	}
}

// Konnect's clock stamps the pings; an operator clock 10 minutes ahead still judges a node
// that pinged 30 s ago (on Konnect's clock) fresh. Only nodes that are the gateway's pods are
// kept.
func TestNodesAreJudgedOnKonnectsClock(t *testing.T) {
	g := NewWithT(t)
	pods := []corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Name: "edge-7d4b9c-x2x7q"}}, {ObjectMeta: metav1.ObjectMeta{Name: "edge-7d4b9c-stale"}}}
	konnectNow := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	operatorNow := konnectNow.Add(10 * time.Minute)
	nodes := []konnect.Node{
		{Hostname: "edge-7d4b9c-x2x7q", LastPing: konnectNow.Add(-30 * time.Second)},
		{Hostname: "edge-7d4b9c-stale", LastPing: konnectNow.Add(-5 * time.Minute)},
		{Hostname: "edge-7d4b9c-gone", LastPing: konnectNow},
		{Hostname: "billing-5f6d7-abcde", LastPing: konnectNow},
	}
	kept := gatewayNodes(pods, nodes, konnectNow, operatorNow)
	g.Expect(kept).To(HaveLen(2))
	g.Expect(operatorNow.Sub(kept["edge-7d4b9c-x2x7q"])).To(Equal(30 * time.Second))
	g.Expect(operatorNow.Sub(kept["edge-7d4b9c-stale"])).To(Equal(5 * time.Minute))
	// Without Konnect's time (no Date header), its clock is taken to agree.
	g.Expect(gatewayNodes(pods, nodes, time.Time{}, operatorNow)["edge-7d4b9c-x2x7q"]).To(Equal(konnectNow.Add(-30 * time.Second)))
}

// Gateways registered to one control plane with one token share one nodes poll per interval;
// with another token, they poll apart: tenants never share an answer got with someone else's
// credentials.
func TestNodesPollIsSharedPerControlPlaneAndToken(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ns := newNamespace(t)
	cpID := newControlPlane(t)
	const otherToken = "kpat_portico-other-tenant-0123456789"
	fakeKonnect.AllowToken(otherToken)
	shared := tokenSecret(t, ns, "token", konnectToken, true)
	apart := tokenSecret(t, ns, "other-token", otherToken, true)
	var gateways []*gatewayv1alpha1.GatewayDeployment
	for i, secret := range []string{shared.Name, shared.Name, shared.Name, apart.Name} {
		name := fmt.Sprintf("dp-%d", i)
		gwd := createGateway(t, ns, name, func(gwd *gatewayv1alpha1.GatewayDeployment) {
			gwd.Spec.Konnect = konnectSpec(cpID, secret)
			gwd.Spec.Konnect.PollInterval = &metav1.Duration{Duration: 10 * time.Second}
		})
		setDeploymentStatus(t, gwd, rolledOut(1))
		fakeKonnect.CheckIn(cpID, name+"-pod")
		readyPodSince(t, gwd, name+"-pod", testClock.Now().Add(-time.Minute))
		gateways = append(gateways, gwd)
	}
	for _, gwd := range gateways {
		condition(t, gwd, gatewayv1alpha1.ConditionKonnectConnected, metav1.ConditionTrue, gatewayv1alpha1.ReasonConnected)
	}
	polls := func(token string) int {
		n := 0
		for _, r := range fakeKonnect.RequestsWith(token) {
			if r == "GET /v2/control-planes/"+cpID+"/nodes" {
				n++
			}
		}
		return n
	}
	sharedBefore, apartBefore := polls(konnectToken), polls(otherToken)
	time.Sleep(25 * time.Second)
	sharedPolls, apartPolls := polls(konnectToken)-sharedBefore, polls(otherToken)-apartBefore
	t.Logf("in 25 s at a 10 s interval: %d polls for the three gateways sharing a token, %d for the one apart", sharedPolls, apartPolls)
	// Each caller polls about once per interval; three gateways polling apart would make
	// about three times the polls of the one.
	g.Expect(apartPolls).To(BeNumerically(">=", 2))
	g.Expect(sharedPolls).To(BeNumerically("<=", apartPolls+1))
	for _, gwd := range gateways {
		condition(t, gwd, gatewayv1alpha1.ConditionKonnectConnected, metav1.ConditionTrue, gatewayv1alpha1.ReasonConnected)
	}
}
