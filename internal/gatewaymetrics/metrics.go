// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package gatewaymetrics exports what Portico knows of each gateway (its conditions, its
// replicas, its certificates' expiry) and of its own work (Konnect API calls, failed
// reconciles) on the manager's metrics endpoint. The gateways' metrics are what the last
// reconcile of each assessed, kept per gateway and read at scrape time: nothing is computed
// at rest, and a gateway has one series per condition type, never one per pod.
package gatewaymetrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

var (
	conditionDesc = prometheus.NewDesc("portico_gatewaydeployment_condition",
		"A GatewayDeployment's condition: 1 for its current status and reason.",
		[]string{"namespace", "name", "type", "status", "reason"}, nil)
	desiredDesc = prometheus.NewDesc("portico_gatewaydeployment_replicas_desired",
		"The gateway pods a GatewayDeployment should run now (the autoscaler's number when it sets it).",
		[]string{"namespace", "name"}, nil)
	readyDesc = prometheus.NewDesc("portico_gatewaydeployment_replicas_ready",
		"The gateway pods of a GatewayDeployment that pass their readiness probe.",
		[]string{"namespace", "name"}, nil)
	expiryDesc = prometheus.NewDesc("portico_certificate_expiry_timestamp_seconds",
		"When a certificate a gateway uses expires, in seconds since the epoch: purpose konnect (the data planes' client certificate; certificate is Konnect's id of it) or listener (an HTTPS listener's; certificate is its Secret).",
		[]string{"namespace", "name", "purpose", "certificate"}, nil)

	// KonnectRequests counts calls to Konnect's API by operation and outcome.
	KonnectRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portico_konnect_api_requests_total",
		Help: "Calls to Konnect's API, by operation and outcome (success; held: not sent, the control plane failing or rate limiting lately; busy: no free slot; rate_limited, unauthorized, not_found, unavailable, failed).",
	}, []string{"operation", "outcome"})
	// ReconcileFailures counts reconciles that ended in error, by the API's reason for it.
	ReconcileFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portico_reconcile_failures_total",
		Help: "GatewayDeployment reconciles that ended in error, by reason (the Kubernetes API's status reason, or Unknown).",
	}, []string{"reason"})

	// Gateways holds each gateway's last assessed state, for scrapes.
	Gateways = &gateways{byKey: map[types.NamespacedName]snapshot{}}
)

func init() {
	ctrlmetrics.Registry.MustRegister(Gateways, KonnectRequests, ReconcileFailures)
}

type snapshot struct {
	conditions     []condition
	desired, ready int32
	certificates   []certificate
}

type condition struct{ kind, status, reason string }

type certificate struct {
	purpose, name string
	notAfter      time.Time
}

type gateways struct {
	mu    sync.RWMutex
	byKey map[types.NamespacedName]snapshot
}

// Record keeps what a reconcile assessed of the gateway key: desired pods and its status.
func (g *gateways) Record(key types.NamespacedName, desired int32, st *gatewayv1alpha1.GatewayDeploymentStatus) {
	s := snapshot{desired: desired, ready: st.ReadyReplicas}
	for _, c := range st.Conditions {
		s.conditions = append(s.conditions, condition{c.Type, string(c.Status), c.Reason})
	}
	if k := st.Konnect; k != nil && k.CertificateNotAfter != nil {
		s.certificates = append(s.certificates, certificate{"konnect", k.CertificateID, k.CertificateNotAfter.Time})
	}
	for _, c := range st.TLS {
		s.certificates = append(s.certificates, certificate{"listener", c.SecretName, c.NotAfter.Time})
	}
	g.mu.Lock()
	g.byKey[key] = s
	g.mu.Unlock()
}

// Forget drops a gateway that no longer exists.
func (g *gateways) Forget(key types.NamespacedName) {
	g.mu.Lock()
	delete(g.byKey, key)
	g.mu.Unlock()
}

func (g *gateways) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{conditionDesc, desiredDesc, readyDesc, expiryDesc} {
		ch <- d
	}
}

func (g *gateways) Collect(ch chan<- prometheus.Metric) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	for key, s := range g.byKey {
		for _, c := range s.conditions {
			ch <- prometheus.MustNewConstMetric(conditionDesc, prometheus.GaugeValue, 1, key.Namespace, key.Name, c.kind, c.status, c.reason)
		}
		ch <- prometheus.MustNewConstMetric(desiredDesc, prometheus.GaugeValue, float64(s.desired), key.Namespace, key.Name)
		ch <- prometheus.MustNewConstMetric(readyDesc, prometheus.GaugeValue, float64(s.ready), key.Namespace, key.Name)
		for _, c := range s.certificates {
			ch <- prometheus.MustNewConstMetric(expiryDesc, prometheus.GaugeValue, float64(c.notAfter.Unix()), key.Namespace, key.Name, c.purpose, c.name)
		}
	}
}
