// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/apply"
	"github.com/portico-dev/portico/internal/status"
)

// DefaultConflictRecheck is how often a gateway whose child's name is taken, or whose
// configuration source is missing or unlabelled, looks again: the cache cannot see the other
// object go, or an unlabelled one come, since it holds only labelled objects.
const DefaultConflictRecheck = 30 * time.Second

// tellConflicts puts the conflicts in obs for status, and in a Warning event each, once: the
// recheck finding the same would otherwise write an event every time while nothing changes.
// (The status cannot tell what was told: the cached copy may not show the last write yet.)
func (r *GatewayDeploymentReconciler) tellConflicts(gwd *gatewayv1alpha1.GatewayDeployment, key types.NamespacedName, conflicts []*apply.Conflict, obs *status.Observed) {
	for _, c := range conflicts {
		obs.Conflicts = append(obs.Conflicts, c.Error())
	}
	told, _ := r.conflictsTold.Swap(key, strings.Join(obs.Conflicts, "\n"))
	for _, c := range conflicts {
		if told == nil || !strings.Contains(told.(string), c.Error()) {
			r.Recorder.Eventf(gwd, c.Object, corev1.EventTypeWarning, gatewayv1alpha1.ReasonChildConflict, "Create", "%s", c.Error())
		}
	}
}
