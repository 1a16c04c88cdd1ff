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
	"github.com/operator-framework/operator-lib/conditions"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/controller"
	"github.com/portico-dev/portico/internal/testutil"
)

// operatorCondition does what operator-lib's condition does, for an OperatorCondition whose
// name the test knows: operator-lib finds its namespace in a file only a pod has.
type operatorCondition struct {
	client.Client
	key types.NamespacedName
}

func (c operatorCondition) Get(ctx context.Context) (*metav1.Condition, error) {
	oc := &apiv2.OperatorCondition{}
	if err := c.Client.Get(ctx, c.key, oc); err != nil {
		return nil, err
	}
	return meta.FindStatusCondition(oc.Spec.Conditions, string(apiv2.Upgradeable)), nil
}

func (c operatorCondition) Set(ctx context.Context, status metav1.ConditionStatus, opts ...conditions.Option) error {
	oc := &apiv2.OperatorCondition{}
	if err := c.Client.Get(ctx, c.key, oc); err != nil {
		return err
	}
	cond := metav1.Condition{Type: string(apiv2.Upgradeable), Status: status}
	for _, o := range opts {
		o(&cond)
	}
	meta.SetStatusCondition(&oc.Spec.Conditions, cond)
	return c.Client.Update(ctx, oc)
}

func TestWithoutOLMTheReporterIsSkipped(t *testing.T) {
	g := NewWithT(t)
	t.Setenv("OPERATOR_CONDITION_NAME", "")
	_, err := UpgradeableCondition(nil)
	g.Expect(err).To(MatchError(ContainSubstring("OPERATOR_CONDITION_NAME")))
	// Named by OLM but not in a pod (a developer's `make run`): skipped too, not a crash.
	t.Setenv("OPERATOR_CONDITION_NAME", "portico.v0.1.0")
	_, err = UpgradeableCondition(nil)
	g.Expect(err).To(HaveOccurred())
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

	scheme := controller.NewScheme()
	k8s, err := client.New(cfg, client.Options{Scheme: scheme})
	g.Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "portico-system"}}
	g.Expect(k8s.Create(ctx, ns)).To(Succeed())
	key := types.NamespacedName{Namespace: ns.Name, Name: "portico.v0.1.0"}
	g.Expect(k8s.Create(ctx, &apiv2.OperatorCondition{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}})).To(Succeed())

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect((&UpgradeableReporter{Client: mgr.GetClient(), Condition: operatorCondition{k8s, key}}).SetupWithManager(mgr)).To(Succeed())
	go func() { _ = mgr.Start(ctx) }()

	upgradeable := func(g Gomega) *metav1.Condition {
		c, err := operatorCondition{k8s, key}.Get(ctx)
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
