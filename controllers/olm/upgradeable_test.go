// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package olm

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apiv2 "github.com/operator-framework/api/pkg/operators/v2"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers"
	"github.com/portico-dev/portico/internal/testutil"
)

func TestOperatorConditionKey(t *testing.T) {
	g := NewWithT(t)
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	saFile := filepath.Join(t.TempDir(), "namespace")
	missing := filepath.Join(t.TempDir(), "none")

	// Without OLM: no condition name, no reporter.
	_, err := OperatorConditionKey(env(nil), missing)
	g.Expect(err).To(MatchError(ContainSubstring("OPERATOR_CONDITION_NAME")))

	// In a pod: the service-account file names the namespace.
	g.Expect(os.WriteFile(saFile, []byte("operators\n"), 0o600)).To(Succeed())
	key, err := OperatorConditionKey(env(map[string]string{"OPERATOR_CONDITION_NAME": "portico.v0.1.0", "POD_NAMESPACE": "other"}), saFile)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(key).To(Equal(types.NamespacedName{Namespace: "operators", Name: "portico.v0.1.0"}))

	// No service-account file (automountServiceAccountToken off, or a process outside a pod):
	// the downward API's POD_NAMESPACE.
	key, err = OperatorConditionKey(env(map[string]string{"OPERATOR_CONDITION_NAME": "portico.v0.1.0", "POD_NAMESPACE": "operators"}), missing)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(key).To(Equal(types.NamespacedName{Namespace: "operators", Name: "portico.v0.1.0"}))

	// Named by OLM but no namespace anywhere: said plainly, not a crash.
	_, err = OperatorConditionKey(env(map[string]string{"OPERATOR_CONDITION_NAME": "portico.v0.1.0"}), missing)
	g.Expect(err).To(MatchError(ContainSubstring("POD_NAMESPACE")))
}

func TestUpgradeableFollowsRollouts(t *testing.T) {
	g := NewWithT(t)
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run the tests with 'make test'")
	}
	env := &envtest.Environment{CRDDirectoryPaths: []string{
		filepath.Join("..", "..", "config", "crd", "bases"),
		testutil.ModuleFile(t, "github.com/operator-framework/api", "crds", "operators.coreos.com_operatorconditions.yaml"),
	}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	// Start may fail after etcd and kube-apiserver are up: stop them either way.
	defer func() { _ = env.Stop() }()
	g.Expect(err).NotTo(HaveOccurred())

	scheme := controllers.NewScheme()
	g.Expect(rbacv1.AddToScheme(scheme)).To(Succeed()) // for the test's own grants
	k8s, err := client.New(cfg, client.Options{Scheme: scheme})
	g.Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "portico-system"}}
	g.Expect(k8s.Create(ctx, ns)).To(Succeed())
	key := types.NamespacedName{Namespace: ns.Name, Name: "portico.v0.1.0"}
	g.Expect(k8s.Create(ctx, &apiv2.OperatorCondition{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}})).To(Succeed())

	// The operator runs with the rights OLM gives it on its OperatorCondition (get, update and
	// patch on that one name: no list, no watch) and reads GatewayDeployments.
	const operatorUser = "system:serviceaccount:portico-system:portico"
	operator, err := env.AddUser(envtest.User{Name: operatorUser}, cfg)
	g.Expect(err).NotTo(HaveOccurred())
	grant(ctx, g, k8s, ns.Name, operatorUser, []rbacv1.PolicyRule{
		{APIGroups: []string{apiv2.GroupVersion.Group}, Resources: []string{"operatorconditions"}, ResourceNames: []string{key.Name}, Verbs: []string{"get", "update", "patch"}},
		{APIGroups: []string{gatewayv1alpha1.GroupVersion.Group}, Resources: []string{"gatewaydeployments"}, Verbs: []string{"get", "list", "watch"}},
	})
	// As the CSV's Deployment sets it: no service-account file outside a pod.
	t.Setenv("OPERATOR_CONDITION_NAME", key.Name)
	t.Setenv("POD_NAMESPACE", key.Namespace)

	mgr, err := ctrl.NewManager(operator.Config(), ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		Cache: cache.Options{DefaultNamespaces: map[string]cache.Config{ns.Name: {}}}})
	g.Expect(err).NotTo(HaveOccurred())
	reporter, err := NewUpgradeableReporter(mgr)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(reporter.SetupWithManager(mgr)).To(Succeed())
	go func() { _ = mgr.Start(ctx) }()
	condition := OperatorCondition{Client: k8s, Key: key, Type: apiv2.Upgradeable}

	upgradeable := func(g Gomega) *metav1.Condition {
		c, err := condition.Get(ctx)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c).NotTo(BeNil())
		return c
	}
	progressing := func(gwd *gatewayv1alpha1.GatewayDeployment, status metav1.ConditionStatus) {
		meta.SetStatusCondition(&gwd.Status.Conditions, metav1.Condition{Type: gatewayv1alpha1.ConditionProgressing,
			Status: status, Reason: gatewayv1alpha1.ReasonRollingOut, Message: "test"})
		g.Expect(k8s.Status().Update(ctx, gwd)).To(Succeed())
	}

	// Stated at start, before any GatewayDeployment exists.
	g.Eventually(func(g Gomega) {
		g.Expect(upgradeable(g).Status).To(Equal(metav1.ConditionTrue))
	}, 15*time.Second, 50*time.Millisecond).Should(Succeed())
	// And the operator is ready: /readyz waits for every informer, and none may be one that
	// OLM's rights cannot list.
	synced, cancelSync := context.WithTimeout(ctx, 10*time.Second)
	defer cancelSync()
	g.Expect(mgr.GetCache().WaitForCacheSync(synced)).To(BeTrue(), "the informer caches never synced")
	gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "edge"}}
	g.Expect(k8s.Create(ctx, gwd)).To(Succeed())

	progressing(gwd, metav1.ConditionTrue)
	g.Eventually(func(g Gomega) {
		c := upgradeable(g)
		g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(c.Reason).To(Equal(ReasonRolloutInProgress))
		g.Expect(c.Message).To(Equal("1 GatewayDeployments are rolling out or rotating their Konnect certificate: portico-system/edge."))
	}, 15*time.Second, 50*time.Millisecond).Should(Succeed())

	// An unchanged verdict writes nothing.
	oc := &apiv2.OperatorCondition{}
	g.Expect(k8s.Get(ctx, key, oc)).To(Succeed())
	version := oc.ResourceVersion
	gwd.Labels = map[string]string{"touched": "yes"}
	g.Expect(k8s.Update(ctx, gwd)).To(Succeed())
	g.Consistently(func() string {
		g.Expect(k8s.Get(ctx, key, oc)).To(Succeed())
		return oc.ResourceVersion
	}, time.Second, 50*time.Millisecond).Should(Equal(version))

	// A Konnect certificate rotation holds upgrades too, until it finishes.
	meta.SetStatusCondition(&gwd.Status.Conditions, metav1.Condition{Type: gatewayv1alpha1.ConditionKonnectRegistered,
		Status: metav1.ConditionTrue, Reason: gatewayv1alpha1.ReasonCertificateRotating, Message: "test"})
	progressing(gwd, metav1.ConditionFalse)
	g.Consistently(func(g Gomega) {
		g.Expect(upgradeable(g).Status).To(Equal(metav1.ConditionFalse))
	}, time.Second, 50*time.Millisecond).Should(Succeed())
	meta.SetStatusCondition(&gwd.Status.Conditions, metav1.Condition{Type: gatewayv1alpha1.ConditionKonnectRegistered,
		Status: metav1.ConditionTrue, Reason: gatewayv1alpha1.ReasonKonnectRegistered, Message: "test"})
	g.Expect(k8s.Status().Update(ctx, gwd)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(upgradeable(g).Status).To(Equal(metav1.ConditionTrue))
	}, 15*time.Second, 50*time.Millisecond).Should(Succeed())
}

// grant gives user the rules in namespace, as OLM's Role and RoleBinding would.
func grant(ctx context.Context, g Gomega, k8s client.Client, namespace, user string, rules []rbacv1.PolicyRule) {
	meta := metav1.ObjectMeta{Namespace: namespace, Name: "operator"}
	g.Expect(k8s.Create(ctx, &rbacv1.Role{ObjectMeta: meta, Rules: rules})).To(Succeed())
	g.Expect(k8s.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: meta,
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: meta.Name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}}})).To(Succeed())
}
