// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package alerts evaluates config/prometheus/alerts.yaml with Prometheus's own rule
// evaluation against recorded series: each alert must fire when its condition has held for
// its "for" and resolve when the condition ends. A module of its own, so that Prometheus's
// dependencies stay out of the operator's.
package alerts

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/promqltest"
	"github.com/prometheus/prometheus/rules"
	"sigs.k8s.io/yaml"
)

// series are what the operator and Prometheus would have recorded, a sample a minute from
// the epoch (promqltest's load notation: "1x15" is 1 for 16 minutes, "_x5" no sample for 6,
// "stale" the marker a scrape leaves when a series disappears, as a condition's old status
// does, "0+1x30" a counter rising by one a minute).
const series = `
load 1m
  portico_gatewaydeployment_condition{namespace="shop",name="edge",type="Ready",status="False",reason="MinimumReplicasUnavailable"} 1x15 stale
  portico_gatewaydeployment_condition{namespace="shop",name="edge",type="Ready",status="True",reason="Ready"} _x15 1x25
  portico_gatewaydeployment_condition{namespace="shop",name="brief",type="Ready",status="False",reason="MinimumReplicasUnavailable"} 1x5 stale
  portico_certificate_expiry_timestamp_seconds{namespace="shop",name="edge",purpose="listener",certificate="api-tls"} 864000x20 7776000x20
  portico_konnect_api_requests_total{operation="list_nodes",outcome="unavailable"} 0+1x30 30x10
  portico_konnect_api_requests_total{operation="list_nodes",outcome="success"} 0x30 1+1x9
  up{job="portico-controller-manager-metrics-service"} 1x10 0x19 1x10
`

// firing says, for each alert and labels, in which minutes it must fire: the others, it
// must not.
var firing = map[string]map[string][2]int{ // alert -> identifying label value -> [from, to] minutes
	// Not Ready from 0 to 15: fires from 10 (its "for"), resolved once Ready at 16. A gateway
	// not Ready for 5 minutes never fires.
	"PorticoGatewayNotReady": {"edge": {10, 15}},
	// 10 days from expiry until renewed at 21: fires from 5 to 20.
	"PorticoCertificateExpiringSoon": {"api-tls": {5, 20}},
	// Only failures from the start (a 10-minute rate needs two samples: from 1), firing 10
	// minutes later; successes from 31 end it.
	"PorticoKonnectUnreachable": {"": {11, 30}},
	// Down from 11 to 30: fires from 16, resolved at 31.
	"PorticoOperatorDown": {"": {16, 30}},
}

func TestAlertsFireAndResolve(t *testing.T) {
	alerts := loadAlerts(t, "../../config/prometheus/alerts.yaml")
	if len(alerts) != len(firing) {
		t.Fatalf("%d alerts in the file, %d with expectations: give each one series and an expectation", len(alerts), len(firing))
	}
	storage := promqltest.LoadedStorage(t, series)
	engine := promqltest.NewTestEngine(t, false, 0, 100000)
	query := rules.EngineQueryFunc(engine, storage)
	for _, rule := range alerts {
		want, ok := firing[rule.Name()]
		if !ok {
			t.Errorf("%s has no expectation", rule.Name())
			continue
		}
		for minute := 0; minute <= 40; minute++ {
			at := time.Unix(0, 0).Add(time.Duration(minute) * time.Minute)
			if _, err := rule.Eval(context.Background(), 0, at, query, nil, 0); err != nil {
				t.Fatalf("%s at %dm: %v", rule.Name(), minute, err)
			}
			fired := map[string]bool{}
			for _, a := range rule.ActiveAlerts() {
				if a.State == rules.StateFiring {
					fired[identity(a.Labels)] = true
				}
			}
			for id, span := range want {
				if expected := minute >= span[0] && minute <= span[1]; fired[id] != expected {
					t.Errorf("%s{%s} at %dm: firing %t, want %t", rule.Name(), id, minute, fired[id], expected)
				}
				delete(fired, id)
			}
			for id := range fired {
				t.Errorf("%s{%s} fired at %dm, unexpected", rule.Name(), id, minute)
			}
		}
	}
}

// identity is the label that tells an alert's instances apart here: the gateway's name or
// the certificate, "" for the operator's own alerts.
func identity(l labels.Labels) string {
	if c := l.Get("certificate"); c != "" {
		return c
	}
	return l.Get("name")
}

// loadAlerts reads the PrometheusRule's groups as Prometheus reads a rule file, which
// validates them, and builds each alerting rule.
func loadAlerts(t *testing.T, path string) []*rules.AlertingRule {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var object struct {
		Kind string         `json:"kind"`
		Spec map[string]any `json:"spec"`
	}
	if err := yaml.Unmarshal(raw, &object); err != nil || object.Kind != "PrometheusRule" {
		t.Fatalf("%s is not a PrometheusRule: %v", path, err)
	}
	groups, err := yaml.Marshal(object.Spec)
	if err != nil {
		t.Fatal(err)
	}
	p := parser.NewParser(promqltest.TestParserOpts)
	parsed, errs := rulefmt.Parse(groups, false, model.UTF8Validation, p, slog.Default())
	if len(errs) > 0 {
		t.Fatalf("the rules do not parse: %v", errs)
	}
	var out []*rules.AlertingRule
	for _, g := range parsed.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			expr, err := p.ParseExpr(r.Expr)
			if err != nil {
				t.Fatalf("%s: %v", r.Alert, err)
			}
			for _, required := range []string{"summary", "description"} {
				if r.Annotations[required] == "" {
					t.Errorf("%s has no %s", r.Alert, required)
				}
			}
			out = append(out, rules.NewAlertingRule(r.Alert, expr, time.Duration(r.For), time.Duration(r.KeepFiringFor),
				labels.FromMap(r.Labels), labels.FromMap(r.Annotations), labels.EmptyLabels(), "", true, slog.Default()))
		}
	}
	return out
}
