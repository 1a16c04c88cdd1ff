// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// CacheOptions keeps the informer cache to what Portico owns: children are selected by the
// managed-by label, so unrelated Deployments and Services never enter memory. watchNamespace
// is a comma-separated list; empty means every namespace.
func CacheOptions(watchNamespace string) cache.Options {
	owned := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{
		gatewayv1alpha1.LabelManagedBy: gatewayv1alpha1.ManagedByValue,
	})}
	pods := owned
	pods.Transform = podStatusOnly
	opts := cache.Options{ByObject: map[client.Object]cache.ByObject{
		&appsv1.Deployment{}: owned,
		&corev1.Service{}:    owned,
		&corev1.Pod{}:        pods,
	}}
	for _, ns := range strings.Split(watchNamespace, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			if opts.DefaultNamespaces == nil {
				opts.DefaultNamespaces = map[string]cache.Config{}
			}
			opts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	return opts
}

// podStatusOnly keeps what status assessment reads of a gateway pod and drops the rest (the
// spec, managed fields, annotations), so that many pods cost little memory.
func podStatusOnly(obj any) (any, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:              pod.Name,
			Namespace:         pod.Namespace,
			UID:               pod.UID,
			ResourceVersion:   pod.ResourceVersion,
			Labels:            pod.Labels,
			DeletionTimestamp: pod.DeletionTimestamp,
		},
		Status: corev1.PodStatus{
			Phase:             pod.Status.Phase,
			Reason:            pod.Status.Reason,
			Message:           pod.Status.Message,
			Conditions:        pod.Status.Conditions,
			ContainerStatuses: pod.Status.ContainerStatuses,
		},
	}, nil
}
