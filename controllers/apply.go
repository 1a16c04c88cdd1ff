// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldManager is the one server-side apply field manager Portico writes with.
const FieldManager = "portico"

// removeForeignServicePorts deletes Service ports that Portico did not ask for. Someone who
// edits a port's number creates a new list entry (ports are keyed by port and protocol) owned
// by them; an apply can share but never remove another manager's entry, and the leftover
// would clash with Portico's port of the same name. A JSON patch that only removes grants no
// one ownership, and the resourceVersion test keeps it from acting on a stale read.
func (r *GatewayDeploymentReconciler) removeForeignServicePorts(ctx context.Context, live *corev1.Service, desired *corev1ac.ServiceApplyConfiguration) error {
	type portKey struct {
		port     int32
		protocol corev1.Protocol
	}
	wanted := map[portKey]bool{}
	for _, p := range desired.Spec.Ports {
		wanted[portKey{*p.Port, *p.Protocol}] = true
	}
	ops := []map[string]any{{"op": "test", "path": "/metadata/resourceVersion", "value": live.ResourceVersion}}
	// Remove from the end so earlier indices stay valid.
	for i, p := range slices.Backward(live.Spec.Ports) {

		if !wanted[portKey{p.Port, p.Protocol}] {
			ops = append(ops, map[string]any{"op": "remove", "path": fmt.Sprintf("/spec/ports/%d", i)})
		}
	}
	if len(ops) == 1 || len(ops)-1 == len(live.Spec.Ports) {
		// Nothing foreign, or nothing would be left (a Service needs a port): the apply that
		// follows replaces them.
		return nil
	}
	patch, err := json.Marshal(ops)
	if err != nil {
		return err
	}
	return r.Patch(ctx, live, client.RawPatch(types.JSONPatchType, patch), client.FieldOwner(FieldManager))
}
