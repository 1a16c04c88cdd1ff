// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/testutil"
)

// scraper is a ServiceAccount allowed to read /metrics, as Prometheus's would be.
func scraper(t *testing.T, ns string) (scrape func() string) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "prometheus"}}
	g.Expect(k8s.Create(ctx, sa)).To(Succeed())
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "metrics-reader-" + ns},
		Rules: []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}}
	g.Expect(k8s.Create(ctx, role)).To(Succeed())
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: sa.Name}}}
	g.Expect(k8s.Create(ctx, binding)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(ctx, binding); _ = k8s.Delete(ctx, role) })
	token := &authenticationv1.TokenRequest{}
	g.Expect(k8s.SubResource("token").Create(ctx, sa, token)).To(Succeed())
	// The endpoint's certificate is self-signed, as the operator's is without cert-manager.
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // a test of the endpoint's authorisation, not its certificate
	return func() string {
		req, err := http.NewRequest(http.MethodGet, metricsURL, nil)
		g.Expect(err).NotTo(HaveOccurred())
		req.Header.Set("Authorization", "Bearer "+token.Status.Token)
		resp, err := hc.Do(req)
		g.Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(resp.StatusCode).To(Equal(http.StatusOK), string(body))
		return string(body)
	}
}

// The gateway's metrics follow its conditions and certificates, through the authenticated
// endpoint, and go with the gateway.
func TestMetricsFollowConditionsAndCertificates(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	scrape := scraper(t, ns)
	notAfter := time.Now().Add(90 * 24 * time.Hour).Truncate(time.Second)
	cert, key, err := testutil.SelfSigned("api.example.com", time.Now().Add(-time.Hour), notAfter, "PRIVATE KEY")
	g.Expect(err).NotTo(HaveOccurred())
	putTLSSecret(t, ns, "api-tls", cert, key, true)
	gwd := readyGateway(t, ns, "metered", 2, withTLS("api-tls"))
	condition(t, gwd, gatewayv1alpha1.ConditionTLSReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonCertificatesValid)

	series := func(name, labels string) string { return fmt.Sprintf("%s{%s}", name, labels) }
	of := fmt.Sprintf(`name="metered",namespace="%s"`, ns)
	g.Eventually(scrape, timeout, interval).Should(And(
		ContainSubstring(series("portico_gatewaydeployment_condition", of+`,reason="Ready",status="True",type="Ready"`)+" 1\n"),
		ContainSubstring(series("portico_gatewaydeployment_condition", of+`,reason="CertificatesValid",status="True",type="TLSReady"`)+" 1\n"),
		ContainSubstring(series("portico_gatewaydeployment_replicas_desired", of)+" 2\n"),
		ContainSubstring(series("portico_gatewaydeployment_replicas_ready", of)+" 2\n"),
		ContainSubstring(series("portico_certificate_expiry_timestamp_seconds", `certificate="api-tls",`+of+`,purpose="listener"`)+
			" "+strconv.FormatFloat(float64(notAfter.Unix()), 'g', -1, 64)+"\n"),
	))

	// A bad key: the condition's series turns; one series per condition type, never two.
	_, otherKey, err := testutil.SelfSigned("api.example.com", time.Now().Add(-time.Hour), notAfter, "PRIVATE KEY")
	g.Expect(err).NotTo(HaveOccurred())
	putTLSSecret(t, ns, "api-tls", cert, otherKey, true)
	g.Eventually(scrape, timeout, interval).Should(And(
		ContainSubstring(series("portico_gatewaydeployment_condition", of+`,reason="TLSKeyMismatch",status="False",type="TLSReady"`)+" 1\n"),
		Not(ContainSubstring(`reason="CertificatesValid"`)),
	))
	latest := condition(t, gwd, gatewayv1alpha1.ConditionTLSReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonTLSKeyMismatch)
	g.Expect(strings.Count(scrape(), of+`,reason=`)).To(Equal(len(latest.Status.Conditions)), "one series per condition type")

	// Gone with the gateway.
	g.Expect(k8s.Delete(ctx, gwd)).To(Succeed())
	g.Eventually(scrape, timeout, interval).ShouldNot(ContainSubstring(of))
}
