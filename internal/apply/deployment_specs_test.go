// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package apply

import (
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/convert"
	"github.com/portico-dev/portico/internal/render"
)

// TestDeploymentSpecsKeepASpecUntilJudged: a store gives the spec back exactly as the API
// server had it, for its generation only, until it is judged; a judged generation is not
// taken again, a newer one is; a deleted Deployment's entry is dropped.
func TestDeploymentSpecsKeepASpecUntilJudged(t *testing.T) {
	g := NewWithT(t)
	gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: "edge", Name: "gw", UID: "u1"}}
	objs, err := render.Render(render.Inputs{GatewayDeployment: gwd, DefaultImage: "kong:3"})
	g.Expect(err).NotTo(HaveOccurred())
	live, err := convert.To[appsv1.Deployment](objs.Deployment)
	g.Expect(err).NotTo(HaveOccurred())
	live.UID, live.Generation = "d1", 1
	live.Status.ReadyReplicas = 1

	fresh := NewDeploymentSpecs()
	slimmed, err := fresh.Slim(live.DeepCopy())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(slimmed.(*appsv1.Deployment).Spec.Template.Spec.Containers).To(BeEmpty())

	// A store that has not judged it (Portico restarted) keeps it as the cache sees it.
	entry, spec := fresh.Holds(live.UID)
	g.Expect(entry && spec).To(BeTrue())
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
	_, spec = fresh.Holds(live.UID)
	g.Expect(spec).To(BeFalse())
	_, _ = fresh.Slim(live.DeepCopy())
	_, spec = fresh.Holds(live.UID)
	g.Expect(spec).To(BeFalse(), "a judged generation's spec was kept again")
	bumped := live.DeepCopy()
	bumped.Generation++
	_, _ = fresh.Slim(bumped)
	_, spec = fresh.Holds(live.UID)
	g.Expect(spec).To(BeTrue(), "a newer generation's spec was not kept")

	fresh.forget(toolscache.DeletedFinalStateUnknown{Obj: live})
	entry, _ = fresh.Holds(live.UID)
	g.Expect(entry).To(BeFalse())
}
