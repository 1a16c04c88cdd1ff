// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// Conflict is a child Portico would create whose name an object it does not control
// already has. Portico leaves that object alone and says so.
type Conflict struct {
	Kind, Name, Owner string
	// Object is the other object, which an event names as related.
	Object client.Object
}

func (c *Conflict) Error() string {
	return fmt.Sprintf("%s %s exists and is not this gateway's (%s): Portico leaves it as it is. Delete or rename it, or give the gateway another name.",
		c.Kind, c.Name, c.Owner)
}

// ConflictWith describes obj, which holds the name of a child of kind, by whoever owns it.
func ConflictWith(kind string, obj client.Object) *Conflict {
	owner := "no controller"
	if ref := metav1.GetControllerOfNoCopy(obj); ref != nil {
		owner = "controlled by " + ref.Kind + " " + ref.Name
	} else if managers := fieldManagers(obj); len(managers) > 0 {
		owner = "written by " + strings.Join(managers, ", ")
	}
	return &Conflict{Kind: kind, Name: obj.GetName(), Owner: owner, Object: obj}
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

// Existing reads, around the cache, the metadata of the object of like's kind at key; nil
// when there is none.
func (a *Applier) Existing(ctx context.Context, key types.NamespacedName, like client.Object) (*metav1.PartialObjectMetadata, error) {
	gvk, err := apiutil.GVKForObject(like, a.Scheme)
	if err != nil {
		return nil, err
	}
	obj := &metav1.PartialObjectMetadata{}
	obj.SetGroupVersionKind(gvk)
	if err := a.APIReader.Get(ctx, key, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return obj, nil
}

// TakeConflicts removes the child conflicts from err, which the status reports apart from
// failed writes, and returns them.
func TakeConflicts(err error) (conflicts []*Conflict, rest error) {
	if c, ok := err.(*Conflict); ok {
		return []*Conflict{c}, nil
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return nil, err
	}
	var others []error
	for _, e := range joined.Unwrap() {
		found, other := TakeConflicts(e)
		conflicts = append(conflicts, found...)
		others = append(others, other)
	}
	return conflicts, errors.Join(others...)
}
