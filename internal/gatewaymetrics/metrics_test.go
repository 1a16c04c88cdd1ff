// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package gatewaymetrics

import (
	"os"
	"regexp"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// The alerts and the dashboard name only metrics the operator serves.
func TestAlertsAndDashboardNameServedMetrics(t *testing.T) {
	key := types.NamespacedName{Namespace: "shop", Name: "edge"}
	Gateways.Record(key, 2, &gatewayv1alpha1.GatewayDeploymentStatus{
		ReadyReplicas: 2,
		Conditions:    []metav1.Condition{{Type: gatewayv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: gatewayv1alpha1.ReasonReady}},
		TLS:           []gatewayv1alpha1.CertificateStatus{{SecretName: "api-tls", NotAfter: metav1.NewTime(time.Now())}},
	})
	defer Gateways.Forget(key)
	KonnectRequests.WithLabelValues("list_nodes", "success").Add(0)
	ReconcileFailures.WithLabelValues("Unknown").Add(0)
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, f := range families {
		served[f.GetName()] = true
	}
	named := regexp.MustCompile(`portico_[a-z_]+`)
	for _, path := range []string{"../../config/prometheus/alerts.yaml", "../../docs/grafana/portico-dashboard.json"} {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range named.FindAllString(string(raw), -1) {
			if !served[name] {
				t.Errorf("%s names %s, which the operator does not serve", path, name)
			}
		}
	}
}
