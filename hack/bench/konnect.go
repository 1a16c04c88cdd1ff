// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/konnect/konnecttest"
)

// konnectFigures are what n gateways registered to one control plane, with one token, ask of
// Konnect (the stand-in, internal/konnect/konnecttest) once registered.
type konnectFigures struct {
	n          int
	registered time.Duration // from the first create until every gateway was registered
	interval   time.Duration // the gateways' spec.konnect.pollInterval
	// polls is the nodes polls per interval, over pollWindow intervals: one when the gateways
	// share their control plane's poll, n when each polls apart.
	polls      float64
	violations int // contract violations the stand-in saw
}

const (
	benchKonnectToken = "kpat_portico-bench-0123456789abcdefghijklmnop"
	benchControlPlane = "7f9fd312-a987-4628-b4c5-bb4f4fddd5f7"
	pollWindow        = 6
)

// konnectPolls registers n gateways to one control plane of the Konnect stand-in, run in the
// bench's process, and counts its nodes polls per interval once all are registered.
func konnectPolls(manager string, n int) konnectFigures {
	f := konnectFigures{n: n, interval: 10 * time.Second}
	c, kubeconfig := freshCluster()
	ctx := context.Background()
	installCRD(c)
	srv, err := konnecttest.NewOn("127.0.0.1:0", benchKonnectToken)
	must(err, "starting the Konnect stand-in")
	defer srv.Close()
	srv.AddControlPlane(benchControlPlane, "bench")
	caFile := filepath.Join(os.TempDir(), "portico-bench-konnect-ca.pem")
	must(os.WriteFile(caFile, srv.CertificatePEM(), 0o600), "writing the stand-in's certificate")
	must(c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "konnect-token", Labels: map[string]string{gatewayv1alpha1.LabelKonnect: "token"}},
		StringData: map[string]string{"token": benchKonnectToken},
	}), "creating the token Secret")
	operatorEnv = []string{"SSL_CERT_FILE=" + caFile}
	operator := startOperator(manager, kubeconfig, "konnect", "--konnect-api-hosts=127.0.0.1")
	operatorEnv = nil
	defer operator.stop()

	start := time.Now()
	wait := waitInBackground(c, n, start, &gatewayv1alpha1.GatewayDeploymentList{}, func(obj client.Object) bool {
		return meta.IsStatusConditionTrue(obj.(*gatewayv1alpha1.GatewayDeployment).Status.Conditions, gatewayv1alpha1.ConditionKonnectRegistered)
	})
	createAll(n, func(i int) error {
		gwd := gateway(i)
		gwd.Spec.Konnect = &gatewayv1alpha1.KonnectSpec{ControlPlaneID: benchControlPlane, ServerURL: srv.URL,
			AuthSecretRef: gatewayv1alpha1.SecretKeyRef{Name: "konnect-token", Key: "token"},
			PollInterval:  &metav1.Duration{Duration: f.interval}}
		return c.Create(ctx, gwd)
	})
	r, _ := wait()
	f.registered = r.total
	// Past the catch-up polls of new gateways, then a window of whole intervals.
	time.Sleep(2 * f.interval)
	before := nodesPolls(srv)
	time.Sleep(pollWindow * f.interval)
	f.polls = float64(nodesPolls(srv)-before) / pollWindow
	f.violations = len(srv.Violations())
	fmt.Fprintf(os.Stderr, "bench: %d gateways on one control plane: registered in %.1f s; %.1f nodes polls per %s interval; %d contract violations\n",
		n, f.registered.Seconds(), f.polls, f.interval, f.violations)
	return f
}

func nodesPolls(srv *konnecttest.Server) int {
	polls := 0
	for _, r := range srv.RequestsWith(benchKonnectToken) {
		if r == "GET /v2/control-planes/"+benchControlPlane+"/nodes" {
			polls++
		}
	}
	return polls
}
