// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/certificate"
)

// TLSObserved is what the reconcile found of the certificates spec.tls names.
type TLSObserved struct {
	// Requested: spec.tls is set.
	Requested bool
	// Reason and Message say why one cannot be used; empty when all can.
	Reason, Message string
	// Certificates describe the ones in use when all can be; Copy is Portico's copy of them.
	Certificates []gatewayv1alpha1.CertificateStatus
	Copy         string
}

// tls judges TLSReady when the spec names certificates. While one cannot be used, the pods
// keep the last good ones, and status.tls keeps describing them.
func (a *assessment) tls() {
	obs := a.obs.TLS
	if !obs.Requested {
		a.absent(gatewayv1alpha1.ConditionTLSReady)
		a.st.TLS = nil
		return
	}
	c := metav1.Condition{Type: gatewayv1alpha1.ConditionTLSReady}
	if obs.Reason != "" {
		c.Status, c.Reason = metav1.ConditionFalse, obs.Reason
		c.Message = obs.Message + " The pods keep the certificates they have."
		if a.obs.Deployment == nil {
			c.Message = obs.Message + " The gateway starts once it can be used."
			a.addOptional(c) // it is why there is no Deployment
		} else {
			a.add(c)
		}
		a.st.TLS = a.gwd.Status.TLS
		return
	}
	a.st.TLS = obs.Certificates
	c.Status, c.Reason = metav1.ConditionTrue, gatewayv1alpha1.ReasonCertificatesValid
	var until []string
	for _, cert := range obs.Certificates {
		if certificate.ExpiresSoon(cert.NotAfter.Time, a.now.Time) {
			c.Reason, c.Message = gatewayv1alpha1.ReasonCertificateExpiringSoon, certificate.ExpiringMessage(cert.SecretName, cert.NotAfter.Time)
			break
		}
		until = append(until, fmt.Sprintf("%s until %s", cert.SecretName, cert.NotAfter.UTC().Format(time.RFC3339)))
	}
	if c.Message == "" {
		c.Message = fmt.Sprintf("The HTTPS listeners serve the certificates of Secret %s (copied to %s).", strings.Join(until, ", "), obs.Copy)
	}
	a.add(c)
}
