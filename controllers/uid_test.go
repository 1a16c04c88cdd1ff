// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/render"
	"github.com/portico-dev/portico/internal/testutil"
)

// sccCRD is OpenShift's SecurityContextConstraints CRD, from the openshift/api module.
func sccCRD(t *testing.T) string {
	return testutil.ModuleFile(t, "github.com/openshift/api", "security", "v1", "zz_generated.crd-manifests",
		"0000_03_config-operator_01_securitycontextconstraints.crd.yaml")
}

// uidOf is the UID the gateway's container runs as; -1 when it names none.
func uidOf(d *appsv1.Deployment) int64 {
	return ptr.Deref(d.Spec.Template.Spec.Containers[0].SecurityContext.RunAsUser, -1)
}

// Off OpenShift nothing assigns a UID, and the kubelet refuses Kong's named user under
// runAsNonRoot: the container runs as Kong's UID. Where OpenShift's security context
// constraints arrive, they assign one, and a fixed UID would be refused: none is named. This
// file sorts after the tests that expect a cluster without them; it installs their CRD.
func TestUIDFollowsThePlatform(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	gwd := createGateway(t, ns, "uid", nil)
	chosen := createGateway(t, ns, "chosen", func(gwd *gatewayv1alpha1.GatewayDeployment) { gwd.Spec.Pod.RunAsUser = ptr.To[int64](4242) })
	g.Expect(uidOf(deployment(t, gwd))).To(Equal(render.KongUID))
	g.Expect(uidOf(deployment(t, chosen))).To(Equal(int64(4242)))
	// At rest: only the CRD's arrival can tell the gateways.
	for _, gw := range []*gatewayv1alpha1.GatewayDeployment{gwd, chosen} {
		setDeploymentStatus(t, gw, rolledOut(1))
		condition(t, gw, gatewayv1alpha1.ConditionReady, metav1.ConditionTrue, gatewayv1alpha1.ReasonReady)
	}
	time.Sleep(2 * time.Second)

	installCRDs(t, sccCRD(t))
	g.Eventually(func() int64 { return uidOf(deployment(t, gwd)) }, timeout, interval).Should(Equal(int64(-1)))
	g.Expect(uidOf(deployment(t, chosen))).To(Equal(int64(4242)), "one the spec names stays")
}
