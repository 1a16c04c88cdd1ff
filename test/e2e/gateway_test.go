// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"fmt"
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

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/test/e2e/harness"
)

func TestReadyWithPrinterColumns(t *testing.T) {
	g := NewWithT(t)
	ns := env.NewNamespace(t, nil)
	gwd := env.CreateGateway(t, ns, "edge", func(gwd *gatewayv1alpha1.GatewayDeployment) { gwd.Spec.Replicas = ptr.To[int32](2) })
	env.WaitReady(t, gwd)

	svc := &corev1.Service{}
	g.Expect(env.K8s.Get(context.Background(), client.ObjectKeyFromObject(gwd), svc)).To(Succeed())
	out := env.MustKubectl(t, "get", "gwd", "-n", ns, "-o", "wide")
	lines := strings.Split(out, "\n")
	g.Expect(lines).To(HaveLen(2), out)
	g.Expect(strings.Fields(lines[0])).To(Equal([]string{"NAME", "READY", "REPLICAS", "ADDRESS", "AGE", "CONFIG", "MESSAGE"}))
	row := strings.Fields(lines[1])
	g.Expect(row[:4]).To(Equal([]string{"edge", "True", "2/2", svc.Spec.ClusterIP}), out)
	g.Expect(row[5]).To(Equal(gatewayv1alpha1.ReasonDefaultConfig), out)
	g.Expect(strings.Join(row[6:], " ")).To(Equal("2 of 2 replicas ready."))
	g.Expect(env.MustKubectl(t, "get", "gwd", "edge", "-n", ns, "-o", "jsonpath={.status.readyReplicas}")).To(Equal("2"))
}

func TestScaleAndRollingUpdate(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := env.NewNamespace(t, nil)
	gwd := env.CreateGateway(t, ns, "edge", func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Replicas = ptr.To[int32](2)
		// Each new pod must stay ready a moment, so the rollout takes a few status updates.
		gwd.Spec.Rollout.MinReadySeconds = 2
	})
	env.WaitReady(t, gwd)

	env.MustKubectl(t, "scale", "-n", ns, "gwd/edge", "--replicas=3")
	g.Eventually(func() string {
		return env.MustKubectl(t, "get", "gwd", "-n", ns, "edge", "-o", "jsonpath={.status.readySummary} {.status.availableReplicas}")
	}, timeout, interval).Should(Equal("3/3 3"))

	// Watch every status the operator writes during an image change.
	list := &gatewayv1alpha1.GatewayDeploymentList{}
	g.Expect(env.K8s.List(ctx, list, client.InNamespace(ns))).To(Succeed())
	w, err := env.K8s.Watch(ctx, list, client.InNamespace(ns))
	g.Expect(err).NotTo(HaveOccurred())
	defer w.Stop()
	env.MustKubectl(t, "patch", "-n", ns, "gwd/edge", "--type=merge", "-p", `{"spec":{"image":"kong/kong-gateway:3.12"}}`)
	generation := env.Get(t, gwd).Generation

	sawProgressing := false
	deadline := time.After(timeout)
	for done := false; !done; {
		select {
		case ev := <-w.ResultChan():
			obj, ok := ev.Object.(*gatewayv1alpha1.GatewayDeployment)
			if !ok {
				continue
			}
			ready := meta.FindStatusCondition(obj.Status.Conditions, gatewayv1alpha1.ConditionReady)
			g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), "Ready flipped during the rollout: %s: %s", ready.Reason, ready.Message)
			progressing := meta.FindStatusCondition(obj.Status.Conditions, gatewayv1alpha1.ConditionProgressing)
			if progressing.ObservedGeneration != generation {
				continue
			}
			if progressing.Status == metav1.ConditionTrue {
				sawProgressing = true
			}
			done = progressing.Reason == gatewayv1alpha1.ReasonRolloutComplete
		case <-deadline:
			t.Fatal("the rollout did not complete")
		}
	}
	g.Expect(sawProgressing).To(BeTrue(), "Progressing=True was never reported")
	d := &appsv1.Deployment{}
	g.Expect(env.K8s.Get(ctx, client.ObjectKeyFromObject(gwd), d)).To(Succeed())
	g.Expect(d.Spec.Template.Spec.Containers[0].Image).To(Equal("kong/kong-gateway:3.12"))
	env.WaitReady(t, gwd)
}

func TestFailingPodsDegradeAndRecover(t *testing.T) {
	ns := env.NewNamespace(t, nil)
	gwd := env.CreateGateway(t, ns, "crashy", nil)
	env.WaitReady(t, gwd)

	env.MustKubectl(t, "patch", "-n", ns, "gwd/crashy", "--type=merge", "-p", `{"spec":{"pod":{"labels":{"chaos.portico.dev/fail":"crashloop"}}}}`)
	latest := env.WaitFor(t, gwd, gatewayv1alpha1.ConditionDegraded, metav1.ConditionTrue, gatewayv1alpha1.ReasonPodsFailing)
	NewWithT(t).Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionDegraded).Message).To(ContainSubstring("CrashLoopBackOff"))
	env.WaitFor(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonPodsFailing)

	env.MustKubectl(t, "patch", "-n", ns, "gwd/crashy", "--type=json", "-p", `[{"op":"remove","path":"/spec/pod/labels"}]`)
	env.WaitFor(t, gwd, gatewayv1alpha1.ConditionDegraded, metav1.ConditionFalse, gatewayv1alpha1.ReasonAsExpected)
	env.WaitReady(t, gwd)
}

func TestPodsThatNeverBecomeReadyHitTheDeadline(t *testing.T) {
	ns := env.NewNamespace(t, nil)
	gwd := env.CreateGateway(t, ns, "stuck", func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Rollout.ProgressDeadlineSeconds = ptr.To[int32](5)
		gwd.Spec.Pod.Labels = gatewayv1alpha1.LabelMap{"chaos.portico.dev/fail": "unready"}
	})
	latest := env.WaitFor(t, gwd, gatewayv1alpha1.ConditionDegraded, metav1.ConditionTrue, gatewayv1alpha1.ReasonProgressDeadlineExceeded)
	NewWithT(t).Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionFalse))

	env.MustKubectl(t, "patch", "-n", ns, "gwd/stuck", "--type=json", "-p", `[{"op":"remove","path":"/spec/pod/labels"}]`)
	env.WaitReady(t, gwd)
	env.WaitFor(t, gwd, gatewayv1alpha1.ConditionDegraded, metav1.ConditionFalse, gatewayv1alpha1.ReasonAsExpected)
}

func TestDeleteCollectsChildren(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := env.NewNamespace(t, nil)
	gwd := env.CreateGateway(t, ns, "gone", nil)
	env.WaitReady(t, gwd)

	env.MustKubectl(t, "delete", "-n", ns, "gwd/gone", "--wait=true")
	// The cluster's garbage collector removes what Portico owned.
	g.Eventually(func() bool {
		return apierrors.IsNotFound(env.K8s.Get(ctx, client.ObjectKeyFromObject(gwd), &appsv1.Deployment{})) &&
			apierrors.IsNotFound(env.K8s.Get(ctx, client.ObjectKeyFromObject(gwd), &corev1.Service{}))
	}, timeout, interval).Should(BeTrue())
	g.Eventually(func() int {
		pods := &corev1.PodList{}
		g.Expect(env.K8s.List(ctx, pods, client.InNamespace(ns))).To(Succeed())
		return len(pods.Items)
	}, timeout, interval).Should(BeZero())
}

func TestRestrictedNamespaceAdmitsTheGateway(t *testing.T) {
	g := NewWithT(t)
	ns := env.NewNamespace(t, map[string]string{
		"pod-security.kubernetes.io/enforce":         "restricted",
		"pod-security.kubernetes.io/enforce-version": "latest",
	})
	// The control: a pod without the restricted settings is refused here.
	bare := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bare"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	err := env.K8s.Create(context.Background(), bare)
	g.Expect(err).To(HaveOccurred(), "Pod Security admission is not enforcing in this cluster")
	g.Expect(err.Error()).To(ContainSubstring("violates PodSecurity"))

	gwd := env.CreateGateway(t, ns, "secure", func(gwd *gatewayv1alpha1.GatewayDeployment) { gwd.Spec.Replicas = ptr.To[int32](2) })
	env.WaitReady(t, gwd)
}

// A crash in the middle of a large rollout must leave nothing half-done or doubled.
func TestOperatorKilledMidRolloutConverges(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	shared.Stop()
	t.Cleanup(func() { shared = startOperator("shared") })

	ns := env.NewNamespace(t, nil)
	first := startOperator("killed")
	const count = 20
	var gateways []*gatewayv1alpha1.GatewayDeployment
	for i := range count {
		gateways = append(gateways, env.CreateGateway(t, ns, fmt.Sprintf("gw-%02d", i), nil))
	}
	// Kill once some, not all, have their children.
	g.Eventually(func() int {
		list := &appsv1.DeploymentList{}
		g.Expect(env.K8s.List(ctx, list, client.InNamespace(ns))).To(Succeed())
		return len(list.Items)
	}, timeout, 10*time.Millisecond).Should(BeNumerically(">=", 3))
	first.Kill()
	t.Logf("killed the operator with %d of %d Deployments created", countDeployments(t, ns), count)

	second := startOperator("restarted")
	t.Cleanup(second.Stop)
	for _, gwd := range gateways {
		env.WaitReady(t, gwd)
	}
	for _, gwd := range gateways {
		sel := client.MatchingLabels{gatewayv1alpha1.LabelInstance: gwd.Name}
		deployments, services, replicaSets := &appsv1.DeploymentList{}, &corev1.ServiceList{}, &appsv1.ReplicaSetList{}
		g.Expect(env.K8s.List(ctx, deployments, client.InNamespace(ns), sel)).To(Succeed())
		g.Expect(env.K8s.List(ctx, services, client.InNamespace(ns), sel)).To(Succeed())
		g.Expect(env.K8s.List(ctx, replicaSets, client.InNamespace(ns), sel)).To(Succeed())
		g.Expect(deployments.Items).To(HaveLen(1), gwd.Name)
		g.Expect(services.Items).To(HaveLen(1), gwd.Name)
		// One ReplicaSet: the restart did not change the pod template.
		g.Expect(replicaSets.Items).To(HaveLen(1), gwd.Name)
	}
}

func countDeployments(t *testing.T, ns string) int {
	list := &appsv1.DeploymentList{}
	NewWithT(t).Expect(env.K8s.List(context.Background(), list, client.InNamespace(ns))).To(Succeed())
	return len(list.Items)
}

func TestLeaderElectionFailover(t *testing.T) {
	g := NewWithT(t)
	shared.Stop()
	t.Cleanup(func() { shared = startOperator("shared") })

	ns := env.NewNamespace(t, nil)
	const lease = 6 * time.Second
	args := []string{"--leader-elect", "--leader-election-namespace=" + harness.OperatorNamespace,
		"--leader-election-lease-duration=" + lease.String(), "--leader-election-renew-deadline=4s", "--leader-election-retry-period=1s"}
	a, b := startOperator("leader-a", args...), startOperator("leader-b", args...)
	t.Cleanup(a.Stop)
	t.Cleanup(b.Stop)

	before := env.CreateGateway(t, ns, "before", nil)
	env.WaitReady(t, before)
	leader, standby := a, b
	if b.Applied(ns, "before") {
		leader, standby = b, a
	}
	g.Expect(leader.Applied(ns, "before")).To(BeTrue())
	g.Expect(standby.Applied(ns, "before")).To(BeFalse(), "both operators reconciled")

	leader.Kill()
	killed := time.Now()
	after := env.CreateGateway(t, ns, "after", nil)
	env.WaitReady(t, after)
	took := time.Since(killed)
	t.Logf("the standby took over and made a new gateway Ready %s after the leader was killed", took.Round(100*time.Millisecond))
	g.Expect(standby.Applied(ns, "after")).To(BeTrue())
	g.Expect(took).To(BeNumerically("<=", lease+5*time.Second))
}
