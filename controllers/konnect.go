// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/apply"
	"github.com/portico-dev/portico/internal/konnect"
	"github.com/portico-dev/portico/internal/render"
	"github.com/portico-dev/portico/internal/status"
)

// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;patch;delete

const (
	// ComponentKonnect labels the registration Secret.
	ComponentKonnect = "konnect"
	// unpinDeadline bounds how long a deleted gateway waits for Konnect to unpin its
	// certificates; after that it goes, with a warning event that names them.
	unpinDeadline = 15 * time.Minute
)

// FinalizerKonnectRegistration keeps a registration Secret until its certificates are
// unpinned: a namespace being deleted removes it with the gateway, and with it the only record
// of certificates retired during a rotation.
const FinalizerKonnectRegistration = "gateway.portico.dev/konnect-registration"

// FinalizerKonnectToken keeps a token Secret while a gateway still needs it to unpin its
// certificates: a namespace being deleted would otherwise remove the token first.
const FinalizerKonnectToken = "gateway.portico.dev/konnect-token-in-use"

// registrationSecretName is the name of the Secret holding a gateway's registration.
func registrationSecretName(gwd *gatewayv1alpha1.GatewayDeployment) string {
	return gwd.Name + "-konnect"
}

// konnectProblem is a registration failure the condition reports, with its reason.
type konnectProblem struct {
	reason, message string
	retryAfter      time.Duration
	// fromKonnect marks an answer of Konnect's (or its absence), as opposed to a problem
	// with the cluster's objects: only those wait out the backoff.
	fromKonnect bool
	// busy marks a call not made because the operator's share of workers for Konnect calls
	// was taken: neither Konnect's failure nor the spec's, so it changes no status.
	busy bool
}

// busyRetry is how soon a call not made for want of a free slot is tried again.
const busyRetry = time.Second

func (p *konnectProblem) Error() string { return p.message }

// problemFrom classifies a Konnect call's error. what names the object asked for.
func problemFrom(err error, what string) *konnectProblem {
	var retry *konnect.RetryAfterError
	switch {
	case errors.As(err, &retry):
		return &konnectProblem{reason: gatewayv1alpha1.ReasonAPIUnavailable, retryAfter: retry.RetryAfter, fromKonnect: true,
			message: fmt.Sprintf("Konnect asked to wait (rate limit or recent failures); retrying after %s.", retry.RetryAfter.Round(time.Second))}
	case errors.Is(err, konnect.ErrBusy):
		return &konnectProblem{reason: gatewayv1alpha1.ReasonReconciling, busy: true,
			message: "Waiting for a turn to call Konnect: other gateways' calls take the operator's share of workers for Konnect."}
	case errors.Is(err, konnect.ErrAuth):
		return &konnectProblem{reason: gatewayv1alpha1.ReasonAuthInvalid, fromKonnect: true,
			message: fmt.Sprintf("Konnect refused the token while reading %s: check that it is valid and may manage the control plane. (%v)", what, err)}
	case errors.Is(err, konnect.ErrNotFound):
		return &konnectProblem{reason: gatewayv1alpha1.ReasonControlPlaneNotFound, fromKonnect: true,
			message: fmt.Sprintf("Konnect has no %s: check spec.konnect and serverURL (the control plane's region). (%v)", what, err)}
	default:
		return &konnectProblem{reason: gatewayv1alpha1.ReasonAPIUnavailable, message: fmt.Sprintf("Konnect's API failed: %v", err), fromKonnect: true}
	}
}

// registrar does the Konnect side of the gateways' reconciles: it reads and writes the
// registration Secrets and calls Konnect's API; internal/konnect decides what to call and
// when. It remembers between reconciles what it need not store: the last poll of each
// gateway's nodes and the retry backoff. Losing that costs one poll.
type registrar struct {
	client.Client
	applier  *apply.Applier
	scheme   *runtime.Scheme
	recorder events.EventRecorder
	clock    clock.PassiveClock
	// http is the HTTP client for Konnect's API; apiHosts the hosts tokens may be sent to.
	http     *http.Client
	apiHosts konnect.APIHosts
	gate     *konnect.Gate
	timings  KonnectTimings
	mu       sync.Mutex
	byID     map[types.UID]*konnectMemory
	// polls holds, per control plane and token (konnect.Client.PollKey), the last answer to
	// which data planes checked in: one poll per interval serves every gateway registered
	// to it with that token. sweptAt is when unused ones were last let go.
	polls   map[string]*sharedPoll
	sweptAt time.Time
}

// sharedPoll is the last answer of one control plane's nodes list, and when to ask again.
type sharedPoll struct {
	// mu is held for the call: a gateway that finds it held uses the last answer.
	mu         sync.Mutex
	schedule   konnect.PollSchedule
	nodes      []konnect.Node
	answeredAt time.Time // Konnect's clock at the answer
	polledAt   time.Time // the operator's
	// reason and message are the last poll's failure; empty after a success.
	reason, message string
	usedAt          time.Time
}

// pollUnusedFor is how long a control plane's answer is kept with no gateway asking for it.
const pollUnusedFor = 10 * time.Minute

// sharedPoll is the shared answer for key, made if needed; answers no gateway asked for in
// pollUnusedFor are let go meanwhile.
func (t *registrar) sharedPoll(key string, now time.Time) *sharedPoll {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.polls == nil {
		t.polls = map[string]*sharedPoll{}
	}
	if now.Sub(t.sweptAt) > pollUnusedFor {
		for k, p := range t.polls {
			if now.Sub(p.usedAt) > pollUnusedFor {
				delete(t.polls, k)
			}
		}
		t.sweptAt = now
	}
	p, ok := t.polls[key]
	if !ok {
		p = &sharedPoll{}
		t.polls[key] = p
	}
	p.usedAt = now
	return p
}

type konnectMemory struct {
	nodes                   map[string]time.Time
	polledAt                time.Time
	pollReason, pollMessage string
	// failures counts consecutive failed registration attempts.
	failures int
	// held is Konnect's last failure, which stands until retryAt unless heldInputs (the
	// spec's generation and the token Secret's version) change: reconciles that other events
	// cause in between must not call Konnect again.
	held       *konnectProblem
	heldInputs string
	retryAt    time.Time
}

func (t *registrar) memory(uid types.UID) *konnectMemory {
	t.mu.Lock()
	defer t.mu.Unlock()
	m, ok := t.byID[uid]
	if !ok {
		m = &konnectMemory{}
		t.byID[uid] = m
	}
	return m
}

func (t *registrar) forget(uid types.UID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byID, uid)
}

// KonnectTimings are the waits of Konnect registrations and polls. Zero fields take the
// defaults (DefaultKonnectTimings); tests shorten them rather than wait them out.
type KonnectTimings struct {
	// Failed calls are retried after RetryBase, doubling up to RetryMax.
	RetryBase, RetryMax time.Duration
	// CatchUpGap spaces the extra polls made while new pods are expected to check in.
	CatchUpGap time.Duration
	// FailureHold is how long a control plane whose call failed (5xx, timeout) is left alone
	// by the gateways calling it with the same token.
	FailureHold time.Duration
}

// DefaultKonnectTimings are the timings the operator runs with.
func DefaultKonnectTimings() KonnectTimings {
	return KonnectTimings{RetryBase: 5 * time.Second, RetryMax: 5 * time.Minute, CatchUpGap: 5 * time.Second,
		FailureHold: konnect.DefaultUnavailableHold}
}

// orDefaults fills the zero fields from DefaultKonnectTimings.
func (t KonnectTimings) orDefaults() KonnectTimings {
	d := DefaultKonnectTimings()
	return KonnectTimings{RetryBase: cmp.Or(t.RetryBase, d.RetryBase), RetryMax: cmp.Or(t.RetryMax, d.RetryMax),
		CatchUpGap: cmp.Or(t.CatchUpGap, d.CatchUpGap), FailureHold: cmp.Or(t.FailureHold, d.FailureHold)}
}

// konnectRun carries one reconcile's Konnect work from before the render to after the apply.
type konnectRun struct {
	spec   *gatewayv1alpha1.KonnectSpec
	client *konnect.Client
	secret *corev1.Secret // the registration Secret; nil while there is none
	reg    konnect.Registration
	mem    *konnectMemory
	// inputs identify what the registration was attempted with (see konnectMemory.held).
	inputs string
	// render is what the Deployment needs; nil until a certificate is pinned.
	render  *render.Konnect
	obs     status.KonnectObserved
	requeue time.Duration
	timings KonnectTimings
	// previous is the KonnectRegistered condition as last written: what stands while a call
	// waits for its turn.
	previous *metav1.Condition
}

func (run *konnectRun) requeueAfter(d time.Duration) { run.requeue = soonest(run.requeue, d) }

// fail records a registration problem and when to try again.
func (run *konnectRun) fail(p *konnectProblem, now time.Time) {
	if p.busy {
		run.waitTurn(p)
		return
	}
	run.obs.Reason, run.obs.Message = p.reason, p.message
	run.mem.failures++
	wait := max(konnect.Backoff(run.mem.failures, run.timings.RetryBase, run.timings.RetryMax), p.retryAfter)
	run.requeueAfter(wait)
	if p.fromKonnect {
		run.mem.held, run.mem.heldInputs, run.mem.retryAt = p, run.inputs, now.Add(wait)
	}
}

// waitTurn tries a call that found no free slot again soon, and leaves the condition as it
// stood: waiting for a turn is neither Konnect's failure nor the spec's.
func (run *konnectRun) waitTurn(p *konnectProblem) {
	run.requeueAfter(busyRetry)
	switch prev := run.previous; {
	case prev == nil:
		run.obs.Reason, run.obs.Message = p.reason, p.message
	case prev.Status != metav1.ConditionTrue:
		run.obs.Reason, run.obs.Message = prev.Reason, prev.Message
	}
}

// heldProblem is Konnect's last failure, standing until its retry time.
type heldProblem struct{ *konnectProblem }

// prepareKonnect brings the registration to what spec.konnect asks for, before the render:
// token, control plane, certificate, pin. Konnect's failures become the condition's reason;
// only the Kubernetes API's are returned.
func (r *registrar) prepareKonnect(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment) (*konnectRun, error) {
	run := &konnectRun{spec: gwd.Spec.Konnect, timings: r.timings,
		previous: meta.FindStatusCondition(gwd.Status.Conditions, gatewayv1alpha1.ConditionKonnectRegistered)}
	if err := r.readRegistration(ctx, gwd, run); err != nil {
		return nil, err
	}
	if run.spec == nil && run.secret == nil && !controllerutil.ContainsFinalizer(gwd, gatewayv1alpha1.FinalizerKonnect) {
		return run, nil // never registered: nothing to remember either
	}
	run.mem = r.memory(gwd.UID)
	if run.spec == nil {
		return run, r.deregister(ctx, gwd, run, "spec.konnect was removed")
	}
	if run.secret != nil && !run.secret.DeletionTimestamp.IsZero() {
		// Someone deleted the registration: unpin what it holds and let it go; the next
		// reconcile registers afresh.
		return run, r.deregister(ctx, gwd, run, "the registration Secret "+run.secret.Name+" is being deleted")
	}
	run.obs.Requested = true
	if err := r.patchFinalizer(ctx, gwd, true); err != nil {
		return nil, err
	}
	if old := run.reg.AuthSecret; old != "" && old != run.spec.AuthSecretRef.Name {
		if err := r.releaseToken(ctx, gwd, old); err != nil {
			return nil, err
		}
	}
	err := r.register(ctx, gwd, run)
	var problem *konnectProblem
	var held heldProblem
	switch {
	case errors.As(err, &held):
		run.obs.Reason, run.obs.Message = held.reason, held.message
		run.requeueAfter(run.mem.retryAt.Sub(r.clock.Now()))
	case errors.As(err, &problem):
		run.fail(problem, r.clock.Now())
	case err != nil:
		return nil, err
	default:
		run.mem.failures, run.mem.held = 0, nil
	}
	r.describeRegistration(ctx, gwd, run)
	return run, nil
}

// describeRegistration fills what the render and the status take from the registration: the
// data plane's settings once a certificate is pinned, and the certificate's expiry, judged
// from the certificate itself so that status tells of it while Konnect's API is down.
func (r *registrar) describeRegistration(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, run *konnectRun) {
	if reg := run.reg; reg.CertificateID != "" && reg.ControlPlaneHost != "" {
		secretName := registrationSecretName(gwd)
		if user := run.spec.Certificate.SecretName; user != "" {
			secretName = user
		}
		run.render = &render.Konnect{
			ControlPlaneHost: reg.ControlPlaneHost, TelemetryHost: reg.TelemetryHost,
			SecretName: secretName, CertificateID: reg.CertificateID, Labels: run.spec.DataPlaneLabels,
		}
	}
	run.obs.Pinned = run.render != nil
	run.obs.Rotating = len(run.reg.Retired) > 0 || len(run.reg.NextCert) > 0
	run.obs.Summary = gatewayv1alpha1.KonnectStatus{
		ControlPlaneID: run.reg.ControlPlaneID, ControlPlaneEndpoint: run.reg.ControlPlaneHost, CertificateID: run.reg.CertificateID,
	}
	if notAfter, err := konnect.NotAfter(r.certificateInUse(ctx, gwd, run)); err == nil {
		t := metav1.NewTime(notAfter.UTC())
		run.obs.Summary.CertificateNotAfter = &t
		// Judged from the certificate, so that status tells of its expiry while Konnect's API
		// is down; looked at again when the judgement changes. A user's certificate is renewed
		// by its owner, on a schedule Portico does not know: only its expiry counts.
		if run.spec.Certificate.SecretName == "" {
			run.obs.RenewBy = konnect.RotateAt(notAfter, run.spec.Certificate.RenewBeforeOrDefault())
		}
		for _, at := range []time.Time{run.obs.RenewBy, notAfter} {
			if wait := at.Sub(r.clock.Now()); wait > 0 {
				run.requeueAfter(wait)
			}
		}
	}
}

// readRegistration fills run with gwd's registration Secret, when there is one that is gwd's.
func (r *registrar) readRegistration(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, run *konnectRun) error {
	secret := &corev1.Secret{}
	switch err := r.Get(ctx, types.NamespacedName{Namespace: gwd.Namespace, Name: registrationSecretName(gwd)}, secret); {
	case err == nil && metav1.IsControlledBy(secret, gwd):
		run.secret, run.reg = secret, konnect.RegistrationFrom(secret)
		if secret.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(secret, FinalizerKonnectRegistration) {
			// Written by a version of Portico before the finalizer.
			patch := client.MergeFrom(secret.DeepCopy())
			controllerutil.AddFinalizer(secret, FinalizerKonnectRegistration)
			if err := r.Patch(ctx, secret, patch); err != nil {
				return fmt.Errorf("protecting the Konnect registration: %w", err)
			}
		}
	case err != nil && !apierrors.IsNotFound(err):
		return fmt.Errorf("reading the Konnect registration: %w", err)
	}
	return nil
}

// register gathers what the registration is planned from (the token, the control plane
// when it must be looked up, the user's certificate), has internal/konnect plan it, and
// carries the plan out. Each step writes the registration Secret before the next calls
// Konnect.
func (r *registrar) register(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, run *konnectRun) error {
	spec := run.spec
	if err := r.allowServer(spec.ServerURL); err != nil {
		return err
	}
	token, version, err := r.konnectToken(ctx, gwd.Namespace, spec.AuthSecretRef.Name, spec.AuthSecretRef.Key, true)
	if err != nil {
		return err
	}
	run.inputs = fmt.Sprintf("%d/%s", gwd.Generation, version)
	if m := run.mem; m.held != nil && m.heldInputs == run.inputs && r.clock.Now().Before(m.retryAt) {
		return heldProblem{m.held}
	}
	run.client = konnect.NewClient(spec.ServerURL, token, r.http, r.gate)
	run.reg.AuthSecret, run.reg.AuthSecretKey = spec.AuthSecretRef.Name, spec.AuthSecretRef.Key

	want := konnect.Want{ServerURL: spec.ServerURL, ControlPlaneRef: controlPlaneRef(spec), RenewBefore: spec.Certificate.RenewBeforeOrDefault()}
	var found *konnect.ControlPlane
	if konnect.NeedsControlPlane(run.reg, want) {
		if found, err = r.lookUpControlPlane(ctx, run); err != nil {
			return err
		}
	}
	var userCert []byte
	if name := spec.Certificate.SecretName; name != "" {
		if userCert, err = r.userCertificate(ctx, gwd.Namespace, name); err != nil {
			return err
		}
		want.UserCertificate = konnect.Fingerprint(userCert)
	}
	now := r.clock.Now()
	plan := konnect.PlanRegistration(run.reg, want, found, now)
	if !plan.RenewAt.IsZero() {
		run.requeueAfter(plan.RenewAt.Sub(now))
	}
	return r.carryOut(ctx, gwd, run, plan, want, userCert)
}

// controlPlaneRef is how spec names its control plane: "id:…" or "name:…".
func controlPlaneRef(spec *gatewayv1alpha1.KonnectSpec) string {
	if spec.ControlPlaneName != "" {
		return "name:" + spec.ControlPlaneName
	}
	return "id:" + spec.ControlPlaneID
}

// lookUpControlPlane reads the control plane the spec names.
func (r *registrar) lookUpControlPlane(ctx context.Context, run *konnectRun) (*konnect.ControlPlane, error) {
	spec := run.spec
	var cp *konnect.ControlPlane
	var err error
	if spec.ControlPlaneName != "" {
		cp, err = run.client.ControlPlaneByName(ctx, spec.ControlPlaneName)
	} else {
		cp, err = run.client.ControlPlane(ctx, spec.ControlPlaneID)
	}
	if err != nil {
		return nil, problemFrom(err, "control plane "+cmp.Or(spec.ControlPlaneName, spec.ControlPlaneID))
	}
	return cp, nil
}

// carryOut does what plan says, in its order: retire, record the control plane, issue or
// take the certificate, store, pin, and during a rotation pin the successor, which then takes
// the certificate's place: the pods roll onto it and the old one is unpinned after
// (finishKonnect). The registration is stored after each pin.
func (r *registrar) carryOut(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, run *konnectRun,
	plan konnect.RegistrationPlan, want konnect.Want, userCert []byte) error {
	reg := &run.reg
	if plan.Retire {
		reg.Retire() // before the control plane changes: the retired pair names the old one
	}
	if plan.ControlPlane != nil {
		reg.UseControlPlane(want.ServerURL, want.ControlPlaneRef, plan.ControlPlane)
	}
	if err := r.prepareCertificate(gwd, run, plan.Certificate, want); err != nil {
		return err
	}
	if err := r.writeRegistration(ctx, gwd, run); err != nil {
		return err
	}
	if plan.Pin {
		certPEM := reg.Cert
		if userCert != nil {
			certPEM = userCert
		}
		id, err := run.client.PinOnce(ctx, reg.ControlPlaneID, string(certPEM))
		if err != nil {
			return problemFrom(err, "control plane "+reg.ControlPlaneID+" (pinning the certificate)")
		}
		reg.CertificateID = id
		log.FromContext(ctx).Info("pinned a Konnect client certificate", "controlPlane", reg.ControlPlaneID, "certificate", id)
		apply.ChangesFrom(ctx).Add("Update", "Konnect certificate "+id+" (pinned)")
		if err := r.writeRegistration(ctx, gwd, run); err != nil {
			return err
		}
	}
	if plan.PinSuccessor {
		id, err := run.client.PinOnce(ctx, reg.ControlPlaneID, string(reg.NextCert))
		if err != nil {
			return problemFrom(err, "control plane "+reg.ControlPlaneID+" (pinning the new certificate)")
		}
		reg.Retire()
		reg.Cert, reg.Key, reg.NextCert, reg.NextKey = reg.NextCert, reg.NextKey, nil, nil
		reg.CertificateID, reg.CertificateSHA256 = id, konnect.Fingerprint(reg.Cert)
		log.FromContext(ctx).Info("rotating the Konnect client certificate", "controlPlane", reg.ControlPlaneID, "certificate", id)
		apply.ChangesFrom(ctx).Add("Update", "Konnect certificate "+id+" (pinned for rotation)")
		return r.writeRegistration(ctx, gwd, run)
	}
	return nil
}

// prepareCertificate does what step says to the registration's certificates: record the
// user's, or issue Portico's own or its successor.
func (r *registrar) prepareCertificate(gwd *gatewayv1alpha1.GatewayDeployment, run *konnectRun, step konnect.CertificateStep, want konnect.Want) error {
	reg := &run.reg
	issue := func() ([]byte, []byte, error) {
		pair, err := konnect.Issue(gwd.Namespace+"/"+gwd.Name, r.clock.Now(), run.spec.Certificate.DurationOrDefault(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		return pair.CertPEM, pair.KeyPEM, nil
	}
	var err error
	switch step {
	case konnect.UseUserCertificate:
		reg.CertificateSHA256 = want.UserCertificate
		reg.Cert, reg.Key, reg.NextCert, reg.NextKey = nil, nil, nil, nil
	case konnect.IssueCertificate:
		if reg.Cert, reg.Key, err = issue(); err != nil {
			return err
		}
		reg.CertificateSHA256 = konnect.Fingerprint(reg.Cert)
	case konnect.IssueSuccessor:
		reg.NextCert, reg.NextKey, err = issue()
	}
	return err
}

// certificateInUse is the PEM certificate the pods use, for status.
func (r *registrar) certificateInUse(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, run *konnectRun) []byte {
	if name := run.spec.Certificate.SecretName; name != "" {
		cert, _ := r.userCertificate(ctx, gwd.Namespace, name)
		return cert
	}
	return run.reg.Cert
}

// allowServer refuses a serverURL whose host is not a Konnect API host the operator may send
// tokens to, before any token is read.
func (r *registrar) allowServer(serverURL string) error {
	hosts := r.apiHosts
	if hosts == nil {
		hosts = konnect.APIHosts{konnect.DefaultAPIHosts}
	}
	if err := hosts.Allow(serverURL); err != nil {
		return &konnectProblem{reason: gatewayv1alpha1.ReasonServerNotAllowed,
			message: err.Error() + ". The operator's admin can allow other hosts with its --konnect-api-hosts flag."}
	}
	return nil
}

// secretProblemReason is the condition's reason for a problem with the Secret holding what.
func secretProblemReason(what string) string {
	if what == "token" {
		return gatewayv1alpha1.ReasonAuthSecretNotFound
	}
	return gatewayv1alpha1.ReasonCertificateInvalid
}

// konnectSecret reads a Secret the user labelled for Portico. The cache holds only those;
// one that is missing there is looked up once more around the cache, to tell the user
// whether it is missing or only unlabelled.
func (r *registrar) konnectSecret(ctx context.Context, namespace, name, what string) (*corev1.Secret, error) {
	secret := &corev1.Secret{}
	key := types.NamespacedName{Namespace: namespace, Name: name}
	err := r.Get(ctx, key, secret)
	if err == nil && secret.Labels[gatewayv1alpha1.LabelKonnect] != what {
		// Labelled for another purpose: a token goes to Konnect, so only a Secret its owner
		// labelled as one may be sent. Portico no longer protects it either.
		if err := r.removeFinalizer(ctx, secret, FinalizerKonnectToken); err != nil {
			return nil, err
		}
		return nil, &konnectProblem{reason: secretProblemReason(what), message: fmt.Sprintf(
			"Secret %s is labelled %s=%s, not %s: Portico uses as the Konnect %s only a Secret so labelled. Run: kubectl label --overwrite secret -n %s %s %s=%s",
			name, gatewayv1alpha1.LabelKonnect, secret.Labels[gatewayv1alpha1.LabelKonnect], what, what, namespace, name, gatewayv1alpha1.LabelKonnect, what)}
	}
	if size, dropped := secret.Annotations[annotationDataDropped]; err == nil && dropped {
		return nil, &konnectProblem{reason: secretProblemReason(what), message: fmt.Sprintf(
			"Secret %s holds %s bytes: Portico reads only Secrets of at most %d KiB (a Konnect %s takes a few KiB). Keep only the %s in it.",
			name, size, MaxSecretBytes>>10, what, what)}
	}
	if err == nil {
		return secret, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("reading Secret %s: %w", name, err)
	}
	uncached, err := r.applier.Existing(ctx, key, secret)
	if err != nil {
		return nil, fmt.Errorf("reading Secret %s: %w", name, err)
	}
	if uncached != nil {
		// Unlabelled: Portico no longer protects it either.
		if err := r.removeFinalizer(ctx, uncached, FinalizerKonnectToken); err != nil {
			return nil, err
		}
		return nil, &konnectProblem{reason: secretProblemReason(what), message: fmt.Sprintf(
			"Secret %s (the Konnect %s) has no label %s: Portico reads and watches only Secrets so labelled. Run: kubectl label secret -n %s %s %s=%s",
			name, what, gatewayv1alpha1.LabelKonnect, namespace, name, gatewayv1alpha1.LabelKonnect, what)}
	}
	return nil, &konnectProblem{reason: secretProblemReason(what), message: fmt.Sprintf("Secret %s (the Konnect %s) does not exist in namespace %s.", name, what, namespace)}
}

// konnectToken reads the token and a version of it. With protect, it also guards the Secret
// against deletion while certificates pinned with it remain; unpinning never does, or it
// would put back the guard that releasing has just lifted.
func (r *registrar) konnectToken(ctx context.Context, namespace, name, key string, protect bool) (token, version string, err error) {
	secret, err := r.konnectSecret(ctx, namespace, name, "token")
	if err != nil {
		return "", "", err
	}
	token = strings.TrimSpace(string(secret.Data[key]))
	if token == "" {
		return "", "", &konnectProblem{reason: gatewayv1alpha1.ReasonAuthSecretNotFound,
			message: fmt.Sprintf("Secret %s has no key %q, or it is empty: it should hold a Konnect token (kpat_… or spat_…).", name, key)}
	}
	if protect && secret.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(secret, FinalizerKonnectToken) {
		patch := client.MergeFrom(secret.DeepCopy())
		controllerutil.AddFinalizer(secret, FinalizerKonnectToken)
		if err := r.Patch(ctx, secret, patch); err != nil {
			return "", "", fmt.Errorf("protecting token Secret %s: %w", name, err)
		}
	}
	// The token's digest, not the Secret's resourceVersion: Portico's own finalizer patch
	// changes that, and only a new token should cut a backoff short. It stays in memory.
	digest := sha256.Sum256([]byte(token))
	return token, hex.EncodeToString(digest[:8]), nil
}

// releaseToken lifts the protection of a token Secret no other gateway with pinned
// certificates refers to.
func (r *registrar) releaseToken(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, name string) error {
	gateways := &gatewayv1alpha1.GatewayDeploymentList{}
	if err := r.List(ctx, gateways, client.InNamespace(gwd.Namespace), client.MatchingFields{konnectSecretsIndex: name}); err != nil {
		return fmt.Errorf("listing gateways that use Secret %s: %w", name, err)
	}
	for i := range gateways.Items {
		other := &gateways.Items[i]
		if other.UID != gwd.UID && other.Spec.Konnect != nil && other.Spec.Konnect.AuthSecretRef.Name == name &&
			controllerutil.ContainsFinalizer(other, gatewayv1alpha1.FinalizerKonnect) {
			return nil
		}
	}
	secret := &corev1.Secret{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: gwd.Namespace, Name: name}, secret); err != nil {
		return client.IgnoreNotFound(err)
	}
	return r.removeFinalizer(ctx, secret, FinalizerKonnectToken)
}

// removeFinalizer takes finalizer off obj when it is there; obj being gone already is fine.
// The patch carries obj's resourceVersion: a merge patch replaces the whole list, and must not
// drop a finalizer someone else added meanwhile.
func (r *registrar) removeFinalizer(ctx context.Context, obj client.Object, finalizer string) error {
	if !controllerutil.ContainsFinalizer(obj, finalizer) {
		return nil
	}
	patch := client.MergeFromWithOptions(obj.DeepCopyObject().(client.Object), client.MergeFromWithOptimisticLock{})
	controllerutil.RemoveFinalizer(obj, finalizer)
	if err := r.Patch(ctx, obj, patch); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("removing finalizer %s from %s: %w", finalizer, obj.GetName(), err)
	}
	return nil
}

// userCertificate reads a user-managed certificate Secret and checks it.
func (r *registrar) userCertificate(ctx context.Context, namespace, name string) ([]byte, error) {
	secret, err := r.konnectSecret(ctx, namespace, name, "certificate")
	if err != nil {
		return nil, err
	}
	cert, key := secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey]
	if _, err := konnect.CheckKeyPair(cert, key); err != nil {
		return nil, &konnectProblem{reason: gatewayv1alpha1.ReasonCertificateInvalid,
			message: fmt.Sprintf("Secret %s must hold a PEM certificate (tls.crt) and its private key (tls.key): %v", name, err)}
	}
	return cert, nil
}

// writeRegistration creates or updates the registration Secret when reg differs from it.
func (r *registrar) writeRegistration(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, run *konnectRun) error {
	if run.secret == nil {
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: registrationSecretName(gwd), Namespace: gwd.Namespace}, Type: corev1.SecretTypeOpaque}
		secret.Labels = render.Labels(gwd, ComponentKonnect)
		secret.Labels[gatewayv1alpha1.LabelKonnect] = "registration"
		secret.Finalizers = []string{FinalizerKonnectRegistration}
		if err := controllerutil.SetControllerReference(gwd, secret, r.scheme); err != nil {
			return err
		}
		run.reg.WriteTo(secret)
		if err := r.Create(ctx, secret); apierrors.IsAlreadyExists(err) {
			return &konnectProblem{reason: gatewayv1alpha1.ReasonRegistrationSecretConflict, message: fmt.Sprintf(
				"Secret %s exists and is not this gateway's: Portico keeps the gateway's Konnect registration under that name. Rename or remove it.", secret.Name)}
		} else if err != nil {
			return fmt.Errorf("creating the Konnect registration Secret: %w", err)
		}
		apply.ChangesFrom(ctx).Add("Create", "Secret "+secret.Name)
		run.secret = secret
		return nil
	}
	next := run.secret.DeepCopy()
	run.reg.WriteTo(next)
	if equality.Semantic.DeepEqual(next.Annotations, run.secret.Annotations) && equality.Semantic.DeepEqual(next.Data, run.secret.Data) {
		return nil
	}
	// An update, not an apply: the resourceVersion makes a concurrent change fail rather than
	// be overwritten, and a failed write is retried from a fresh read.
	if err := r.Update(ctx, next); err != nil {
		return fmt.Errorf("updating the Konnect registration Secret: %w", err)
	}
	run.secret = next
	return nil
}

// finishKonnect runs after the apply: it unpins retired certificates once the pods have rolled
// onto the new one, and polls which data planes checked in.
func (r *registrar) finishKonnect(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, run *konnectRun, obs *status.Observed) error {
	if run.client == nil || run.render == nil {
		if m := run.mem; m != nil {
			// No call this time (a failure waiting out its backoff): the last poll stands.
			run.obs.Nodes, run.obs.PolledAt = m.nodes, m.polledAt
			run.obs.PollReason, run.obs.PollMessage = m.pollReason, m.pollMessage
		}
		obs.Konnect = run.obs
		return nil
	}
	reg := &run.reg
	d := obs.Deployment
	if d != nil && konnect.UnpinRetired(*reg, d.Spec.Template.Annotations[render.AnnotationKonnectCertificate],
		status.RolloutComplete(d, status.DesiredReplicas(gwd, d))) {
		remaining, err := r.unpin(ctx, run.client, reg.Retired)
		reg.Retired = remaining
		if err != nil {
			run.fail(problemFrom(err, "control plane "+reg.ControlPlaneID+" (unpinning the old certificate)"), r.clock.Now())
		} else {
			log.FromContext(ctx).Info("rotation complete: the old Konnect certificate is unpinned", "certificate", reg.CertificateID)
		}
		if err := r.writeRegistration(ctx, gwd, run); err != nil {
			return err
		}
		run.obs.Rotating = len(reg.Retired) > 0
	}
	r.pollNodes(ctx, run, obs.Pods)
	obs.Konnect = run.obs
	return nil
}

// unpin unpins "controlPlaneID/certificateID" pairs and returns those still pinned.
func (r *registrar) unpin(ctx context.Context, c *konnect.Client, pairs []string) ([]string, error) {
	var remaining []string
	var errs []error
	for _, pair := range pairs {
		cpID, certID, _ := strings.Cut(pair, "/")
		if err := c.Unpin(ctx, cpID, certID); err != nil {
			remaining = append(remaining, pair)
			errs = append(errs, err)
			continue
		}
		log.FromContext(ctx).Info("unpinned a Konnect client certificate", "controlPlane", cpID, "certificate", certID)
	}
	return remaining, errors.Join(errs...)
}

// pollNodes asks Konnect which data planes checked in, when the poll interval (or, after a
// failure, the backoff) has passed, and sooner while new pods are expected to appear. The
// answer is shared by the gateways registered to the control plane with the same token, so
// that they make one poll per interval between them; each judges its own pods from it.
func (r *registrar) pollNodes(ctx context.Context, run *konnectRun, pods []corev1.Pod) {
	mem, now := run.mem, r.clock.Now()
	timings := konnect.PollTimings{Interval: run.spec.PollIntervalOrDefault(), Busy: busyRetry, CatchUpGap: run.timings.CatchUpGap,
		RetryBase: run.timings.RetryBase, RetryMax: run.timings.RetryMax}
	shared := r.sharedPoll(run.client.PollKey(run.reg.ControlPlaneID), now)
	awaiting := status.AwaitingCheckIn(mem.nodes, pods, now)
	if !shared.mu.TryLock() {
		// Another gateway is asking this control plane now: its answer serves this one too.
		run.requeueAfter(busyRetry)
	} else {
		// This gateway's own interval counts too, when it is shorter than the last poller's.
		ownTurn := shared.schedule.Failures == 0 && !shared.schedule.LastAttempt.IsZero() && now.Sub(shared.schedule.LastAttempt) >= timings.Interval
		if shared.schedule.Due(now, awaiting, timings) || ownTurn {
			r.poll(ctx, run, shared, now, timings)
		}
		mem.polledAt, mem.pollReason, mem.pollMessage = shared.polledAt, shared.reason, shared.message
		if !shared.polledAt.IsZero() {
			mem.nodes = gatewayNodes(pods, shared.nodes, shared.answeredAt, shared.polledAt)
		}
		run.requeueAfter(shared.schedule.Next.Sub(now))
		run.requeueAfter(shared.schedule.LastAttempt.Add(timings.Interval).Sub(now))
		shared.mu.Unlock()
	}
	if status.AwaitingCheckIn(mem.nodes, pods, now) {
		run.requeueAfter(run.timings.CatchUpGap)
	}
	run.obs.Nodes, run.obs.PolledAt = mem.nodes, mem.polledAt
	run.obs.PollReason, run.obs.PollMessage = mem.pollReason, mem.pollMessage
}

// poll asks the control plane which data planes checked in, and records the answer (or the
// failure, and when to try again) for every gateway that shares it. shared is locked.
func (r *registrar) poll(ctx context.Context, run *konnectRun, shared *sharedPoll, now time.Time, timings konnect.PollTimings) {
	nodes, answeredAt, err := run.client.Nodes(ctx, run.reg.ControlPlaneID)
	var p *konnectProblem
	if err != nil {
		p = problemFrom(err, "control plane "+run.reg.ControlPlaneID+" (listing its data planes)")
	}
	switch {
	case p != nil && p.busy: // the last answer stands meanwhile
		shared.schedule = shared.schedule.After(konnect.PollBusy, now, 0, timings)
	case p != nil:
		shared.schedule = shared.schedule.After(konnect.PollFailed, now, p.retryAfter, timings)
		shared.reason, shared.message = p.reason, p.message
	default:
		shared.schedule = shared.schedule.After(konnect.PollSucceeded, now, 0, timings)
		shared.reason, shared.message = "", ""
		shared.nodes, shared.answeredAt, shared.polledAt = nodes, answeredAt, now
	}
}

// gatewayNodes keeps, of a control plane's nodes, those that are gwd's pods: a control plane
// may list many more, and what status needs is whether each pod checked in. Their last pings
// are moved onto the operator's clock: Konnect stamps them with its own, given by answeredAt
// (zero: taken to agree with now), and the two may disagree.
func gatewayNodes(pods []corev1.Pod, nodes []konnect.Node, answeredAt, now time.Time) map[string]time.Time {
	skew := time.Duration(0)
	if !answeredAt.IsZero() {
		skew = now.Sub(answeredAt)
	}
	names := make(map[string]bool, len(pods))
	for i := range pods {
		names[pods[i].Name] = true
	}
	kept := map[string]time.Time{}
	for _, n := range nodes {
		if names[n.Hostname] {
			kept[n.Hostname] = n.LastPing.Add(skew)
		}
	}
	return kept
}

// deregister unpins every certificate of a gateway whose spec.konnect was removed, then
// deletes the registration and lets go of the finalizer.
func (r *registrar) deregister(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, run *konnectRun, why string) error {
	if err := r.unpinAll(ctx, gwd, run); err != nil {
		var problem *konnectProblem
		if !errors.As(err, &problem) {
			return err
		}
		run.obs.Requested = true
		run.fail(&konnectProblem{reason: gatewayv1alpha1.ReasonUnpinFailed, retryAfter: problem.retryAfter,
			message: why + ", but unpinning the certificates failed; retrying. " + problem.message}, r.clock.Now())
		return nil
	}
	if run.secret != nil {
		if err := r.removeFinalizer(ctx, run.secret, FinalizerKonnectRegistration); err != nil {
			return err
		}
		if err := r.Delete(ctx, run.secret); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting the Konnect registration: %w", err)
		}
		apply.ChangesFrom(ctx).Add("Update", "Konnect registration (removed)")
	}
	if err := r.releaseToken(ctx, gwd, run.reg.AuthSecret); err != nil {
		return err
	}
	r.forget(gwd.UID)
	return r.patchFinalizer(ctx, gwd, false)
}

// unpinAll unpins the certificates the registration knows of, the successor included.
func (r *registrar) unpinAll(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, run *konnectRun) error {
	reg := &run.reg
	if reg.ControlPlaneID == "" && gwd.Status.Konnect != nil {
		// The registration Secret is gone (a foreground deletion removes it first): status
		// still names the certificate in use.
		reg.ControlPlaneID, reg.CertificateID = gwd.Status.Konnect.ControlPlaneID, gwd.Status.Konnect.CertificateID
	}
	pairs := reg.Pinned()
	if len(pairs) == 0 && len(reg.NextCert) == 0 {
		return nil
	}
	name, key := reg.AuthSecret, reg.AuthSecretKey
	if s := gwd.Spec.Konnect; s != nil && name == "" {
		name, key = s.AuthSecretRef.Name, s.AuthSecretRef.Key
	}
	serverURL := reg.ServerURL
	if serverURL == "" && gwd.Spec.Konnect != nil {
		serverURL = gwd.Spec.Konnect.ServerURL
	}
	if err := r.allowServer(serverURL); err != nil {
		return err
	}
	token, _, err := r.konnectToken(ctx, gwd.Namespace, name, key, false)
	if err != nil {
		return err
	}
	c := konnect.NewClient(serverURL, token, r.http, r.gate)
	if len(reg.NextCert) > 0 {
		id, err := c.FindPinned(ctx, reg.ControlPlaneID, string(reg.NextCert))
		if err != nil {
			return problemFrom(err, "control plane "+reg.ControlPlaneID)
		}
		if id != "" {
			pairs = append(pairs, reg.ControlPlaneID+"/"+id)
		}
	}
	if remaining, err := r.unpin(ctx, c, pairs); err != nil {
		return problemFrom(err, fmt.Sprintf("control plane %s (unpinning %s)", reg.ControlPlaneID, strings.Join(remaining, ", ")))
	}
	return nil
}

// finalizeKonnect unpins a deleted gateway's certificates before letting it go. It gives up
// after unpinDeadline, or at once when an admin sets the release annotation, and then says
// which certificates stay pinned, in an event and the log. While it retries, it returns the
// condition that says so, for the status.
func (r *registrar) finalizeKonnect(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment) (time.Duration, *metav1.Condition, error) {
	if !controllerutil.ContainsFinalizer(gwd, gatewayv1alpha1.FinalizerKonnect) {
		return 0, nil, nil
	}
	run := &konnectRun{spec: gwd.Spec.Konnect, mem: r.memory(gwd.UID), timings: r.timings}
	if err := r.readRegistration(ctx, gwd, run); err != nil {
		return 0, nil, err
	}
	err := r.unpinAll(ctx, gwd, run)
	var problem *konnectProblem
	if err != nil && !errors.As(err, &problem) {
		return 0, nil, err
	}
	released := gwd.Annotations[gatewayv1alpha1.AnnotationKonnectRelease] == "true"
	var deadline time.Time
	if problem != nil {
		if deadline, err = r.unpinDeadlineOf(ctx, gwd); err != nil {
			return 0, nil, err
		}
	}
	expired := problem != nil && !r.clock.Now().Before(deadline)
	if problem != nil && !released && !expired {
		run.fail(problem, r.clock.Now())
		c := metav1.Condition{Type: gatewayv1alpha1.ConditionKonnectRegistered, Status: metav1.ConditionFalse,
			Reason: gatewayv1alpha1.ReasonUnpinFailed, ObservedGeneration: gwd.Generation,
			Message: fmt.Sprintf("Deleting: unpinning the certificates from Konnect failed; retrying until %s. To let go now and leave them pinned, annotate %s=true. %s",
				deadline.UTC().Format(time.RFC3339), gatewayv1alpha1.AnnotationKonnectRelease, problem.message)}
		return run.requeue, &c, nil
	}
	if problem != nil {
		why := "the unpin deadline passed"
		if released {
			why = "annotation " + gatewayv1alpha1.AnnotationKonnectRelease + " is set"
		}
		left := strings.Join(run.reg.Pinned(), ", ")
		log.FromContext(ctx).Error(problem, "letting go without unpinning Konnect certificates: unpin them by hand", "reason", why, "certificates", left)
		r.recorder.Eventf(gwd, nil, corev1.EventTypeWarning, "KonnectCertificatesLeftPinned", "Delete",
			"Released (%s) with certificates still pinned (control plane/certificate): %s. Unpin them in Konnect.", why, left)
	}
	if run.secret != nil {
		if err := r.removeFinalizer(ctx, run.secret, FinalizerKonnectRegistration); err != nil {
			return 0, nil, err
		}
	}
	if err := r.releaseToken(ctx, gwd, run.reg.AuthSecret); err != nil {
		return 0, nil, err
	}
	if gwd.Spec.Konnect != nil && gwd.Spec.Konnect.AuthSecretRef.Name != run.reg.AuthSecret {
		if err := r.releaseToken(ctx, gwd, gwd.Spec.Konnect.AuthSecretRef.Name); err != nil {
			return 0, nil, err
		}
	}
	r.forget(gwd.UID)
	return 0, nil, r.patchFinalizer(ctx, gwd, false)
}

// unpinDeadlineOf is when deleted gwd stops waiting for its certificates to be unpinned: the
// deadline stored on it, or, at the first failure, one set now. It counts on the operator's
// clock rather than from the deletion timestamp, which is the API server's.
func (r *registrar) unpinDeadlineOf(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment) (time.Time, error) {
	if deadline, err := time.Parse(time.RFC3339, gwd.Annotations[gatewayv1alpha1.AnnotationKonnectUnpinDeadline]); err == nil {
		return deadline, nil
	}
	deadline := r.clock.Now().Add(unpinDeadline).UTC().Truncate(time.Second)
	patch := client.MergeFrom(gwd.DeepCopy())
	metav1.SetMetaDataAnnotation(&gwd.ObjectMeta, gatewayv1alpha1.AnnotationKonnectUnpinDeadline, deadline.Format(time.RFC3339))
	if err := r.Patch(ctx, gwd, patch); err != nil {
		return time.Time{}, fmt.Errorf("storing the unpin deadline: %w", err)
	}
	return deadline, nil
}

// setCondition writes one condition to status when it changed.
func (r *registrar) setCondition(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, c metav1.Condition) error {
	old := meta.FindStatusCondition(gwd.Status.Conditions, c.Type)
	if old != nil && old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message {
		return nil
	}
	patch := client.MergeFrom(gwd.DeepCopy())
	meta.SetStatusCondition(&gwd.Status.Conditions, c)
	return r.Status().Patch(ctx, gwd, patch)
}

// patchFinalizer adds or removes the Konnect finalizer.
func (r *registrar) patchFinalizer(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, add bool) error {
	if controllerutil.ContainsFinalizer(gwd, gatewayv1alpha1.FinalizerKonnect) == add {
		return nil
	}
	patch := client.MergeFromWithOptions(gwd.DeepCopy(), client.MergeFromWithOptimisticLock{})
	if add {
		controllerutil.AddFinalizer(gwd, gatewayv1alpha1.FinalizerKonnect)
	} else {
		controllerutil.RemoveFinalizer(gwd, gatewayv1alpha1.FinalizerKonnect)
	}
	if err := r.Patch(ctx, gwd, patch); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("updating the Konnect finalizer: %w", err))
	}
	return nil
}
