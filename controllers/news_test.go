// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

// TestChildUpdatesThatAreNews: a Deployment write that moves only a condition's reason or
// time, or a pod write to what the pod cache drops, reconciles nothing; a replica count, a
// reported problem, the generation, a label or a pod's readiness does.
func TestChildUpdatesThatAreNews(t *testing.T) {
	deployment := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "gw", ResourceVersion: "1", Generation: 1, Labels: map[string]string{"a": "b"}},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 1, UpdatedReplicas: 1, Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetCreated"}}},
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "gw-1", ResourceVersion: "1", Labels: map[string]string{"a": "b"}},
		Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{
			{Type: corev1.PodReady, Status: corev1.ConditionFalse}}},
	}
	cases := []struct {
		name   string
		old    client.Object
		change func(client.Object)
		news   bool
	}{
		{"condition reason only", deployment, func(o client.Object) {
			o.(*appsv1.Deployment).Status.Conditions[0].Reason = "ReplicaSetUpdated"
		}, false},
		{"available replicas", deployment, func(o client.Object) { o.(*appsv1.Deployment).Status.AvailableReplicas = 1 }, true},
		{"deadline exceeded", deployment, func(o client.Object) {
			c := &o.(*appsv1.Deployment).Status.Conditions[0]
			c.Status, c.Reason = corev1.ConditionFalse, "ProgressDeadlineExceeded"
		}, true},
		{"generation", deployment, func(o client.Object) { o.SetGeneration(2) }, true},
		{"a label", deployment, func(o client.Object) { o.SetLabels(map[string]string{"a": "c"}) }, true},
		{"pod unchanged in the cache", pod, func(client.Object) {}, false},
		{"pod ready", pod, func(o client.Object) { o.(*corev1.Pod).Status.Conditions[0].Status = corev1.ConditionTrue }, true},
		{"pod deleted", pod, func(o client.Object) { o.SetDeletionTimestamp(&metav1.Time{}) }, true},
	}
	for _, tc := range cases {
		cur := tc.old.DeepCopyObject().(client.Object)
		cur.SetResourceVersion("2")
		tc.change(cur)
		e := event.UpdateEvent{ObjectOld: tc.old, ObjectNew: cur}
		news := deploymentNews.Update(e)
		if _, ok := tc.old.(*corev1.Pod); ok {
			news = podNews.Update(e)
		}
		if news != tc.news {
			t.Errorf("%s: news = %v, want %v", tc.name, news, tc.news)
		}
	}
}
