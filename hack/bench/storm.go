// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/status"
)

// stormAt is the N at which a Portico run and a bound run end with an update storm (-storm).
var stormAt int

// stormImage is the image every gateway is moved to in the storm.
const stormImage = "kong/kong-gateway:3.12"

// stormFigures are what changing the image of every Ready gateway at once cost.
type stormFigures struct {
	// done is from the first patch until every gateway reported its new generation rolled
	// out and Ready.
	done time.Duration
	// notReady counts the gateways seen, by a watch (every write, not samples), with Ready
	// other than True while they rolled.
	notReady int
	// requests are the operator's, by HTTP method, first patch to done.
	requests map[string]float64
}

// patchImages patches spec.image of the n gateways, parallel at a time, as a user would.
func patchImages(c client.Client, n int, also func(ctx context.Context, name string) error) {
	ctx := context.Background()
	patch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"image":"`+stormImage+`"}}`))
	createAll(n, func(i int) error {
		gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: gateway(i).Name}}
		if err := c.Patch(ctx, gwd, patch); err != nil {
			return err
		}
		if also != nil {
			return also(ctx, gwd.Name)
		}
		return nil
	})
}

// generations holds the generation of each object of list's kind in the bench namespace.
func generations(c client.Client, list client.ObjectList) map[string]int64 {
	must(c.List(context.Background(), list, client.InNamespace(namespace)), "listing")
	items, err := meta.ExtractList(list)
	must(err, "reading the list")
	out := map[string]int64{}
	for _, item := range items {
		obj := item.(client.Object)
		out[obj.GetName()] = obj.GetGeneration()
	}
	return out
}

// rolledOnto tells whether gwd reports a generation after before's rolled out and Ready.
func rolledOnto(before map[string]int64) func(client.Object) bool {
	return func(obj client.Object) bool {
		gwd := obj.(*gatewayv1alpha1.GatewayDeployment)
		ready := meta.FindStatusCondition(gwd.Status.Conditions, gatewayv1alpha1.ConditionReady)
		progressing := meta.FindStatusCondition(gwd.Status.Conditions, gatewayv1alpha1.ConditionProgressing)
		return gwd.Generation > before[gwd.Name] && ready != nil && progressing != nil &&
			ready.Status == metav1.ConditionTrue && ready.ObservedGeneration == gwd.Generation &&
			progressing.Reason == gatewayv1alpha1.ReasonRolloutComplete && progressing.ObservedGeneration == gwd.Generation
	}
}

// measureStorm moves every one of the n Ready gateways Portico runs to a new image at once.
func measureStorm(c client.WithWatch, n int, metricsAddr string) stormFigures {
	var f stormFigures
	before := generations(c, &gatewayv1alpha1.GatewayDeploymentList{})
	requestsBefore := requests(metricsAddr)
	var mu sync.Mutex
	notReady := map[string]bool{}
	rolled := rolledOnto(before)
	start := time.Now()
	wait := waitInBackground(c, n, start, &gatewayv1alpha1.GatewayDeploymentList{}, func(obj client.Object) bool {
		if !meta.IsStatusConditionTrue(obj.(*gatewayv1alpha1.GatewayDeployment).Status.Conditions, gatewayv1alpha1.ConditionReady) {
			mu.Lock()
			notReady[obj.GetName()] = true
			mu.Unlock()
		}
		return rolled(obj)
	})
	patchImages(c, n, nil)
	r, _ := wait()
	f.done = r.total
	f.requests = diff(requests(metricsAddr), requestsBefore)
	f.notReady = len(notReady)
	fmt.Fprintf(os.Stderr, "bench: storm of %d: all rolled out and Ready in %.1f s; %d gateways seen not Ready; requests %v\n",
		n, f.done.Seconds(), f.notReady, f.requests)
	return f
}

// boundStorm is the least any operator could ask for the same storm, with the bench as the
// operator: the user's patch of each gateway, the patch of its Deployment, and one status
// write when the Deployment has rolled out.
func boundStorm(c client.WithWatch, n int) time.Duration {
	ctx := context.Background()
	before := generations(c, &gatewayv1alpha1.GatewayDeploymentList{})
	deploymentGenerations := generations(c, &appsv1.DeploymentList{})
	services := &corev1.ServiceList{}
	must(c.List(ctx, services, client.InNamespace(namespace)), "listing the Services")
	serviceOf := map[string]*corev1.Service{}
	for i := range services.Items {
		serviceOf[services.Items[i].Name] = &services.Items[i]
	}
	start := time.Now()
	rolledOut := make(chan *appsv1.Deployment, n)
	waitDeployments := waitInBackground(c, n, start, &appsv1.DeploymentList{}, func(obj client.Object) bool {
		d := obj.(*appsv1.Deployment)
		ok := d.Generation > deploymentGenerations[d.Name] && status.RolloutComplete(d, *d.Spec.Replicas)
		if ok {
			rolledOut <- d.DeepCopy()
		}
		return ok
	})
	wait := waitInBackground(c, n, start, &gatewayv1alpha1.GatewayDeploymentList{}, rolledOnto(before))
	writers := writeStatuses(c, rolledOut, func(d *appsv1.Deployment) (*gatewayv1alpha1.GatewayDeployment, *corev1.Service) {
		gwd := &gatewayv1alpha1.GatewayDeployment{}
		must(c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: d.Name}, gwd), "reading a gateway")
		return gwd, serviceOf[d.Name]
	})
	imagePatch := client.RawPatch(types.JSONPatchType, []byte(`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"`+stormImage+`"}]`))
	patchImages(c, n, func(ctx context.Context, name string) error {
		return c.Patch(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}, imagePatch)
	})
	r, _ := wait()
	waitDeployments()
	close(rolledOut)
	writers()
	fmt.Fprintf(os.Stderr, "bench: bound storm of %d: %.1f s\n", n, r.total.Seconds())
	return r.total
}
