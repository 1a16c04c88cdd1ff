// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package alerts

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/promqltest"
)

// portico's metrics, as the operator serves them (internal/gatewaymetrics), and the ones
// controller-runtime and Prometheus give.
var known = map[string]bool{
	"portico_gatewaydeployment_condition":              true,
	"portico_gatewaydeployment_replicas_desired":       true,
	"portico_gatewaydeployment_replicas_ready":         true,
	"portico_certificate_expiry_timestamp_seconds":     true,
	"portico_konnect_api_requests_total":               true,
	"portico_reconcile_failures_total":                 true,
	"controller_runtime_reconcile_total":               true,
	"controller_runtime_reconcile_time_seconds_bucket": true,
	"up": true,
}

// Every query of the dashboard parses, and names only metrics that exist.
func TestDashboardQueries(t *testing.T) {
	raw, err := os.ReadFile("../../docs/grafana/portico-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dashboard struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dashboard); err != nil {
		t.Fatal(err)
	}
	p := parser.NewParser(promqltest.TestParserOpts)
	queries := 0
	for _, panel := range dashboard.Panels {
		for _, target := range panel.Targets {
			queries++
			// Grafana's variables, as Grafana would fill them in.
			expr, err := p.ParseExpr(strings.ReplaceAll(target.Expr, "$namespace", ".*"))
			if err != nil {
				t.Errorf("%s: %q: %v", panel.Title, target.Expr, err)
				continue
			}
			for _, selector := range parser.ExtractSelectors(expr) {
				for _, m := range selector {
					if m.Name == "__name__" && !known[m.Value] {
						t.Errorf("%s: %q names %s, which nothing serves", panel.Title, target.Expr, m.Value)
					}
				}
			}
		}
	}
	if queries == 0 {
		t.Fatal("no queries read")
	}
}
