// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package metricsauth

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// clock is a test clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestGuardAsksTheAPIServer runs the guard against a real API server: its token reviews and
// RBAC decide, and a verdict is remembered for a limited time only.
func TestGuardAsksTheAPIServer(t *testing.T) {
	g := NewWithT(t)
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run the tests with 'make test'")
	}
	env := &envtest.Environment{}
	cfg, err := env.Start()
	defer func() { _ = env.Stop() }()
	g.Expect(err).NotTo(HaveOccurred())
	ctx := context.Background()
	kube := kubernetes.NewForConfigOrDie(cfg)

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "monitoring"}}
	_, err = kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	token := func(name string) string {
		_, err := kube.CoreV1().ServiceAccounts(ns.Name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		tr, err := kube.CoreV1().ServiceAccounts(ns.Name).CreateToken(ctx, name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		return tr.Status.Token
	}
	scraper, stranger := token("prometheus"), token("stranger")
	_, err = kube.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "metrics-reader"},
		Rules:      []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}},
	}, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "prometheus-metrics-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "metrics-reader"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns.Name, Name: "prometheus"}},
	}
	_, err = kube.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())

	// The provider the manager uses, with a clock the test moves.
	httpClient, err := rest.HTTPClientFor(cfg)
	g.Expect(err).NotTo(HaveOccurred())
	filter, err := FilterProvider(cfg, httpClient)
	g.Expect(err).NotTo(HaveOccurred())
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "portico_up 1\n") })
	handler, err := filter(logr.Discard(), metrics)
	g.Expect(err).NotTo(HaveOccurred())
	// The provider's guard reads time.Now; a second guard on the same clients shows expiry.
	c := &clock{now: time.Now()}
	timed := (&Guard{TokenReviews: kube.AuthenticationV1().TokenReviews(), AccessReviews: kube.AuthorizationV1().SubjectAccessReviews(), Now: c.Now}).Wrap(logr.Discard(), metrics)

	get := func(h http.Handler, path, authorization string) (int, string) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	for _, h := range []http.Handler{handler, timed} {
		code, body := get(h, "/metrics", "Bearer "+scraper)
		g.Expect(code).To(Equal(http.StatusOK))
		g.Expect(body).To(Equal("portico_up 1\n"))
		// Only the path the role names.
		code, body = get(h, "/debug", "Bearer "+scraper)
		g.Expect(code).To(Equal(http.StatusForbidden))
		g.Expect(body).To(ContainSubstring("system:serviceaccount:monitoring:prometheus may not get /debug"))
		// A valid token without the role.
		code, body = get(h, "/metrics", "Bearer "+stranger)
		g.Expect(code).To(Equal(http.StatusForbidden))
		g.Expect(body).To(ContainSubstring("system:serviceaccount:monitoring:stranger"))
		// No token, another scheme, a token the API server does not know.
		for _, authorization := range []string{"", "Basic " + scraper, "Bearer ", "Bearer not-a-token"} {
			code, body = get(h, "/metrics", authorization)
			g.Expect(code).To(Equal(http.StatusUnauthorized), authorization)
			g.Expect(body).NotTo(ContainSubstring(scraper))
		}
	}

	// Revoked: the remembered verdict stands for at most a minute, then the API server's
	// answer counts again.
	g.Expect(kube.RbacV1().ClusterRoleBindings().Delete(ctx, binding.Name, metav1.DeleteOptions{})).To(Succeed())
	code, _ := get(timed, "/metrics", "Bearer "+scraper)
	g.Expect(code).To(Equal(http.StatusOK))
	g.Eventually(func() int {
		// Past any verdict, so each try asks the API server (whose RBAC cache may lag a moment).
		c.Add(allowedFor + time.Second)
		code, _ := get(timed, "/metrics", "Bearer "+scraper)
		return code
	}, 10*time.Second, 100*time.Millisecond).Should(Equal(http.StatusForbidden))
}

// TestGuardForgetsWithinBounds keeps the remembered verdicts bounded however many tokens
// callers send.
func TestGuardForgetsWithinBounds(t *testing.T) {
	g := NewWithT(t)
	c := &clock{now: time.Now()}
	guard := &Guard{Now: c.Now}
	key := func(i int) [32]byte { return [32]byte{byte(i), byte(i >> 8)} }
	last := 3*maxRemembered - 1
	for i := range last + 1 {
		guard.remember(key(i), verdict{status: http.StatusUnauthorized, until: c.Now().Add(deniedFor)})
		g.Expect(len(guard.remembered)).To(BeNumerically("<=", maxRemembered))
	}
	_, ok := guard.recall(key(last))
	g.Expect(ok).To(BeTrue())
	c.Add(deniedFor)
	_, ok = guard.recall(key(last))
	g.Expect(ok).To(BeFalse())
}
