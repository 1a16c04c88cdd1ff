// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// Turns go to those in line in order; one that left the line gets none; unused turns are kept
// up to the burst.
func TestProgressTurnsGoInLine(t *testing.T) {
	g := NewWithT(t)
	p := newProgressTurns(1000)
	key := func(i int) types.NamespacedName { return types.NamespacedName{Namespace: "ns", Name: fmt.Sprint(i)} }
	for i := range progressBurst {
		g.Expect(p.take(key(i))).To(BeTrue(), "the burst")
	}
	for i := progressBurst; i < progressBurst+3; i++ {
		g.Expect(p.take(key(i))).To(BeFalse(), "in line")
	}
	g.Expect(p.take(key(progressBurst))).To(BeFalse(), "still in line")
	p.forget(key(progressBurst + 1))

	go func() { _ = p.Start(t.Context()) }()
	var woken []string
	for range 2 {
		select {
		case e := <-p.wake:
			woken = append(woken, e.Object.GetName())
		case <-time.After(5 * time.Second):
			t.Fatal("no turn came")
		}
	}
	g.Expect(woken).To(Equal([]string{key(progressBurst).Name, key(progressBurst + 2).Name}))
	g.Expect(p.take(key(progressBurst))).To(BeTrue(), "its turn")
	g.Eventually(func() int { p.mu.Lock(); defer p.mu.Unlock(); return p.free }).Should(Equal(progressBurst))
}

// Many gateways on their way at once write their progress within the budget, and every one of
// them writes it in the end.
func TestProgressWritesKeepToTheirBudget(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	// envtest runs no Deployment controller: these gateways stay on their way.
	const gateways = 3 * progressBurst
	events, err := k8s.Watch(context.Background(), &gatewayv1alpha1.GatewayDeploymentList{}, client.InNamespace(ns))
	g.Expect(err).NotTo(HaveOccurred())
	defer events.Stop()
	for i := range gateways {
		createGateway(t, ns, fmt.Sprintf("slow-%d", i), nil)
	}
	firstStatus := map[string]time.Time{}
	deadline := time.After(timeout + gateways*time.Second)
	for len(firstStatus) < gateways {
		select {
		case e := <-events.ResultChan():
			gwd, ok := e.Object.(*gatewayv1alpha1.GatewayDeployment)
			if _, seen := firstStatus[gwd.GetName()]; ok && e.Type == watch.Modified && len(gwd.Status.Conditions) > 0 && !seen {
				firstStatus[gwd.Name] = time.Now()
			}
		case <-deadline:
			t.Fatalf("only %d of %d gateways wrote their progress", len(firstStatus), gateways)
		}
	}
	times := slices.SortedFunc(maps.Values(firstStatus), time.Time.Compare)
	// At most the burst at once, then one a second (DefaultProgressWrites); a loaded machine
	// only spaces them more.
	for i := progressBurst + 1; i < len(times); i++ {
		least := time.Duration(i-progressBurst-1) * time.Second * 9 / 10
		g.Expect(times[i].Sub(times[0])).To(BeNumerically(">=", least), "progress write %d came too soon", i)
	}
}
