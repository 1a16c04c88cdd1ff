// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestCachedDeploymentsKeepTheirSpecAside: the cache holds a gateway's Deployment without
// its pod template; the reconciler's store lets go of what it judged; a deleted Deployment's
// entry is dropped. (The store's own rules: internal/apply.)
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
	entry, spec := store.Holds(live.UID)
	g.Expect(entry).To(BeTrue())
	g.Expect(spec).To(BeFalse(), "the reconciler's store still keeps a judged spec")

	// Deleted (Portico makes a new one): the old entry goes.
	g.Expect(k8s.Delete(ctx, live)).To(Succeed())
	g.Eventually(func(g Gomega) {
		entry, _ := store.Holds(live.UID)
		g.Expect(entry).To(BeFalse())
		recreated := deployment(t, gwd)
		g.Expect(recreated.UID).NotTo(Equal(live.UID))
		entry, _ = store.Holds(recreated.UID)
		g.Expect(entry).To(BeTrue())
	}, timeout, interval).Should(Succeed())
}
