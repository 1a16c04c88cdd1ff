// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package istio runs Portico against Istio's real control plane (make test-e2e-istio): istiod
// as a host process next to the local kwok cluster, injecting sidecars through its own webhook
// and validating Istio config with its own. The scenarios run in order: Istio arrives while the
// operator runs, and the later ones use it.
package istio

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/istiorev"
	"github.com/portico-dev/portico/test/e2e/harness"
)

var env *harness.Env

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	var err error
	if env, err = harness.Setup("../../..", "e2e-istio"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// Started before Istio is installed: the first scenario installs it.
	operator := env.StartOperator("operator")
	defer operator.Stop()
	defer func() { _, _ = istio("down") }()
	code := m.Run()
	code = env.RBACVerdict(code, "config/rbac")
	if code != 0 {
		fmt.Fprintf(os.Stderr, "operator and istiod logs are under %s and .cluster/clusters/%s/istio\n", env.WorkDir, os.Getenv("CLUSTER_NAME"))
	}
	return code
}

// istio runs hack/istio.sh on this suite's cluster.
func istio(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(env.Root, "hack", "istio.sh"), args...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// gatewayPods are the gateway's pods, read from the API server.
func gatewayPods(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment) []corev1.Pod {
	t.Helper()
	pods := &corev1.PodList{}
	NewWithT(t).Expect(env.K8s.List(context.Background(), pods, client.InNamespace(gwd.Namespace),
		client.MatchingLabels{gatewayv1alpha1.LabelGatewayDeployment: gwd.Name})).To(Succeed())
	return pods.Items
}

// containerNames lists a pod's init containers, then its containers.
func containerNames(pod *corev1.Pod) (init, main []string) {
	for _, c := range pod.Spec.InitContainers {
		init = append(init, c.Name)
	}
	for _, c := range pod.Spec.Containers {
		main = append(main, c.Name)
	}
	return init, main
}

// injected waits until every pod of gwd is ready and runs Istio's proxy, and returns them.
func injected(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment, replicas int) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	NewWithT(t).Eventually(func(g Gomega) {
		pods = gatewayPods(t, gwd)
		g.Expect(pods).To(HaveLen(replicas))
		for i := range pods {
			init, main := containerNames(&pods[i])
			g.Expect(init).To(ContainElement("istio-init"), pods[i].Name)
			g.Expect(main).To(ContainElements("kong", "istio-proxy"), pods[i].Name)
		}
	}, harness.Timeout, harness.Interval).Should(Succeed())
	return pods
}

func meshed(injection gatewayv1alpha1.SidecarInjection, mutate func(*gatewayv1alpha1.MeshSpec)) func(*gatewayv1alpha1.GatewayDeployment) {
	return func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Replicas = ptr.To[int32](2)
		gwd.Spec.Mesh = &gatewayv1alpha1.MeshSpec{SidecarInjection: injection,
			MTLS: &gatewayv1alpha1.MeshMTLS{Mode: gatewayv1alpha1.MTLSModeIstioMutual, UpstreamHosts: []string{"orders.shop.svc.cluster.local"}}}
		if injection == gatewayv1alpha1.SidecarInjectionDisabled {
			gwd.Spec.Mesh.MTLS = nil
		}
		if mutate != nil {
			mutate(gwd.Spec.Mesh)
		}
	}
}

// analyze runs istioctl analyze over a namespace and returns the errors it reports.
func analyze(t *testing.T, ns string) []string {
	t.Helper()
	bin, err := exec.Command(filepath.Join(env.Root, "hack", "testbin.sh"), "istio").Output()
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	out, _ := exec.Command(filepath.Join(strings.TrimSpace(string(bin)), "istioctl"), "analyze",
		"--kubeconfig", os.Getenv("KUBECONFIG"), "-n", ns).CombinedOutput()
	t.Logf("istioctl analyze -n %s:\n%s", ns, out)
	var errs []string
	for line := range strings.SplitSeq(string(out), "\n") {
		if strings.HasPrefix(line, "Error") {
			errs = append(errs, line)
		}
	}
	return errs
}

func TestRealIstio(t *testing.T) {
	g := NewWithT(t)

	// 1. Istio arrives while the operator runs: a gateway waiting for it converges.
	early := env.NewNamespace(t, nil)
	waiting := env.CreateGateway(t, early, "early", meshed(gatewayv1alpha1.SidecarInjectionEnabled, nil))
	env.WaitFor(t, waiting, gatewayv1alpha1.ConditionMeshReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonIstioNotInstalled)
	installStart := time.Now()
	out, err := istio("up")
	g.Expect(err).NotTo(HaveOccurred(), out)
	t.Logf("hack/istio.sh up took %s: %s", time.Since(installStart).Round(100*time.Millisecond), out)
	injected(t, waiting, 2)
	t.Logf("the waiting gateway's pods carried istio-proxy %s after the install began", time.Since(installStart).Round(100*time.Millisecond))
	env.WaitFor(t, waiting, gatewayv1alpha1.ConditionMeshReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonMeshConfigured)
	env.WaitFor(t, waiting, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)

	// 2. Injection Enabled: istio-init and istio-proxy, and the inbound-ports annotation reaches
	// istio-init's iptables arguments: no inbound port is intercepted.
	plain := env.NewNamespace(t, nil)
	enabled := env.CreateGateway(t, plain, "enabled", meshed(gatewayv1alpha1.SidecarInjectionEnabled, nil))
	first := time.Now()
	pods := injected(t, enabled, 2)
	t.Logf("injection Enabled: 2 injected pods %s after the gateway was created", time.Since(first).Round(100*time.Millisecond))
	for _, pod := range pods {
		g.Expect(pod.Annotations).To(HaveKeyWithValue("traffic.sidecar.istio.io/includeInboundPorts", ""))
		for _, c := range pod.Spec.InitContainers {
			if c.Name == "istio-init" {
				g.Expect(strings.Join(c.Args, " ")).To(ContainSubstring("-b  "), "istio-init args: %q", c.Args)
			}
		}
	}
	latest := env.WaitFor(t, enabled, gatewayv1alpha1.ConditionMeshReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonMeshConfigured)
	g.Expect(latest.Status.Mesh.InjectedPods).To(Equal(int32(2)))

	// 3. Inherit in a namespace labelled for injection: injected. 4. Disabled there: not, and
	// status says so.
	labelled := env.NewNamespace(t, map[string]string{"istio-injection": "enabled"})
	inherit := env.CreateGateway(t, labelled, "inherit", meshed(gatewayv1alpha1.SidecarInjectionInherit, nil))
	injected(t, inherit, 2)
	env.WaitFor(t, inherit, gatewayv1alpha1.ConditionMeshReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonMeshConfigured)
	disabled := env.CreateGateway(t, labelled, "disabled", meshed(gatewayv1alpha1.SidecarInjectionDisabled, nil))
	env.WaitReady(t, disabled)
	for _, pod := range gatewayPods(t, disabled) {
		init, main := containerNames(&pod)
		g.Expect(init).NotTo(ContainElement("istio-init"))
		g.Expect(main).To(Equal([]string{"kong"}))
	}
	latest = env.WaitFor(t, disabled, gatewayv1alpha1.ConditionMeshReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonSidecarInjectionDisabled)
	g.Expect(latest.Status.Mesh.InjectedPods).To(BeZero())
	g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionMeshReady).Message).
		To(Equal("Sidecar injection is disabled: 0 of 2 ready pods run istio-proxy."))

	// 5. A revision no istiod serves: not injected, and the condition names the revision.
	canary := env.CreateGateway(t, plain, "canary", meshed(gatewayv1alpha1.SidecarInjectionEnabled,
		func(m *gatewayv1alpha1.MeshSpec) { m.Revision = "canary" }))
	latest = env.WaitFor(t, canary, gatewayv1alpha1.ConditionMeshReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonSidecarNotInjected)
	g.Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionMeshReady).Message).To(ContainSubstring("revision canary"))
	for _, pod := range gatewayPods(t, canary) {
		_, main := containerNames(&pod)
		g.Expect(main).NotTo(ContainElement("istio-proxy"))
	}

	// 5b. A gateway with routes from a configuration and no upstreamHosts: its DestinationRules
	// follow the Services the configuration names, and the sidecar gets them.
	routed := env.NewNamespace(t, nil)
	env.MustKubectl(t, "apply", "-n", routed, "-f", filepath.Join(env.Root, "config/samples/bookinfo/bookinfo.yaml"))
	env.MustKubectl(t, "patch", "-n", routed, "gwd/bookinfo", "--type=merge", "-p",
		`{"spec":{"mesh":{"sidecarInjection":"Enabled","mtls":{"mode":"ISTIO_MUTUAL"}}}}`)
	bookinfo := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: routed, Name: "bookinfo"}}
	injected(t, bookinfo, 2)
	latest = env.WaitFor(t, bookinfo, gatewayv1alpha1.ConditionUpstreamsInMesh, metav1.ConditionTrue, gatewayv1alpha1.ReasonUpstreamsInMesh)
	g.Expect(latest.Status.Mesh.UpstreamHosts).To(Equal([]string{"productpage.bookinfo.svc.cluster.local"}))
	g.Expect(env.MustKubectl(t, "get", "destinationrules", "-n", routed, "-o", "jsonpath={.items[*].spec.host}")).
		To(ContainSubstring("productpage.bookinfo.svc.cluster.local"))
	env.WaitFor(t, bookinfo, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)

	// 5c. Pod Security "restricted" and the classic istio-init (no Istio CNI here): the pods
	// are refused for its capabilities, and the gateway says so, and what to do.
	strict := env.NewNamespace(t, map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	blocked := env.CreateGateway(t, strict, "blocked", meshed(gatewayv1alpha1.SidecarInjectionEnabled, nil))
	latest = env.WaitFor(t, blocked, gatewayv1alpha1.ConditionMeshReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonSidecarBlocked)
	refusal := meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionMeshReady).Message
	t.Logf("MeshReady: %s", refusal)
	g.Expect(refusal).To(And(ContainSubstring("Pod Security admission on namespace "+strict), ContainSubstring("Install Istio CNI"),
		ContainSubstring(`container "istio-init"`)))
	env.WaitFor(t, blocked, gatewayv1alpha1.ConditionReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonSidecarBlocked)

	// 6. istiod's validating webhook admitted everything Portico wrote (it refuses bad config:
	// the control below), and istioctl analyze finds no error in it.
	bad := `{"apiVersion":"networking.istio.io/v1","kind":"DestinationRule","metadata":{"name":"bad","namespace":"` + plain +
		`"},"spec":{"host":"x","subsets":[{"name":"a","labels":{"v":"1"}},{"name":"a","labels":{"v":"2"}}]}}`
	cmd := exec.Command(filepath.Join(env.BinDir, "kubectl"), "create", "-f", "-")
	cmd.Stdin = strings.NewReader(bad)
	refused, err := cmd.CombinedOutput()
	g.Expect(err).To(HaveOccurred())
	g.Expect(string(refused)).To(ContainSubstring("validation.istio.io"))
	for _, ns := range []string{early, plain, labelled, routed} {
		rules := env.MustKubectl(t, "get", "destinationrules,peerauthentications", "-n", ns, "-o", "name")
		g.Expect(rules).To(ContainSubstring("peerauthentication"), ns)
		g.Expect(analyze(t, ns)).To(BeEmpty(), "istioctl analyze -n %s", ns)
	}

	// 7. Istio upgraded through a revision tag: a gateway follows prod-stable, which points at
	// the default revision; a second istiod of revision canary comes, the tag moves to it, and
	// the gateway rolls onto the new sidecar, once.
	out, err = istio("tag", "prod-stable", "default")
	g.Expect(err).NotTo(HaveOccurred(), out)
	upgrade := env.NewNamespace(t, nil)
	following := env.CreateGateway(t, upgrade, "following", meshed(gatewayv1alpha1.SidecarInjectionEnabled,
		func(m *gatewayv1alpha1.MeshSpec) { m.Revision, m.RollOnUpgrade = "prod-stable", true }))
	injectedBy(t, following, 2, "default")
	latest = env.WaitFor(t, following, gatewayv1alpha1.ConditionMeshReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonMeshConfigured)
	g.Expect(latest.Status.Mesh.SidecarRevision).To(Equal("default"))
	env.WaitReady(t, following)
	before := deploymentOf(t, following)
	out, err = istio("revision", "canary")
	g.Expect(err).NotTo(HaveOccurred(), out)
	t.Log(out)
	moved := time.Now()
	out, err = istio("tag", "prod-stable", "canary")
	g.Expect(err).NotTo(HaveOccurred(), out)
	injectedBy(t, following, 2, "canary")
	t.Logf("the gateway's pods ran revision canary's sidecar %s after the tag moved", time.Since(moved).Round(100*time.Millisecond))
	// MeshReady was True before the tag moved too, and a rollout's statuses are folded: wait
	// for the status to say what the pods run.
	g.Eventually(func(g Gomega) {
		latest := &gatewayv1alpha1.GatewayDeployment{}
		g.Expect(env.K8s.Get(context.Background(), client.ObjectKeyFromObject(following), latest)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(latest.Status.Conditions, gatewayv1alpha1.ConditionMeshReady)).To(BeTrue())
		g.Expect(latest.Status.Mesh.RunningRevisions).To(Equal([]string{"canary"}))
	}, time.Minute, time.Second).Should(Succeed())
	env.WaitReady(t, following)
	g.Expect(deploymentOf(t, following).Generation).To(Equal(before.Generation+1), "the gateway rolled more than once")
}

func deploymentOf(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment) *appsv1.Deployment {
	t.Helper()
	d := &appsv1.Deployment{}
	NewWithT(t).Expect(env.K8s.Get(context.Background(), client.ObjectKeyFromObject(gwd), d)).To(Succeed())
	return d
}

// injectedBy waits until gwd has replicas ready pods, each injected by revision, and no other.
func injectedBy(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment, replicas int, revision string) {
	t.Helper()
	NewWithT(t).Eventually(func(g Gomega) {
		var current []string
		for _, pod := range gatewayPods(t, gwd) {
			if pod.DeletionTimestamp == nil {
				current = append(current, istiorev.Running(&pod))
			}
		}
		g.Expect(current).To(HaveLen(replicas))
		g.Expect(current).To(HaveEach(revision))
	}, harness.Timeout, harness.Interval).Should(Succeed())
}
