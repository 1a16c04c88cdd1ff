// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"fmt"

	routev1 "github.com/openshift/api/route/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// RouteObserved is the Route part of Observed.
type RouteObserved struct {
	// OpenShift tells whether the API server serves Routes.
	OpenShift bool
	// Route as the API server last showed it; nil when there is none (yet).
	Route *routev1.Route
}

// notOpenShiftHint is the message for a gateway that asks for a Route elsewhere.
const notOpenShiftHint = "This cluster does not serve OpenShift Routes (route.openshift.io/v1), " +
	"so spec.route cannot take effect: remove it, and expose the gateway with spec.service.type " +
	"LoadBalancer or an Ingress instead."

// route judges RouteAdmitted when the spec asks for a Route, whose hosts come first among
// the addresses.
func (a *assessment) route() {
	if a.gwd.Spec.Route == nil {
		a.absent(gatewayv1alpha1.ConditionRouteAdmitted)
		return
	}
	a.addOptional(routeCondition(a.gwd, a.obs.Route))
	a.st.Addresses = append(routeAddresses(a.obs.Route.Route), a.st.Addresses...)
}

// routeCondition reads the routers' verdicts from the Route's status.
func routeCondition(gwd *gatewayv1alpha1.GatewayDeployment, obs RouteObserved) metav1.Condition {
	c := metav1.Condition{Type: gatewayv1alpha1.ConditionRouteAdmitted}
	if !obs.OpenShift {
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, gatewayv1alpha1.ReasonNotOpenShift, notOpenShiftHint
		return c
	}
	if obs.Route != nil {
		for _, ing := range obs.Route.Status.Ingress {
			for _, cond := range ing.Conditions {
				if cond.Type != routev1.RouteAdmitted {
					continue
				}
				if cond.Status == corev1.ConditionTrue {
					c.Status, c.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonRouteAdmitted
					c.Message = fmt.Sprintf("Route %s is admitted by router %s at host %s.", obs.Route.Name, ing.RouterName, ing.Host)
					return c
				}
				if cond.Status == corev1.ConditionFalse {
					c.Status, c.Reason = metav1.ConditionFalse, gatewayv1alpha1.ReasonRouteRejected
					c.Message = fmt.Sprintf("Router %s rejected Route %s: %s: %s", ing.RouterName, obs.Route.Name, cond.Reason, cond.Message)
				}
			}
		}
		if c.Status == metav1.ConditionFalse {
			return c
		}
	}
	c.Status, c.Reason = metav1.ConditionUnknown, gatewayv1alpha1.ReasonReconciling
	c.Message = fmt.Sprintf("Waiting for a router to admit Route %s.", gwd.Name)
	return c
}

// routeAddresses are the hosts routers admitted the Route at.
func routeAddresses(route *routev1.Route) []gatewayv1alpha1.GatewayAddress {
	if route == nil {
		return nil
	}
	var out []gatewayv1alpha1.GatewayAddress
	seen := map[string]bool{}
	for _, ing := range route.Status.Ingress {
		for _, cond := range ing.Conditions {
			if cond.Type == routev1.RouteAdmitted && cond.Status == corev1.ConditionTrue && ing.Host != "" && !seen[ing.Host] {
				seen[ing.Host] = true
				out = append(out, gatewayv1alpha1.GatewayAddress{Type: gatewayv1alpha1.AddressTypeHostname, Value: ing.Host})
			}
		}
	}
	return out
}
