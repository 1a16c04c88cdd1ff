// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package render

import (
	"maps"

	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

const (
	// AppName is the app.kubernetes.io/name of every child: the application they run.
	AppName = "kong-gateway"
	// ComponentConfig is the app.kubernetes.io/component of the checked copies of the
	// gateway's configuration.
	ComponentConfig = "config"
)

// Labels are the labels every child of gwd carries for the given component.
func Labels(gwd *gatewayv1alpha1.GatewayDeployment, component string) map[string]string {
	return map[string]string{
		gatewayv1alpha1.LabelName:              AppName,
		gatewayv1alpha1.LabelInstance:          gwd.Name,
		gatewayv1alpha1.LabelManagedBy:         gatewayv1alpha1.ManagedByValue,
		gatewayv1alpha1.LabelComponent:         component,
		gatewayv1alpha1.LabelGatewayDeployment: gwd.Name,
	}
}

// ownerReference makes gwd the controlling owner, so the garbage collector removes the
// child with it.
func ownerReference(gwd *gatewayv1alpha1.GatewayDeployment) *metav1ac.OwnerReferenceApplyConfiguration {
	return metav1ac.OwnerReference().
		WithAPIVersion(ownerGVK.GroupVersion().String()).
		WithKind(ownerGVK.Kind).
		WithName(gwd.Name).
		WithUID(gwd.UID).
		WithController(true).
		WithBlockOwnerDeletion(true)
}

// mergedLabels returns user's entries with Portico's on top, so Portico's always win. It
// merges annotations the same way.
func mergedLabels(user, own map[string]string) map[string]string {
	out := make(map[string]string, len(user)+len(own))
	maps.Copy(out, user)
	maps.Copy(out, own)
	return out
}
