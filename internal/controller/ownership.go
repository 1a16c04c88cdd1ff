// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/status"
)

// DefaultConflictRecheck is how often a gateway whose child's name is taken, or whose
// configuration source is missing or unlabelled, looks again: the cache cannot see the other
// object go, or an unlabelled one come, since it holds only labelled objects.
const DefaultConflictRecheck = 30 * time.Second

// childConflict is a child Portico would create whose name an object it does not control
// already has. Portico leaves that object alone and says so.
type childConflict struct {
	kind, name, owner string
	// object is the other object, which the event names as related.
	object client.Object
}

func (c *childConflict) Error() string {
	return fmt.Sprintf("%s %s exists and is not this gateway's (%s): Portico leaves it as it is. Delete or rename it, or give the gateway another name.",
		c.kind, c.name, c.owner)
}

// conflictWith describes obj, which holds the name of a child of kind, by whoever owns it.
func conflictWith(kind string, obj client.Object) *childConflict {
	owner := "no controller"
	if ref := metav1.GetControllerOfNoCopy(obj); ref != nil {
		owner = "controlled by " + ref.Kind + " " + ref.Name
	} else if managers := fieldManagers(obj); len(managers) > 0 {
		owner = "written by " + strings.Join(managers, ", ")
	}
	return &childConflict{kind: kind, name: obj.GetName(), owner: owner, object: obj}
}

// fieldManagers names who wrote obj, in a stable order.
func fieldManagers(obj metav1.Object) []string {
	var names []string
	for _, m := range obj.GetManagedFields() {
		if m.Manager != "" && !slices.Contains(names, m.Manager) {
			names = append(names, m.Manager)
		}
	}
	slices.Sort(names)
	return names
}

// existing reads, around the cache, the metadata of the object of like's kind at key; nil
// when there is none.
func (r *GatewayDeploymentReconciler) existing(ctx context.Context, key types.NamespacedName, like client.Object) (*metav1.PartialObjectMetadata, error) {
	gvk, err := apiutil.GVKForObject(like, r.scheme)
	if err != nil {
		return nil, err
	}
	obj := &metav1.PartialObjectMetadata{}
	obj.SetGroupVersionKind(gvk)
	if err := r.APIReader.Get(ctx, key, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return obj, nil
}

// takeConflicts removes the child conflicts from err, which the status reports apart from
// failed writes, and returns them.
func takeConflicts(err error) (conflicts []*childConflict, rest error) {
	if c, ok := err.(*childConflict); ok {
		return []*childConflict{c}, nil
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return nil, err
	}
	var others []error
	for _, e := range joined.Unwrap() {
		found, other := takeConflicts(e)
		conflicts = append(conflicts, found...)
		others = append(others, other)
	}
	return conflicts, errors.Join(others...)
}

// tellConflicts puts the conflicts in obs for status, and in a Warning event each, once: the
// recheck finding the same would otherwise write an event every time while nothing changes.
// (The status cannot tell what was told: the cached copy may not show the last write yet.)
func (r *GatewayDeploymentReconciler) tellConflicts(gwd *gatewayv1alpha1.GatewayDeployment, key types.NamespacedName, conflicts []*childConflict, obs *status.Observed) {
	for _, c := range conflicts {
		obs.Conflicts = append(obs.Conflicts, c.Error())
	}
	told, _ := r.conflictsTold.Swap(key, strings.Join(obs.Conflicts, "\n"))
	for _, c := range conflicts {
		if told == nil || !strings.Contains(told.(string), c.Error()) {
			r.Recorder.Eventf(gwd, c.object, corev1.EventTypeWarning, gatewayv1alpha1.ReasonChildConflict, "Create", "%s", c.Error())
		}
	}
}
