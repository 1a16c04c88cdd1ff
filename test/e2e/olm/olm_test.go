// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package olm installs Portico the way its users do, with the real Operator Lifecycle
// Manager (make test-e2e-olm): OLM's operators run next to the local cluster (hack/olm.sh), a
// file-based catalog built from bundle/ is served by opm, and OLM resolves, approves, installs
// and upgrades Portico from it. The operator's pods are stood in for by host processes that
// run with exactly the RBAC OLM creates (standin_test.go).
package olm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	configv1 "github.com/openshift/api/config/v1"
	operatorsv1 "github.com/operator-framework/api/pkg/operators/v1"
	operatorsv1alpha1 "github.com/operator-framework/api/pkg/operators/v1alpha1"
	operatorsv2 "github.com/operator-framework/api/pkg/operators/v2"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/test/e2e/harness"
)

const (
	olmNamespace = "olm" // hack/olm.sh
	catalogName  = "portico-catalog"
	packageName  = "portico"
	channel      = "alpha"
	// The catalog's previous version: the committed bundle regenerated with this version, so
	// that the committed one upgrades from it.
	previousVersion = "0.0.1"
	// How long OLM may take for one install or upgrade step.
	olmTimeout = 3 * time.Minute
)

var (
	env      *harness.Env
	standins *standIns
	// The CSV names in the catalog.
	previousCSV = packageName + ".v" + previousVersion
	currentCSV  string
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	var err error
	if env, err = harness.Connect("../../..", "e2e-olm",
		operatorsv1alpha1.AddToScheme, operatorsv1.AddToScheme, operatorsv2.AddToScheme, configv1.Install); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	opm, err := serveCatalog()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = opm.Process.Kill(); _, _ = opm.Process.Wait() }()
	ctx, cancel := context.WithCancel(context.Background())
	standins = newStandIns(env)
	done := make(chan struct{})
	go func() { standins.run(ctx); close(done) }()
	code := m.Run()
	cancel()
	<-done
	code = env.RBACVerdict(code, "the CSV's RBAC")
	if code != 0 {
		fmt.Fprintf(os.Stderr, "operator logs are under %s; OLM's under .cluster/clusters/%s/olm\n", env.WorkDir, os.Getenv("CLUSTER_NAME"))
	}
	return code
}

// serveCatalog builds a file-based catalog of two versions, the previous one and the committed
// bundle that replaces it, has opm validate and serve it on the host, and points a
// CatalogSource at it: OLM starts no registry pod for a CatalogSource with an address, and
// builds the InstallPlan from the bundles' inline objects, with no unpack Job.
func serveCatalog() (*exec.Cmd, error) {
	opmBin := filepath.Join(os.Getenv("PORTICO_OLM_BIN_DIR"), "opm")
	dir := filepath.Join(env.WorkDir, "catalog")
	previous := filepath.Join(env.WorkDir, "previous", "bundle")
	gen := exec.Command("go", "run", "./hack/bundle", "-version", previousVersion, "-kustomize", filepath.Join(env.Root, "bin", "kustomize"), "-out", previous)
	gen.Dir = env.Root
	if out, err := gen.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("generating the previous bundle: %v\n%s", err, out)
	}
	var rendered []string
	for _, bundle := range []string{previous, filepath.Join(env.Root, "bundle")} {
		out, err := exec.Command(opmBin, "render", bundle, "-o", "yaml").Output()
		if err != nil {
			return nil, fmt.Errorf("opm render %s: %w", bundle, err)
		}
		rendered = append(rendered, string(out))
	}
	current := struct {
		Name string `json:"name"`
	}{}
	if err := yaml.Unmarshal([]byte(strings.TrimPrefix(rendered[1], "---\n")), &current); err != nil || current.Name == "" {
		return nil, fmt.Errorf("reading the current bundle's name from opm's rendering: %v", err)
	}
	currentCSV = current.Name
	header := fmt.Sprintf(`---
schema: olm.package
name: %[1]s
defaultChannel: %[2]s
---
schema: olm.channel
package: %[1]s
name: %[2]s
entries:
- name: %[3]s
- name: %[4]s
  replaces: %[3]s
`, packageName, channel, previousCSV, currentCSV)
	if err := os.MkdirAll(filepath.Join(dir, packageName), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, packageName, "catalog.yaml"), []byte(header+strings.Join(rendered, "")), 0o644); err != nil {
		return nil, err
	}
	if out, err := exec.Command(opmBin, "validate", dir).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("opm validate: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(env.WorkDir, "opm.log"))
	if err != nil {
		return nil, err
	}
	opm := exec.Command(opmBin, "serve", dir, "-p", fmt.Sprint(port), "--pprof-addr", "127.0.0.1:0", "-t", os.DevNull)
	opm.Stdout, opm.Stderr = log, log
	if err := opm.Start(); err != nil {
		return nil, err
	}
	source := &operatorsv1alpha1.CatalogSource{ObjectMeta: metav1.ObjectMeta{Namespace: olmNamespace, Name: catalogName},
		Spec: operatorsv1alpha1.CatalogSourceSpec{SourceType: operatorsv1alpha1.SourceTypeGrpc, Address: fmt.Sprintf("127.0.0.1:%d", port), DisplayName: "Portico"}}
	ctx := context.Background()
	_ = env.K8s.Delete(ctx, source)
	if err := env.K8s.Create(ctx, source); err != nil {
		return opm, err
	}
	for deadline := time.Now().Add(olmTimeout); ; time.Sleep(harness.Interval) {
		if err := env.K8s.Get(ctx, client.ObjectKeyFromObject(source), source); err == nil &&
			source.Status.GRPCConnectionState != nil && source.Status.GRPCConnectionState.LastObservedState == "READY" {
			return opm, nil
		}
		if time.Now().After(deadline) {
			return opm, fmt.Errorf("CatalogSource %s never became READY: %+v", catalogName, source.Status.GRPCConnectionState)
		}
	}
}

// install subscribes namespace to Portico with an OperatorGroup targeting targets (none:
// AllNamespaces), approves the InstallPlan for startingCSV, and waits for that CSV to succeed.
func install(t *testing.T, namespace string, targets []string, startingCSV string) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	for _, ns := range append([]string{namespace}, targets...) {
		if err := env.K8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	g.Expect(env.K8s.Create(ctx, &operatorsv1.OperatorGroup{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "portico"},
		Spec: operatorsv1.OperatorGroupSpec{TargetNamespaces: targets}})).To(Succeed())
	g.Expect(env.K8s.Create(ctx, &operatorsv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: packageName},
		Spec: &operatorsv1alpha1.SubscriptionSpec{CatalogSource: catalogName, CatalogSourceNamespace: olmNamespace, Package: packageName,
			Channel: channel, InstallPlanApproval: operatorsv1alpha1.ApprovalManual, StartingCSV: startingCSV}})).To(Succeed())
	approve(t, namespace, startingCSV)
	waitCSV(t, namespace, startingCSV, operatorsv1alpha1.CSVPhaseSucceeded, "")
}

// approve approves the InstallPlan that installs csv and waits for it to complete.
func approve(t *testing.T, namespace, csv string) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	plan := &operatorsv1alpha1.InstallPlan{}
	g.Eventually(func(g Gomega) {
		plans := &operatorsv1alpha1.InstallPlanList{}
		g.Expect(env.K8s.List(ctx, plans, client.InNamespace(namespace))).To(Succeed())
		found := false
		for i := range plans.Items {
			if slices.Contains(plans.Items[i].Spec.ClusterServiceVersionNames, csv) {
				plan, found = &plans.Items[i], true
			}
		}
		g.Expect(found).To(BeTrue(), "no InstallPlan for %s", csv)
		g.Expect(plan.Status.Phase).To(Equal(operatorsv1alpha1.InstallPlanPhaseRequiresApproval))
	}, olmTimeout, harness.Interval).Should(Succeed())
	patch := client.MergeFrom(plan.DeepCopy())
	plan.Spec.Approved = true
	g.Expect(env.K8s.Patch(ctx, plan, patch)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(env.K8s.Get(ctx, client.ObjectKeyFromObject(plan), plan)).To(Succeed())
		g.Expect(plan.Status.Phase).To(Equal(operatorsv1alpha1.InstallPlanPhaseComplete), "%v", plan.Status.Conditions)
	}, olmTimeout, harness.Interval).Should(Succeed())
}

// waitCSV waits for the CSV's phase (and reason, when given).
func waitCSV(t *testing.T, namespace, name string, phase operatorsv1alpha1.ClusterServiceVersionPhase, reason operatorsv1alpha1.ConditionReason) *operatorsv1alpha1.ClusterServiceVersion {
	t.Helper()
	csv := &operatorsv1alpha1.ClusterServiceVersion{}
	NewWithT(t).Eventually(func(g Gomega) {
		g.Expect(env.K8s.Get(context.Background(), types.NamespacedName{Namespace: namespace, Name: name}, csv)).To(Succeed())
		g.Expect(csv.Status.Phase).To(Equal(phase), "%s: %s", csv.Status.Reason, csv.Status.Message)
		if reason != "" {
			g.Expect(csv.Status.Reason).To(Equal(reason), csv.Status.Message)
		}
	}, olmTimeout, harness.Interval).Should(Succeed())
	return csv
}

// uninstall removes the Subscription, the CSVs and the OperatorGroup, and waits for the
// operator's pods to be gone (their stand-ins stop with them).
func uninstall(t *testing.T, namespace string) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	standins.retire(namespace)
	g.Expect(client.IgnoreNotFound(env.K8s.Delete(ctx, &operatorsv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: packageName}}))).To(Succeed())
	g.Expect(env.K8s.DeleteAllOf(ctx, &operatorsv1alpha1.ClusterServiceVersion{}, client.InNamespace(namespace))).To(Succeed())
	g.Expect(client.IgnoreNotFound(env.K8s.Delete(ctx, &operatorsv1.OperatorGroup{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "portico"}}))).To(Succeed())
	g.Eventually(func(g Gomega) {
		pods := &corev1.PodList{}
		g.Expect(env.K8s.List(ctx, pods, operatorPodLabels, client.InNamespace(namespace))).To(Succeed())
		g.Expect(pods.Items).To(BeEmpty())
		deployments := &appsv1.DeploymentList{}
		g.Expect(env.K8s.List(ctx, deployments, client.InNamespace(namespace))).To(Succeed())
		g.Expect(deployments.Items).To(BeEmpty())
	}, olmTimeout, harness.Interval).Should(Succeed())
}

// rolesOwnedBy lists the Roles OLM made in namespace for csv's permissions.
func rolesOwnedBy(t *testing.T, namespace, csv string) []rbacv1.Role {
	t.Helper()
	roles := &rbacv1.RoleList{}
	NewWithT(t).Expect(env.K8s.List(context.Background(), roles, client.InNamespace(namespace), client.MatchingLabels{"olm.owner": csv})).To(Succeed())
	return roles.Items
}

// grants tells whether rules allow verb on resource (core group).
func grants(rules []rbacv1.PolicyRule, verb, resource string) bool {
	for _, r := range rules {
		if slices.Contains(r.APIGroups, "") && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) {
			return true
		}
	}
	return false
}

// canI asks the API server whether the operator's ServiceAccount may verb resource in
// namespace ("" for every namespace at once), as `kubectl auth can-i` does.
func canI(t *testing.T, operatorNamespace, verb, resource, namespace string) bool {
	t.Helper()
	args := []string{"auth", "can-i", verb, resource, "--as=system:serviceaccount:" + operatorNamespace + ":portico-controller-manager"}
	if namespace == "" {
		args = append(args, "--all-namespaces")
	} else {
		args = append(args, "-n", namespace)
	}
	out, _ := env.Kubectl(args...)
	return strings.TrimSpace(out) == "yes"
}

// upgradeable reads the Upgradeable condition the operator wrote into its OperatorCondition.
func upgradeable(g Gomega, namespace, csv string) *metav1.Condition {
	oc := &operatorsv2.OperatorCondition{}
	g.Expect(env.K8s.Get(context.Background(), types.NamespacedName{Namespace: namespace, Name: csv}, oc)).To(Succeed())
	c := meta.FindStatusCondition(oc.Spec.Conditions, operatorsv2.Upgradeable)
	g.Expect(c).NotTo(BeNil(), "the operator has not written Upgradeable")
	return c
}

// replicaSets counts the ReplicaSets of Portico's gateways in namespace: a roll makes one.
func replicaSets(g Gomega, namespace string) int {
	list := &appsv1.ReplicaSetList{}
	g.Expect(env.K8s.List(context.Background(), list, client.InNamespace(namespace),
		client.MatchingLabels{gatewayv1alpha1.LabelManagedBy: gatewayv1alpha1.ManagedByValue})).To(Succeed())
	return len(list.Items)
}

// TestMultiNamespaceInstallAndUpgrade installs the previous version into a MultiNamespace
// OperatorGroup, checks what OLM granted and where the operator acts, then upgrades to the
// committed bundle across a rollout that holds the upgrade back.
func TestMultiNamespaceInstallAndUpgrade(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	const ns = "portico-operators"
	targets := []string{"team-a", "team-b"}
	const outside = "team-c"
	g.Expect(client.IgnoreAlreadyExists(env.K8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: outside}}))).To(Succeed())

	start := time.Now()
	install(t, ns, targets, previousCSV)
	t.Logf("installed %s (MultiNamespace) in %s", previousCSV, time.Since(start).Round(time.Second))

	// 1. What OLM installed: the CRD, the Deployment with OLM's env and annotations, the
	// OperatorCondition.
	g.Expect(env.WaitEstablished("gatewaydeployments.gateway.portico.dev")).To(Succeed())
	deployment := &appsv1.Deployment{}
	g.Expect(env.K8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "portico-controller-manager"}, deployment)).To(Succeed())
	g.Expect(deployment.Spec.Template.Annotations).To(HaveKeyWithValue("olm.targetNamespaces", "team-a,team-b"))
	g.Expect(deployment.Spec.Template.Spec.Containers[0].Env).To(ContainElement(corev1.EnvVar{Name: "OPERATOR_CONDITION_NAME", Value: previousCSV}))
	g.Expect(env.K8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: previousCSV}, &operatorsv2.OperatorCondition{})).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(upgradeable(g, ns, previousCSV).Status).To(Equal(metav1.ConditionTrue))
	}, harness.Timeout, harness.Interval).Should(Succeed())

	// 2. The CSV's permissions became Roles in the targets, not in the third namespace; the
	// operator acts in the targets only, and may not read Secrets elsewhere.
	for _, target := range targets {
		roles := rolesOwnedBy(t, target, previousCSV)
		g.Expect(roles).NotTo(BeEmpty(), "no Role from the CSV's permissions in %s", target)
		g.Expect(grants(roles[0].Rules, "list", "secrets")).To(BeTrue())
		g.Expect(canI(t, ns, "list", "secrets", target)).To(BeTrue())
	}
	g.Expect(rolesOwnedBy(t, outside, previousCSV)).To(BeEmpty())
	g.Expect(canI(t, ns, "list", "secrets", outside)).To(BeFalse())
	g.Expect(canI(t, ns, "list", "secrets", "")).To(BeFalse())
	g.Expect(canI(t, ns, "create", "deployments", outside)).To(BeFalse())

	edge := env.CreateGateway(t, "team-a", "edge", nil)
	env.WaitReady(t, edge)
	other := env.CreateGateway(t, "team-b", "other", nil)
	env.WaitReady(t, other)
	ignored := env.CreateGateway(t, outside, "ignored", nil)
	g.Consistently(func(g Gomega) {
		latest := env.Get(t, ignored)
		g.Expect(latest.Status.Conditions).To(BeEmpty())
		err := env.K8s.Get(ctx, client.ObjectKeyFromObject(ignored), &appsv1.Deployment{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue())
	}, 3*time.Second, harness.Interval).Should(Succeed())

	// 3. The upgrade waits for a rollout: while edge rolls onto pods that never become ready,
	// the operator reports Upgradeable=False and OLM holds the next version Pending.
	rolling := env.Get(t, edge)
	rolling.Spec.Pod.Labels = gatewayv1alpha1.LabelMap{"chaos.portico.dev/fail": "unready"}
	g.Expect(env.K8s.Update(ctx, rolling)).To(Succeed())
	env.WaitFor(t, edge, gatewayv1alpha1.ConditionProgressing, metav1.ConditionTrue, gatewayv1alpha1.ReasonRollingOut)
	g.Eventually(func(g Gomega) {
		c := upgradeable(g, ns, previousCSV)
		g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(c.Message).To(ContainSubstring("team-a/edge"))
	}, harness.Timeout, harness.Interval).Should(Succeed())

	start = time.Now()
	approve(t, ns, currentCSV)
	waitCSV(t, ns, currentCSV, operatorsv1alpha1.CSVPhasePending, operatorsv1alpha1.CSVReasonOperatorConditionNotUpgradeable)
	g.Consistently(func(g Gomega) {
		waitCSV(t, ns, currentCSV, operatorsv1alpha1.CSVPhasePending, operatorsv1alpha1.CSVReasonOperatorConditionNotUpgradeable)
	}, 3*time.Second, harness.Interval).Should(Succeed())

	// The rollout ends (the gateway goes back to its ready pods): the upgrade proceeds.
	rolling = env.Get(t, edge)
	rolling.Spec.Pod.Labels = nil
	g.Expect(env.K8s.Update(ctx, rolling)).To(Succeed())
	env.WaitFor(t, edge, gatewayv1alpha1.ConditionProgressing, metav1.ConditionFalse, gatewayv1alpha1.ReasonRolloutComplete)
	before := map[string]int{"team-a": replicaSets(g, "team-a"), "team-b": replicaSets(g, "team-b")}
	waitCSV(t, ns, currentCSV, operatorsv1alpha1.CSVPhaseSucceeded, "")
	g.Eventually(func() bool {
		err := env.K8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: previousCSV}, &operatorsv1alpha1.ClusterServiceVersion{})
		return apierrors.IsNotFound(err)
	}, olmTimeout, harness.Interval).Should(BeTrue(), "the replaced CSV is still there")
	t.Logf("upgraded %s -> %s in %s after the rollout ended", previousCSV, currentCSV, time.Since(start).Round(time.Second))

	// The new operator took over its gateways without rolling them.
	g.Eventually(func(g Gomega) {
		g.Expect(upgradeable(g, ns, currentCSV).Status).To(Equal(metav1.ConditionTrue))
	}, harness.Timeout, harness.Interval).Should(Succeed())
	env.WaitReady(t, edge)
	env.WaitReady(t, other)
	g.Consistently(func(g Gomega) {
		g.Expect(replicaSets(g, "team-a")).To(Equal(before["team-a"]))
		g.Expect(replicaSets(g, "team-b")).To(Equal(before["team-b"]))
	}, 5*time.Second, harness.Interval).Should(Succeed())

	for _, gwd := range []*gatewayv1alpha1.GatewayDeployment{edge, other, ignored} {
		g.Expect(env.K8s.Delete(ctx, gwd)).To(Succeed())
	}
	uninstall(t, ns)
}

// TestOtherInstallModes installs the committed bundle in each remaining install mode and
// brings a gateway to Ready with the RBAC OLM made for that mode.
func TestOtherInstallModes(t *testing.T) {
	for _, mode := range []struct {
		name      string
		namespace string
		targets   []string // nil: AllNamespaces
		gatewayNS string
	}{
		{"OwnNamespace", "portico-own", []string{"portico-own"}, "portico-own"},
		{"SingleNamespace", "portico-single", []string{"team-single"}, "team-single"},
		{"AllNamespaces", "portico-all", nil, "team-any"},
	} {
		t.Run(mode.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx := context.Background()
			g.Expect(client.IgnoreAlreadyExists(env.K8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: mode.gatewayNS}}))).To(Succeed())
			start := time.Now()
			install(t, mode.namespace, mode.targets, currentCSV)
			t.Logf("installed %s (%s) in %s", currentCSV, mode.name, time.Since(start).Round(time.Second))

			if mode.targets == nil {
				// AllNamespaces: OLM makes the permissions a ClusterRole.
				roles := &rbacv1.ClusterRoleList{}
				g.Expect(env.K8s.List(ctx, roles, client.MatchingLabels{"olm.owner": currentCSV, "olm.owner.namespace": mode.namespace})).To(Succeed())
				found := false
				for _, r := range roles.Items {
					found = found || grants(r.Rules, "list", "secrets")
				}
				g.Expect(found).To(BeTrue(), "no ClusterRole from the CSV's permissions")
				g.Expect(canI(t, mode.namespace, "list", "secrets", "")).To(BeTrue())
			} else {
				g.Expect(rolesOwnedBy(t, mode.gatewayNS, currentCSV)).NotTo(BeEmpty())
				g.Expect(canI(t, mode.namespace, "list", "secrets", "")).To(BeFalse())
				g.Expect(canI(t, mode.namespace, "list", "secrets", "default")).To(BeFalse())
			}
			g.Expect(canI(t, mode.namespace, "list", "secrets", mode.gatewayNS)).To(BeTrue())

			gwd := env.CreateGateway(t, mode.gatewayNS, "edge", nil)
			env.WaitReady(t, gwd)
			// Routes from a ConfigMap and from a Secret: the rules for configurations, and
			// the cache of configuration Secrets, under the permissions OLM made.
			routed := routedGateways(t, mode.gatewayNS)
			g.Expect(env.K8s.Delete(ctx, gwd)).To(Succeed())
			for _, r := range routed {
				g.Expect(env.K8s.Delete(ctx, r)).To(Succeed())
			}
			uninstall(t, mode.namespace)
		})
	}
}

// routedGateways makes two gateways with routes, one from a ConfigMap and one from a Secret,
// and waits for both to load them.
func routedGateways(t *testing.T, ns string) []*gatewayv1alpha1.GatewayDeployment {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	const routes = `{"_format_version":"3.0","services":[{"name":"a","host":"a","routes":[{"name":"a","paths":["/a"]}]}]}`
	labels := map[string]string{gatewayv1alpha1.LabelConfig: gatewayv1alpha1.ConfigSourceValue}
	g.Expect(env.K8s.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "routes", Labels: labels},
		Data: map[string]string{"kong.yml": routes}})).To(Succeed())
	g.Expect(env.K8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "routes", Labels: labels},
		Data: map[string][]byte{"kong.yml": []byte(routes)}})).To(Succeed())
	fromConfigMap := env.CreateGateway(t, ns, "from-configmap", func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Config = &gatewayv1alpha1.ConfigSource{ConfigMapKeyRef: &gatewayv1alpha1.ConfigKeyRef{Name: "routes", Key: "kong.yml"}}
	})
	fromSecret := env.CreateGateway(t, ns, "from-secret", func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Config = &gatewayv1alpha1.ConfigSource{SecretKeyRef: &gatewayv1alpha1.ConfigKeyRef{Name: "routes", Key: "kong.yml"}}
	})
	for _, gwd := range []*gatewayv1alpha1.GatewayDeployment{fromConfigMap, fromSecret} {
		env.WaitFor(t, gwd, gatewayv1alpha1.ConditionConfigValid, metav1.ConditionTrue, gatewayv1alpha1.ReasonConfigAccepted)
		env.WaitReady(t, gwd)
	}
	return []*gatewayv1alpha1.GatewayDeployment{fromConfigMap, fromSecret}
}

// TestClusterProxyReachesGateways sets OpenShift's cluster Proxy: OLM injects it into the
// operator's Deployment (the CSV claims proxy-aware), and Portico passes it on to the gateway
// pods.
func TestClusterProxyReachesGateways(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	want := []corev1.EnvVar{
		{Name: "HTTP_PROXY", Value: "http://proxy.example.com:3128"},
		{Name: "HTTPS_PROXY", Value: "http://proxy.example.com:3129"},
		{Name: "NO_PROXY", Value: ".cluster.local,.svc,10.0.0.0/8"},
	}
	proxy := &configv1.Proxy{ObjectMeta: metav1.ObjectMeta{Name: "cluster"},
		Spec: configv1.ProxySpec{HTTPProxy: want[0].Value, HTTPSProxy: want[1].Value, NoProxy: want[2].Value}}
	g.Expect(env.K8s.Create(ctx, proxy)).To(Succeed())
	defer func() { _ = env.K8s.Delete(ctx, proxy) }()
	// OpenShift's network operator publishes the proxy in the status; OLM reads it there.
	proxy.Status = configv1.ProxyStatus{HTTPProxy: want[0].Value, HTTPSProxy: want[1].Value, NoProxy: want[2].Value}
	g.Expect(env.K8s.Status().Update(ctx, proxy)).To(Succeed())

	const ns = "portico-proxy"
	install(t, ns, []string{ns}, currentCSV)
	deployment := &appsv1.Deployment{}
	g.Expect(env.K8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "portico-controller-manager"}, deployment)).To(Succeed())
	g.Expect(deployment.Spec.Template.Spec.Containers[0].Env).To(ContainElements(want), "OLM did not inject the cluster proxy")

	gwd := env.CreateGateway(t, ns, "edge", nil)
	env.WaitReady(t, gwd)
	gateway := &appsv1.Deployment{}
	g.Expect(env.K8s.Get(ctx, client.ObjectKeyFromObject(gwd), gateway)).To(Succeed())
	g.Expect(gateway.Spec.Template.Spec.Containers[0].Env).To(ContainElements(want), "the gateway pods did not get the cluster proxy")
	g.Expect(env.K8s.Delete(ctx, gwd)).To(Succeed())
	uninstall(t, ns)
}
