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
)

const (
	timeout  = 90 * time.Second
	interval = 200 * time.Millisecond
)

func createGateway(t *testing.T, ns, name string, mutate func(*gatewayv1alpha1.GatewayDeployment)) *gatewayv1alpha1.GatewayDeployment {
	t.Helper()
	gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	gwd.Spec.Service.Type = gatewayv1alpha1.ServiceTypeClusterIP
	if mutate != nil {
		mutate(gwd)
	}
	NewWithT(t).Expect(k8s.Create(context.Background(), gwd)).To(Succeed())
	return gwd
}

func get(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment) *gatewayv1alpha1.GatewayDeployment {
	t.Helper()
	latest := &gatewayv1alpha1.GatewayDeployment{}
	NewWithT(t).Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(gwd), latest)).To(Succeed())
	return latest
}

// waitFor waits until gwd's condition has the status and reason, for its current generation.
func waitFor(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment, condType string, status metav1.ConditionStatus, reason string) *gatewayv1alpha1.GatewayDeployment {
	t.Helper()
	var latest *gatewayv1alpha1.GatewayDeployment
	NewWithT(t).Eventually(func(g Gomega) {
		latest = get(t, gwd)
		c := meta.FindStatusCondition(latest.Status.Conditions, condType)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.ObservedGeneration).To(Equal(latest.Generation))
		g.Expect(c.Status).To(Equal(status), "%s: %s", c.Reason, c.Message)
		g.Expect(c.Reason).To(Equal(reason), c.Message)
	}, timeout, interval).Should(Succeed())
	return latest
}

func waitReady(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment) {
	t.Helper()
	mustKubectl(t, "wait", "-n", gwd.Namespace, "--for=condition=Ready", "gwd/"+gwd.Name, "--timeout=90s")
}

func TestReadyWithPrinterColumns(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, nil)
	gwd := createGateway(t, ns, "edge", func(gwd *gatewayv1alpha1.GatewayDeployment) { gwd.Spec.Replicas = ptr.To[int32](2) })
	waitReady(t, gwd)

	svc := &corev1.Service{}
	g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(gwd), svc)).To(Succeed())
	out := mustKubectl(t, "get", "gwd", "-n", ns, "-o", "wide")
	lines := strings.Split(out, "\n")
	g.Expect(lines).To(HaveLen(2), out)
	g.Expect(strings.Fields(lines[0])).To(Equal([]string{"NAME", "READY", "REPLICAS", "ADDRESS", "AGE", "MESSAGE"}))
	row := strings.Fields(lines[1])
	g.Expect(row[:4]).To(Equal([]string{"edge", "True", "2/2", svc.Spec.ClusterIP}), out)
	g.Expect(strings.Join(row[5:], " ")).To(Equal("2 of 2 replicas ready."))
	g.Expect(mustKubectl(t, "get", "gwd", "edge", "-n", ns, "-o", "jsonpath={.status.readyReplicas}")).To(Equal("2"))
}

func TestScaleAndRollingUpdate(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, nil)
	gwd := createGateway(t, ns, "edge", func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Replicas = ptr.To[int32](2)
		// Each new pod must stay ready a moment, so the rollout takes a few status updates.
		gwd.Spec.Rollout.MinReadySeconds = 2
	})
	waitReady(t, gwd)

	mustKubectl(t, "scale", "-n", ns, "gwd/edge", "--replicas=3")
	g.Eventually(func() string {
		return mustKubectl(t, "get", "gwd", "-n", ns, "edge", "-o", "jsonpath={.status.readySummary} {.status.availableReplicas}")
	}, timeout, interval).Should(Equal("3/3 3"))

	// Watch every status the operator writes during an image change.
	list := &gatewayv1alpha1.GatewayDeploymentList{}
	g.Expect(k8s.List(ctx, list, client.InNamespace(ns))).To(Succeed())
	w, err := k8s.Watch(ctx, list, client.InNamespace(ns))
	g.Expect(err).NotTo(HaveOccurred())
	defer w.Stop()
	mustKubectl(t, "patch", "-n", ns, "gwd/edge", "--type=merge", "-p", `{"spec":{"image":"kong/kong-gateway:3.12"}}`)
	generation := get(t, gwd).Generation

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
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), d)).To(Succeed())
	g.Expect(d.Spec.Template.Spec.Containers[0].Image).To(Equal("kong/kong-gateway:3.12"))
	waitReady(t, gwd)
}

func TestFailingPodsDegradeAndRecover(t *testing.T) {
	ns := newNamespace(t, nil)
	gwd := createGateway(t, ns, "crashy", nil)
	waitReady(t, gwd)

	mustKubectl(t, "patch", "-n", ns, "gwd/crashy", "--type=merge", "-p", `{"spec":{"pod":{"labels":{"chaos.portico.dev/fail":"crashloop"}}}}`)
	latest := waitFor(t, gwd, gatewayv1alpha1.ConditionDegraded, metav1.ConditionTrue, gatewayv1alpha1.ReasonPodsFailing)
	NewWithT(t).Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionDegraded).Message).To(ContainSubstring("CrashLoopBackOff"))
	waitFor(t, gwd, gatewayv1alpha1.ConditionReady, metav1.ConditionFalse, gatewayv1alpha1.ReasonPodsFailing)

	mustKubectl(t, "patch", "-n", ns, "gwd/crashy", "--type=json", "-p", `[{"op":"remove","path":"/spec/pod/labels"}]`)
	waitFor(t, gwd, gatewayv1alpha1.ConditionDegraded, metav1.ConditionFalse, gatewayv1alpha1.ReasonAsExpected)
	waitReady(t, gwd)
}

func TestPodsThatNeverBecomeReadyHitTheDeadline(t *testing.T) {
	ns := newNamespace(t, nil)
	gwd := createGateway(t, ns, "stuck", func(gwd *gatewayv1alpha1.GatewayDeployment) {
		gwd.Spec.Rollout.ProgressDeadlineSeconds = ptr.To[int32](5)
		gwd.Spec.Pod.Labels = map[string]string{"chaos.portico.dev/fail": "unready"}
	})
	latest := waitFor(t, gwd, gatewayv1alpha1.ConditionDegraded, metav1.ConditionTrue, gatewayv1alpha1.ReasonProgressDeadlineExceeded)
	NewWithT(t).Expect(meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionFalse))

	mustKubectl(t, "patch", "-n", ns, "gwd/stuck", "--type=json", "-p", `[{"op":"remove","path":"/spec/pod/labels"}]`)
	waitReady(t, gwd)
	waitFor(t, gwd, gatewayv1alpha1.ConditionDegraded, metav1.ConditionFalse, gatewayv1alpha1.ReasonAsExpected)
}

func TestDeleteCollectsChildren(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, nil)
	gwd := createGateway(t, ns, "gone", nil)
	waitReady(t, gwd)

	mustKubectl(t, "delete", "-n", ns, "gwd/gone", "--wait=true")
	// The cluster's garbage collector removes what Portico owned.
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), &appsv1.Deployment{})) &&
			apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKeyFromObject(gwd), &corev1.Service{}))
	}, timeout, interval).Should(BeTrue())
	g.Eventually(func() int {
		pods := &corev1.PodList{}
		g.Expect(k8s.List(ctx, pods, client.InNamespace(ns))).To(Succeed())
		return len(pods.Items)
	}, timeout, interval).Should(BeZero())
}

func TestRestrictedNamespaceAdmitsTheGateway(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, map[string]string{
		"pod-security.kubernetes.io/enforce":         "restricted",
		"pod-security.kubernetes.io/enforce-version": "latest",
	})
	// The control: a pod without the restricted settings is refused here.
	bare := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bare"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	err := k8s.Create(context.Background(), bare)
	g.Expect(err).To(HaveOccurred(), "Pod Security admission is not enforcing in this cluster")
	g.Expect(err.Error()).To(ContainSubstring("violates PodSecurity"))

	gwd := createGateway(t, ns, "secure", func(gwd *gatewayv1alpha1.GatewayDeployment) { gwd.Spec.Replicas = ptr.To[int32](2) })
	waitReady(t, gwd)
}

// A crash in the middle of a large rollout must leave nothing half-done or doubled.
func TestOperatorKilledMidRolloutConverges(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	shared.stop()
	t.Cleanup(func() { shared = startOperator("shared") })

	ns := newNamespace(t, nil)
	first := startOperator("killed")
	const count = 20
	var gateways []*gatewayv1alpha1.GatewayDeployment
	for i := range count {
		gateways = append(gateways, createGateway(t, ns, fmt.Sprintf("gw-%02d", i), nil))
	}
	// Kill once some, not all, have their children.
	g.Eventually(func() int {
		list := &appsv1.DeploymentList{}
		g.Expect(k8s.List(ctx, list, client.InNamespace(ns))).To(Succeed())
		return len(list.Items)
	}, timeout, 10*time.Millisecond).Should(BeNumerically(">=", 3))
	first.kill()
	t.Logf("killed the operator with %d of %d Deployments created", countDeployments(t, ns), count)

	second := startOperator("restarted")
	t.Cleanup(second.stop)
	for _, gwd := range gateways {
		waitReady(t, gwd)
	}
	for _, gwd := range gateways {
		sel := client.MatchingLabels{gatewayv1alpha1.LabelInstance: gwd.Name}
		deployments, services, replicaSets := &appsv1.DeploymentList{}, &corev1.ServiceList{}, &appsv1.ReplicaSetList{}
		g.Expect(k8s.List(ctx, deployments, client.InNamespace(ns), sel)).To(Succeed())
		g.Expect(k8s.List(ctx, services, client.InNamespace(ns), sel)).To(Succeed())
		g.Expect(k8s.List(ctx, replicaSets, client.InNamespace(ns), sel)).To(Succeed())
		g.Expect(deployments.Items).To(HaveLen(1), gwd.Name)
		g.Expect(services.Items).To(HaveLen(1), gwd.Name)
		// One ReplicaSet: the restart did not change the pod template.
		g.Expect(replicaSets.Items).To(HaveLen(1), gwd.Name)
	}
}

func countDeployments(t *testing.T, ns string) int {
	list := &appsv1.DeploymentList{}
	NewWithT(t).Expect(k8s.List(context.Background(), list, client.InNamespace(ns))).To(Succeed())
	return len(list.Items)
}

func TestLeaderElectionFailover(t *testing.T) {
	g := NewWithT(t)
	shared.stop()
	t.Cleanup(func() { shared = startOperator("shared") })

	ns := newNamespace(t, nil)
	const lease = 6 * time.Second
	args := []string{"--leader-elect", "--leader-election-namespace=" + ns,
		"--leader-election-lease-duration=" + lease.String(), "--leader-election-renew-deadline=4s", "--leader-election-retry-period=1s"}
	a, b := startOperator("leader-a", args...), startOperator("leader-b", args...)
	t.Cleanup(a.stop)
	t.Cleanup(b.stop)

	before := createGateway(t, ns, "before", nil)
	waitReady(t, before)
	leader, standby := a, b
	if b.applied(ns, "before") {
		leader, standby = b, a
	}
	g.Expect(leader.applied(ns, "before")).To(BeTrue())
	g.Expect(standby.applied(ns, "before")).To(BeFalse(), "both operators reconciled")

	leader.kill()
	killed := time.Now()
	after := createGateway(t, ns, "after", nil)
	waitReady(t, after)
	took := time.Since(killed)
	t.Logf("the standby took over and made a new gateway Ready %s after the leader was killed", took.Round(100*time.Millisecond))
	g.Expect(standby.applied(ns, "after")).To(BeTrue())
	g.Expect(took).To(BeNumerically("<=", lease+5*time.Second))
}
