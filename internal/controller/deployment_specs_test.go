// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func (s *DeploymentSpecs) holds(uid types.UID) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.byUID[uid]
	return ok
}

// TestCachedDeploymentsKeepTheirSpecAside: the cache holds a gateway's Deployment without
// its pod template, the store gives the spec back exactly as the API server has it, and a
// deleted Deployment's spec is dropped.
func TestCachedDeploymentsKeepTheirSpecAside(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	gwd := createGateway(t, ns, "edge", nil)
	store := reconciler.DeploymentSpecs

	live := deployment(t, gwd)
	cached := &appsv1.Deployment{}
	g.Eventually(func(g Gomega) {
		g.Expect(reconciler.Get(ctx, client.ObjectKeyFromObject(gwd), cached)).To(Succeed())
		g.Expect(cached.Generation).To(Equal(live.Generation))
	}, timeout, interval).Should(Succeed())
	g.Expect(cached.Spec.Template.Spec.Containers).To(BeEmpty())
	g.Expect(cached.Spec.Replicas).To(Equal(live.Spec.Replicas))
	g.Expect(cached.ManagedFields).To(BeEmpty())

	full, ok := store.full(cached)
	g.Expect(ok).To(BeTrue())
	g.Expect(equality.Semantic.DeepEqual(full.Spec, live.Spec)).To(BeTrue(), "the kept spec differs from the API server's")
	g.Expect(full.Status).To(Equal(cached.Status))

	// A newer generation than the one kept is never answered with the old spec.
	newer := cached.DeepCopy()
	newer.Generation++
	_, ok = store.full(newer)
	g.Expect(ok).To(BeFalse())

	// Deleted (Portico makes a new one): the old spec goes, the new one is kept.
	g.Expect(k8s.Delete(ctx, live)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(store.holds(live.UID)).To(BeFalse())
		recreated := deployment(t, gwd)
		g.Expect(recreated.UID).NotTo(Equal(live.UID))
		g.Expect(store.holds(recreated.UID)).To(BeTrue())
	}, timeout, interval).Should(Succeed())
}
