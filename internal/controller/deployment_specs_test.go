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

// holds tells whether the store has an entry for uid, and whether that entry keeps a spec.
func (s *DeploymentSpecs) holds(uid types.UID) (entry, spec bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	kept, ok := s.byUID[uid]
	return ok, kept.raw != nil
}

// TestCachedDeploymentsKeepTheirSpecAside: the cache holds a gateway's Deployment without
// its pod template; a store gives the spec back exactly as the API server has it, for its
// generation only, until it is judged; the reconciler's store lets go of what it judged; a
// deleted Deployment's entry is dropped.
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
	// Portico wrote it and judged the answer: nothing left to keep.
	entry, spec := store.holds(live.UID)
	g.Expect(entry).To(BeTrue())
	g.Expect(spec).To(BeFalse(), "the reconciler's store still keeps a judged spec")
	_, ok := store.full(cached)
	g.Expect(ok).To(BeFalse())

	// A store that has not judged it (Portico restarted) keeps it as the cache sees it.
	fresh := NewDeploymentSpecs()
	slimmed, err := fresh.slim(live.DeepCopy())
	g.Expect(err).NotTo(HaveOccurred())
	full, ok := fresh.full(slimmed.(*appsv1.Deployment))
	g.Expect(ok).To(BeTrue())
	g.Expect(equality.Semantic.DeepEqual(full.Spec, live.Spec)).To(BeTrue(), "the kept spec differs from the API server's")
	g.Expect(full.Status).To(Equal(live.Status))
	// A newer generation than the one kept is never answered with the old spec.
	newer := slimmed.(*appsv1.Deployment).DeepCopy()
	newer.Generation++
	_, ok = fresh.full(newer)
	g.Expect(ok).To(BeFalse())
	// Judged: let go, and not taken again from the cache at that generation; a newer one is.
	fresh.judged(live)
	_, spec = fresh.holds(live.UID)
	g.Expect(spec).To(BeFalse())
	_, _ = fresh.slim(live.DeepCopy())
	_, spec = fresh.holds(live.UID)
	g.Expect(spec).To(BeFalse(), "a judged generation's spec was kept again")
	bumped := live.DeepCopy()
	bumped.Generation++
	_, _ = fresh.slim(bumped)
	_, spec = fresh.holds(live.UID)
	g.Expect(spec).To(BeTrue(), "a newer generation's spec was not kept")

	// Deleted (Portico makes a new one): the old entry goes.
	g.Expect(k8s.Delete(ctx, live)).To(Succeed())
	g.Eventually(func(g Gomega) {
		entry, _ := store.holds(live.UID)
		g.Expect(entry).To(BeFalse())
		recreated := deployment(t, gwd)
		g.Expect(recreated.UID).NotTo(Equal(live.UID))
		entry, _ = store.holds(recreated.UID)
		g.Expect(entry).To(BeTrue())
	}, timeout, interval).Should(Succeed())
}
