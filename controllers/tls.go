// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/certificate"
	"github.com/portico-dev/portico/internal/kongconfig"
	"github.com/portico-dev/portico/internal/render"
	"github.com/portico-dev/portico/internal/status"
)

// tlsRun is what the certificates step found for one reconcile.
type tlsRun struct {
	// render is the copy the pods mount; nil without spec.tls or while it cannot be used.
	render *render.TLS
	// hold keeps the Deployment as it is: a certificate spec.tls names cannot be used, and
	// the pods keep serving the last good ones.
	hold bool
	// recheck asks to look again later: a Secret is missing or unlabelled, and the cache,
	// which holds only labelled ones, would not tell when it comes.
	recheck bool
	// after is when a certificate's judgement next changes (expiring soon, expired).
	after    time.Duration
	observed status.TLSObserved
}

// resolveTLS reads and checks the certificates spec.tls names, and makes sure their checked
// copy exists. One that cannot be used is reported, never passed on.
func (r *GatewayDeploymentReconciler) resolveTLS(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment) (tlsRun, error) {
	if gwd.Spec.TLS == nil {
		return tlsRun{}, nil
	}
	run := tlsRun{observed: status.TLSObserved{Requested: true}}
	now := r.Clock.Now()
	digest := sha256.New()
	data := map[string][]byte{}
	for i, ref := range gwd.Spec.TLS.CertificateSecretRefs {
		cert, key, problem, err := r.readTLSSecret(ctx, gwd.Namespace, ref.Name)
		if err != nil {
			return run, err
		}
		var info certificate.Info
		if problem == nil {
			info, problem = certificate.Check(cert, key, now)
		}
		if problem != nil {
			run.hold = true
			run.recheck = problem.Reason == gatewayv1alpha1.ReasonTLSSecretNotFound || problem.Reason == gatewayv1alpha1.ReasonTLSSecretNotLabelled
			run.observed.Reason, run.observed.Message = problem.Reason, fmt.Sprintf("Secret %s: %s.", ref.Name, problem.Message)
			r.tellProblem(gwd, gatewayv1alpha1.ConditionTLSReady, problem.Reason, run.observed.Message)
			return run, nil
		}
		run.observed.Certificates = append(run.observed.Certificates, gatewayv1alpha1.CertificateStatus{
			SecretName: ref.Name, NotAfter: metav1.NewTime(info.NotAfter.UTC()), DNSNames: info.DNSNames})
		run.after = soonest(run.after, untilJudgementChanges(info.NotAfter, now))
		data[render.TLSCertKey(i)], data[render.TLSKeyKey(i)] = cert, key
		digest.Write(cert)
		digest.Write(key)
	}
	r.tellExpiring(gwd, run.observed.Certificates, now)
	run.render = &render.TLS{SecretName: render.TLSCopyName(gwd.Name, hex.EncodeToString(digest.Sum(nil)[:5])), Count: len(data) / 2}
	run.observed.Copy = run.render.SecretName
	return run, r.ensureCopy(ctx, gwd, immutableCopy{
		secret: true, name: run.render.SecretName, component: render.ComponentTLS,
		data:   func() map[string][]byte { return data },
		reason: gatewayv1alpha1.ReasonCertificatesValid,
		message: fmt.Sprintf("Checked the certificates of spec.tls and copied them to Secret %s; the pods roll onto them once",
			run.render.SecretName),
	})
}

// untilJudgementChanges is how long until a certificate valid until notAfter is judged
// anew: when it starts to expire soon, then when it expires; 0 once both are past.
func untilJudgementChanges(notAfter, now time.Time) time.Duration {
	for _, at := range []time.Time{notAfter.Add(-certificate.WarnBefore), notAfter} {
		if wait := at.Sub(now); wait > 0 {
			return wait
		}
	}
	return 0
}

// readTLSSecret returns a labelled kubernetes.io/tls Secret's certificate and key, or why
// they cannot be had. The cache holds only labelled Secrets; when it has none by that name,
// one uncached read tells missing from unlabelled, to say how to label it.
func (r *GatewayDeploymentReconciler) readTLSSecret(ctx context.Context, namespace, name string) (cert, key []byte, problem *certificate.Problem, err error) {
	secret := &corev1.Secret{}
	objKey := types.NamespacedName{Namespace: namespace, Name: name}
	label := fmt.Sprintf("kubectl label secret %s -n %s %s=%s --overwrite", name, namespace, gatewayv1alpha1.LabelConfig, gatewayv1alpha1.ConfigCertificateValue)
	switch err := r.configSecrets.Get(ctx, objKey, secret); {
	case apierrors.IsNotFound(err):
		existing, err := r.applier.Existing(ctx, objKey, secret)
		switch {
		case err != nil:
			return nil, nil, nil, fmt.Errorf("reading Secret %s: %w", name, err)
		case existing == nil:
			return nil, nil, &certificate.Problem{Reason: gatewayv1alpha1.ReasonTLSSecretNotFound, Message: "it does not exist in namespace " + namespace}, nil
		}
		return nil, nil, &certificate.Problem{Reason: gatewayv1alpha1.ReasonTLSSecretNotLabelled,
			Message: "it is not labelled for Portico, which reads only Secrets so marked: run " + label}, nil
	case err != nil:
		return nil, nil, nil, fmt.Errorf("reading Secret %s: %w", name, err)
	}
	switch {
	case secret.Labels[gatewayv1alpha1.LabelConfig] != gatewayv1alpha1.ConfigCertificateValue:
		return nil, nil, &certificate.Problem{Reason: gatewayv1alpha1.ReasonTLSSecretNotLabelled,
			Message: fmt.Sprintf("it is labelled %s=%s, not %s: run %s", gatewayv1alpha1.LabelConfig, secret.Labels[gatewayv1alpha1.LabelConfig], gatewayv1alpha1.ConfigCertificateValue, label)}, nil
	case secret.Annotations[annotationDataDropped] != "":
		return nil, nil, &certificate.Problem{Reason: gatewayv1alpha1.ReasonTLSSecretInvalid,
			Message: fmt.Sprintf("it holds %s bytes, more than the %d Portico takes", secret.Annotations[annotationDataDropped], kongconfig.MaxBytes)}, nil
	case secret.Type != corev1.SecretTypeTLS:
		return nil, nil, &certificate.Problem{Reason: gatewayv1alpha1.ReasonTLSSecretInvalid,
			Message: fmt.Sprintf("it is of type %q, not %s", secret.Type, corev1.SecretTypeTLS)}, nil
	}
	return secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey], nil, nil
}

// tellExpiring raises a Warning event when a certificate in use comes within
// certificate.WarnBefore of its expiry: once, as the condition's reason turns.
func (r *GatewayDeploymentReconciler) tellExpiring(gwd *gatewayv1alpha1.GatewayDeployment, certs []gatewayv1alpha1.CertificateStatus, now time.Time) {
	for _, c := range certs {
		if certificate.ExpiresSoon(c.NotAfter.Time, now) {
			r.tellProblem(gwd, gatewayv1alpha1.ConditionTLSReady, gatewayv1alpha1.ReasonCertificateExpiringSoon,
				certificate.ExpiringMessage(c.SecretName, c.NotAfter.Time))
			return
		}
	}
}
