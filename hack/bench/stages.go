// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// stages splits each gateway's way to Ready by the API server's own timestamps (whole
// seconds): how long the operator took to create the Deployment, how long the cluster took to
// make it available, and how long the operator took to report Ready after that. It tells an
// operator's delay from a loaded cluster's.
type stages struct {
	toDeployment, toAvailable, toReady []time.Duration
}

func measureStages(c client.Client, withGateways bool) stages {
	ctx := context.Background()
	deployments := &appsv1.DeploymentList{}
	must(c.List(ctx, deployments, client.InNamespace(namespace)), "listing Deployments")
	available := map[string]appsv1.Deployment{}
	var s stages
	for _, d := range deployments.Items {
		for _, cond := range d.Status.Conditions {
			if cond.Type == appsv1.DeploymentAvailable && cond.Status == corev1.ConditionTrue {
				available[d.Name] = d
				s.toAvailable = append(s.toAvailable, cond.LastTransitionTime.Sub(d.CreationTimestamp.Time))
			}
		}
	}
	if !withGateways {
		return s
	}
	gateways := &gatewayv1alpha1.GatewayDeploymentList{}
	must(c.List(ctx, gateways, client.InNamespace(namespace)), "listing GatewayDeployments")
	for _, gw := range gateways.Items {
		d, ok := available[gw.Name]
		if !ok {
			continue
		}
		s.toDeployment = append(s.toDeployment, d.CreationTimestamp.Sub(gw.CreationTimestamp.Time))
		if ready := meta.FindStatusCondition(gw.Status.Conditions, gatewayv1alpha1.ConditionReady); ready != nil {
			for _, cond := range d.Status.Conditions {
				if cond.Type == appsv1.DeploymentAvailable {
					s.toReady = append(s.toReady, ready.LastTransitionTime.Sub(cond.LastTransitionTime.Time))
				}
			}
		}
	}
	return s
}

// spread formats the median, 90th percentile and maximum of ds.
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "–"
	}
	slices.Sort(ds)
	at := func(q float64) float64 { return ds[int(q*float64(len(ds)-1))].Seconds() }
	return fmt.Sprintf("%.0f / %.0f / %.0f s", at(0.5), at(0.9), ds[len(ds)-1].Seconds())
}

func (s stages) String() string {
	var b strings.Builder
	if s.toDeployment != nil {
		fmt.Fprintf(&b, "gateway created → Deployment created %s; ", spread(s.toDeployment))
	}
	fmt.Fprintf(&b, "Deployment created → available %s", spread(s.toAvailable))
	if s.toReady != nil {
		fmt.Fprintf(&b, "; available → gateway Ready %s", spread(s.toReady))
	}
	return b.String()
}
