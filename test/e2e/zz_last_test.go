// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

// This file's name puts it last: go test runs the files in name order, and the test below
// leaves the cluster looking like OpenShift to the operator.

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/testutil"
)

// Last in the suite (see above), as it makes the cluster look like OpenShift to the operator: with the
// security context constraints API served, Portico leaves the UID to the platform, and a
// cluster that then assigns none (no SCC admission here) gets the kubelet's refusal, which
// the gateway's conditions quote. spec.pod.runAsUser fixes it.
func TestZZNamedUserRefusedWhereNoUIDIsAssigned(t *testing.T) {
	g := NewWithT(t)
	ns := env.NewNamespace(t, nil)
	crd := testutil.ModuleFile(t, "github.com/openshift/api", "security", "v1", "zz_generated.crd-manifests",
		"0000_03_config-operator_01_securitycontextconstraints.crd.yaml")
	env.MustKubectl(t, "apply", "--server-side", "-f", crd)
	t.Cleanup(func() { _, _ = env.Kubectl("delete", "-f", crd, "--wait=false") })
	gwd := env.CreateGateway(t, ns, "named", nil)
	latest := env.WaitFor(t, gwd, gatewayv1alpha1.ConditionDegraded, metav1.ConditionTrue, gatewayv1alpha1.ReasonPodsFailing)
	message := meta.FindStatusCondition(latest.Status.Conditions, gatewayv1alpha1.ConditionDegraded).Message
	g.Expect(message).To(ContainSubstring("container kong: CreateContainerConfigError (container has runAsNonRoot and image has non-numeric user (kong), cannot verify user is non-root"))
	g.Expect(strings.Count(message, "CreateContainerConfigError")).To(BeNumerically(">=", 1))

	env.MustKubectl(t, "patch", "-n", ns, "gwd/named", "--type=merge", "-p", `{"spec":{"pod":{"runAsUser":1000}}}`)
	env.WaitReady(t, gwd)
}
