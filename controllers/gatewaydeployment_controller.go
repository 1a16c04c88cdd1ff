// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package controllers wires Portico's reconcile: resolve, render, apply, assess.
package controllers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/apply"
	"github.com/portico-dev/portico/internal/capability"
	"github.com/portico-dev/portico/internal/gatewaymetrics"
	"github.com/portico-dev/portico/internal/konnect"
	"github.com/portico-dev/portico/internal/render"
	"github.com/portico-dev/portico/internal/status"
)

// GatewayDeploymentReconciler turns a GatewayDeployment into its Deployment and Service and
// reports what they show.
type GatewayDeploymentReconciler struct {
	client.Client
	// APIReader reads around the cache, for the rare object the cache cannot see.
	APIReader client.Reader
	Recorder  events.EventRecorder
	Clock     clock.PassiveClock
	// DefaultImage is the gateway image for specs that name none.
	DefaultImage string
	// ProxyEnv is the cluster proxy to pass on to the gateway pods.
	ProxyEnv []corev1.EnvVar
	// Mesh tells whether Istio is installed; Routes whether OpenShift's Routes are served;
	// SecurityConstraints whether OpenShift's security context constraints assign UIDs.
	Mesh                *capability.Capability
	Routes              *capability.Capability
	SecurityConstraints *capability.Capability
	// KonnectHTTP is the HTTP client for Konnect's API; nil means Go's default transport.
	KonnectHTTP *http.Client
	// KonnectAPIHosts are the hosts Konnect tokens may be sent to; nil means
	// konnect.DefaultAPIHosts.
	KonnectAPIHosts konnect.APIHosts
	// KonnectTimings: zero fields take DefaultKonnectTimings.
	KonnectTimings KonnectTimings
	// StatusFold spaces intermediate status writes of a gateway; zero takes DefaultStatusFold.
	// ProgressWrites bounds them across all gateways, per second; zero takes
	// DefaultProgressWrites.
	StatusFold     time.Duration
	ProgressWrites int
	// ConflictRecheck is how often a gateway whose child's name is taken by another object
	// looks again; zero takes DefaultConflictRecheck.
	ConflictRecheck time.Duration
	// DeploymentSpecs holds the cached Deployments' specs, which the cache keeps out: the one
	// given to CacheOptions.
	DeploymentSpecs *apply.DeploymentSpecs
	// WatchNamespace is the one given to CacheOptions: the Secrets holding configurations are
	// cached apart (configSecretCache), in the same namespaces.
	WatchNamespace string

	// Set up by SetupWithManager, for watches added while running.
	controller controller.Controller
	cache      cache.Cache
	scheme     *runtime.Scheme
	mapper     meta.RESTMapper
	konnect    *registrar
	// statusWrites holds when each gateway's status was last written (see statusFold);
	// progress hands out the turns to write one on the way (DefaultProgressWrites).
	statusWrites sync.Map
	progress     *progressTurns
	// conflictsTold holds each gateway's child conflicts last told in events.
	conflictsTold sync.Map
	// applier writes the children (compare before write, remembered per child).
	applier *apply.Applier
	// large hands out the slots for reconciling gateways too large to cache (largeAtOnce).
	large *largeSlots
	// configSecrets caches the Secrets labelled for spec.config, and their copies.
	configSecrets cache.Cache
	// namespaces holds namespaces' labels read lately (namespaceLabels); upgradeRolls, per
	// namespace, the gateway rolling onto a new sidecar revision (templateRevision).
	namespaces, upgradeRolls sync.Map
	// configVerdicts holds, per gateway, what the checks found of its configuration's last
	// version (checkConfig).
	configVerdicts sync.Map
}

// +kubebuilder:rbac:groups=gateway.portico.dev,resources=gatewaydeployments,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=gateway.portico.dev,resources=gatewaydeployments/status,verbs=patch
// +kubebuilder:rbac:groups=gateway.portico.dev,resources=gatewaydeployments/finalizers,verbs=update
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile runs the steps of a live gateway (steps), or of one being deleted
// (finalizeSteps), on one scope, and writes the status once at the end.
func (r *GatewayDeploymentReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	result, err := r.reconcile(ctx, req)
	if err != nil {
		gatewaymetrics.ReconcileFailures.WithLabelValues(failureReason(err)).Inc()
	}
	return result, err
}

// failureReason is the Kubernetes API's reason for a failed reconcile, a small fixed set.
func failureReason(err error) string {
	if reason := apierrors.ReasonForError(err); reason != metav1.StatusReasonUnknown {
		return string(reason)
	}
	return "Unknown"
}

func (r *GatewayDeploymentReconciler) reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	gwd, wait, release, err := r.readGateway(ctx, req.NamespacedName)
	if gwd == nil || err != nil {
		return ctrl.Result{RequeueAfter: wait}, err
	}
	defer release()
	s := &scope{gwd: gwd, key: req.NamespacedName}
	steps := r.steps()
	if !gwd.DeletionTimestamp.IsZero() {
		steps = r.finalizeSteps()
	}
	ctx, changes := apply.WithChanges(ctx)
	// A gateway without a status yet is new (the arguments are taken now, before the patch).
	defer changes.Record(r.Recorder, gwd, gwd.Status.ObservedGeneration == 0)
	for _, step := range steps {
		if err := step(ctx, s); err != nil {
			return ctrl.Result{}, err
		}
		if s.stop {
			break
		}
	}
	s.errs = append(s.errs, r.writeStatus(ctx, s))
	s.after(changes.CacheWait)
	return ctrl.Result{RequeueAfter: s.requeue}, errors.Join(s.errs...)
}

// readGateway reads the gateway to reconcile; nil when it is gone (what was kept of it is
// let go). One too large to cache whole is read around the cache, when one of the few slots
// for such gateways is free: release gives the slot back. Without a free slot it is nil,
// with how soon to look again (sooner when a slot frees).
func (r *GatewayDeploymentReconciler) readGateway(ctx context.Context, key types.NamespacedName) (gwd *gatewayv1alpha1.GatewayDeployment, wait time.Duration, release func(), err error) {
	gwd = &gatewayv1alpha1.GatewayDeployment{}
	release = func() {}
	if err := r.Get(ctx, key, gwd); err != nil {
		if apierrors.IsNotFound(err) {
			r.statusWrites.Delete(key)
			r.progress.forget(key)
			r.conflictsTold.Delete(key)
			r.configVerdicts.Delete(key)
			r.applier.Forget(key)
			gatewaymetrics.Gateways.Forget(key)
			r.releaseRoll(key)
		}
		return nil, 0, release, client.IgnoreNotFound(err)
	}
	if _, slim := gwd.Annotations[annotationSpecNotCached]; !slim {
		return gwd, 0, release, nil
	}
	// Too large to cache whole (see MaxCachedGatewayBytes). Waiting here would hold a worker.
	if !r.large.take(key) {
		return nil, largeRetry, release, nil
	}
	if err := r.APIReader.Get(ctx, key, gwd); err != nil {
		r.large.release()
		return nil, 0, release, client.IgnoreNotFound(err)
	}
	return gwd, 0, r.large.release, nil
}

// soonest is the earliest of requeue delays, where 0 means none.
func soonest(delays ...time.Duration) time.Duration {
	var first time.Duration
	for _, d := range delays {
		if d > 0 && (first == 0 || d < first) {
			first = d
		}
	}
	return first
}

// applyStep writes one part of the desired children and records what it saw in obs. It may
// ask to be run again after a while (an optional capability arriving).
type applyStep func(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, desired *render.Objects, obs *status.Observed) (time.Duration, error)

// applyChildren applies the Deployment and the Service, side by side: a new gateway waits
// for one round trip to the API server, not two.
func (r *GatewayDeploymentReconciler) applyChildren(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, desired *render.Objects, obs *status.Observed) (time.Duration, error) {
	deployment := &appsv1.Deployment{}
	var depErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		if desired.Deployment != nil {
			depErr = apply.Apply(ctx, r.applier, gwd, "Deployment", gwd.Name, deployment, desired.Deployment, r.handOverReplicas)
		} else if err := r.Get(ctx, types.NamespacedName{Namespace: gwd.Namespace, Name: gwd.Name}, deployment); client.IgnoreNotFound(err) != nil {
			depErr = err
		}
	})
	service := &corev1.Service{}
	svcErr := apply.Apply(ctx, r.applier, gwd, "Service", gwd.Name, service, desired.Service, r.removeForeignServicePorts)
	wg.Wait()
	if apply.Found(deployment) {
		obs.Deployment = deployment
	}
	if apply.Found(service) {
		obs.Service = service
	}
	return 0, errors.Join(depErr, svcErr)
}

// observePods lists the gateway's pods from the cache.
func (r *GatewayDeploymentReconciler) observePods(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment) ([]corev1.Pod, error) {
	pods := &corev1.PodList{}
	if err := r.List(ctx, pods, client.InNamespace(gwd.Namespace), client.MatchingFields{podsByGatewayIndex: gwd.Name},
		client.MatchingLabels(gwd.SelectorLabels())); err != nil {
		return nil, fmt.Errorf("listing the gateway's pods: %w", err)
	}
	return pods.Items, nil
}

// DefaultStatusFold is the least time between two status writes of a gateway on its way
// somewhere (a new one starting, a rollout under way): progress in between is folded into the
// next write. Ready and problems are written at once, and nothing waits longer than this.
const DefaultStatusFold = 5 * time.Second

// patchStatus writes the assessed status, and only when it differs from the stored one. When
// it holds back an intermediate status, it says how soon to reconcile again to write it.
func (r *GatewayDeploymentReconciler) patchStatus(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, obs status.Observed) (time.Duration, error) {
	// The API stores condition times in whole seconds; compare like with like.
	now := metav1.NewTime(r.Clock.Now()).Rfc3339Copy()
	next := status.Assess(gwd, obs, now)
	gatewaymetrics.Gateways.Record(client.ObjectKeyFromObject(gwd), status.DesiredReplicas(gwd, obs.Deployment), &next)
	key := client.ObjectKeyFromObject(gwd)
	if equality.Semantic.DeepEqual(gwd.Status, next) {
		r.progress.forget(key)
		return 0, nil
	}
	if !status.Settled(next) {
		// A monotonic in-process clock: this only spaces writes. A gateway seen for the first
		// time starts its fold now, so that one that is Ready soon gets one write, not three.
		last, seen := r.statusWrites.LoadOrStore(key, time.Now())
		if !seen {
			return r.statusFold(), nil
		}
		if wait := r.statusFold() - time.Since(last.(time.Time)); wait > 0 {
			return wait, nil
		}
		if !r.progress.take(key) {
			return 0, nil // in line: its turn wakes it
		}
	}
	patch := client.MergeFrom(gwd.DeepCopy())
	gwd.Status = next
	if err := r.Status().Patch(ctx, gwd, patch); err != nil {
		return 0, fmt.Errorf("patching status: %w", err)
	}
	r.statusWrites.Store(key, time.Now())
	r.progress.forget(key)
	return 0, nil
}

func (r *GatewayDeploymentReconciler) statusFold() time.Duration {
	return cmp.Or(r.StatusFold, DefaultStatusFold)
}

// prune deletes gwd's children of a component, found in from, that are not wanted any more.
func (r *GatewayDeploymentReconciler) prune(ctx context.Context, from client.Reader, gwd *gatewayv1alpha1.GatewayDeployment, component string, wanted map[string]bool, list client.ObjectList) error {
	return r.applier.Prune(ctx, from, gwd, client.MatchingLabels{
		gatewayv1alpha1.LabelGatewayDeployment: gwd.Name,
		gatewayv1alpha1.LabelComponent:         component,
	}, wanted, list)
}

// gatewayOfChild maps a child to the GatewayDeployment that controls it, from its owner
// reference alone. controller-runtime's owner handler does the same but asks the REST mapper
// about the owner's kind on every event, for both the old and the new object: 4 % of all the
// operator allocated at N=1,000.
func gatewayOfChild(_ context.Context, obj client.Object) []reconcile.Request {
	owner := metav1.GetControllerOf(obj)
	if owner == nil || owner.Kind != "GatewayDeployment" {
		return nil
	}
	if gv, err := schema.ParseGroupVersion(owner.APIVersion); err != nil || gv.Group != gatewayv1alpha1.GroupVersion.Group {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: owner.Name}}}
}

// gatewayOfPod names the GatewayDeployment a gateway pod belongs to.
func gatewayOfPod(_ context.Context, obj client.Object) []reconcile.Request {
	name := obj.GetLabels()[gatewayv1alpha1.LabelGatewayDeployment]
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: name}}}
}

// podsByGatewayIndex indexes the cached pods by their gateway's name: a reconcile then reads
// its own pods rather than matching every pod in the namespace, which made each of N gateways
// cost O(N).
const podsByGatewayIndex = "metadata.labels.gateway"

func podGateway(obj client.Object) []string {
	if name, ok := obj.GetLabels()[gatewayv1alpha1.LabelGatewayDeployment]; ok {
		return []string{name}
	}
	return nil
}

// konnectSecretsIndex indexes GatewayDeployments by the Secrets spec.konnect names.
const konnectSecretsIndex = "spec.konnect.secrets"

func konnectSecrets(obj client.Object) []string {
	k := obj.(*gatewayv1alpha1.GatewayDeployment).Spec.Konnect
	if k == nil {
		return nil
	}
	names := []string{k.AuthSecretRef.Name}
	if k.Certificate.SecretName != "" {
		names = append(names, k.Certificate.SecretName)
	}
	return names
}

// gatewaysOfSecret names the gateways a Secret concerns: its owner, and those whose
// spec.konnect names it.
func (r *GatewayDeploymentReconciler) gatewaysOfSecret(ctx context.Context, obj client.Object) []reconcile.Request {
	out := gatewayOfChild(ctx, obj)
	gateways := &gatewayv1alpha1.GatewayDeploymentList{}
	if err := r.List(ctx, gateways, client.InNamespace(obj.GetNamespace()), client.MatchingFields{konnectSecretsIndex: obj.GetName()}); err != nil {
		log.FromContext(ctx).Error(err, "listing the gateways that use a Secret", "secret", obj.GetName())
		return out
	}
	for _, g := range gateways.Items {
		out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: g.Namespace, Name: g.Name}})
	}
	return out
}

// notOnCreate passes over a child's creation: Portico created its Deployment and Service in
// the reconcile that judged them, a new pod is not ready yet (its updates follow), and at
// start-up each gateway's own event reconciles it. Updates and deletions still count. At 500
// new gateways this spares about three reconciles each.
var notOnCreate = predicate.Funcs{CreateFunc: func(event.CreateEvent) bool { return false }}

// newsOn is an update predicate for kind T: an update is news unless same finds that nothing
// Portico reads of the object changed.
func newsOn[T client.Object](same func(old, cur T) bool) predicate.Funcs {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		old, okOld := e.ObjectOld.(T)
		cur, okNew := e.ObjectNew.(T)
		return !okOld || !okNew || !same(old, cur)
	}}
}

// deploymentNews passes over the Deployment controller's writes that change nothing Portico
// reads: while a rollout starts, most of them move a condition's reason or time, which no
// gateway's status shows (status.SameDeploymentView). Metadata, the generation and deletion
// still count.
var deploymentNews = newsOn(func(old, cur *appsv1.Deployment) bool {
	if !status.SameDeploymentView(old, cur) {
		return false
	}
	same := *old
	same.ResourceVersion, same.Status = cur.ResourceVersion, cur.Status
	return equality.Semantic.DeepEqual(&same, cur)
})

// podNews passes over pod writes that leave what the cache keeps of a pod (podStatusOnly)
// as it was: a pod being scheduled, say.
var podNews = newsOn(func(old, cur *corev1.Pod) bool {
	same := *old
	same.ResourceVersion = cur.ResourceVersion
	return equality.Semantic.DeepEqual(&same, cur)
})

// newRegistrar makes the Konnect side of the reconciler: its calls bounded to a share of the
// workers, each counted in the metrics.
func (r *GatewayDeploymentReconciler) newRegistrar(maxConcurrent int) *registrar {
	timings := r.KonnectTimings.orDefaults()
	reg := &registrar{Client: r.Client, applier: r.applier, scheme: r.scheme, recorder: r.Recorder, clock: r.Clock,
		http: r.KonnectHTTP, apiHosts: r.KonnectAPIHosts, timings: timings, byID: map[types.UID]*konnectMemory{},
		gate: konnect.NewGate(r.Clock.Now, timings.FailureHold, max(2, maxConcurrent/4))}
	reg.gate.Observer = func(operation, outcome string) {
		gatewaymetrics.KonnectRequests.WithLabelValues(operation, outcome).Inc()
	}
	return reg
}

// indexFields indexes the cached gateways by the Secrets and configurations they name, and
// the pods by their gateway.
func indexFields(mgr ctrl.Manager) error {
	indexer := mgr.GetFieldIndexer()
	return errors.Join(
		indexer.IndexField(context.Background(), &gatewayv1alpha1.GatewayDeployment{}, konnectSecretsIndex, konnectSecrets),
		indexer.IndexField(context.Background(), &corev1.Pod{}, podsByGatewayIndex, podGateway),
		indexer.IndexField(context.Background(), &gatewayv1alpha1.GatewayDeployment{}, configSourcesIndex, configSources))
}

// prepareCaches indexes the manager's cache, starts the cache of configuration Secrets and
// keeps the Deployment spec store in step with deletions.
func (r *GatewayDeploymentReconciler) prepareCaches(mgr ctrl.Manager) error {
	if r.DeploymentSpecs == nil {
		// Without it every comparison would see a Deployment without a spec and apply again.
		return errors.New("the reconciler needs the DeploymentSpecs given to CacheOptions")
	}
	if err := indexFields(mgr); err != nil {
		return err
	}
	configSecrets, err := configSecretCache(mgr, r.WatchNamespace)
	if err != nil {
		return err
	}
	r.configSecrets = configSecrets
	return r.DeploymentSpecs.WatchDeletions(context.Background(), mgr.GetCache())
}

// SetupWithManager registers the controller. Its watches see only Portico's own children:
// the manager's cache selects them by label.
func (r *GatewayDeploymentReconciler) SetupWithManager(mgr ctrl.Manager, maxConcurrent int) error {
	r.cache, r.scheme, r.mapper = mgr.GetCache(), mgr.GetScheme(), mgr.GetRESTMapper()
	r.applier = &apply.Applier{Client: r.Client, APIReader: r.APIReader, Scheme: r.scheme, Recorder: r.Recorder,
		Specs: r.DeploymentSpecs, FieldManager: FieldManager}
	r.large = newLargeSlots(largeAtOnce)
	r.progress = newProgressTurns(cmp.Or(r.ProgressWrites, DefaultProgressWrites))
	if err := mgr.Add(r.progress); err != nil {
		return err
	}
	r.konnect = r.newRegistrar(maxConcurrent)
	if err := r.prepareCaches(mgr); err != nil {
		return err
	}
	c, err := ctrl.NewControllerManagedBy(mgr).
		// Status writes (Portico's own among them) do not change the generation: skip them.
		For(&gatewayv1alpha1.GatewayDeployment{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// The Deployment and the pods report a gateway's progress: handled first (priority.go).
		Watches(&appsv1.Deployment{}, progressFirst(handler.EnqueueRequestsFromMapFunc(gatewayOfChild)), builder.WithPredicates(notOnCreate, deploymentNews)).
		Watches(&corev1.Service{}, handler.EnqueueRequestsFromMapFunc(gatewayOfChild), builder.WithPredicates(notOnCreate)).
		// A budget's status follows every pod: only changes to its spec, or its deletion, matter.
		Watches(&policyv1.PodDisruptionBudget{}, handler.EnqueueRequestsFromMapFunc(gatewayOfChild), builder.WithPredicates(notOnCreate, predicate.GenerationChangedPredicate{})).
		// The autoscaler's status (its replicas, whether it can read metrics) is the gateway's.
		Watches(&autoscalingv2.HorizontalPodAutoscaler{}, handler.EnqueueRequestsFromMapFunc(gatewayOfChild), builder.WithPredicates(notOnCreate)).
		// The registration Secrets (owned) and the token and certificate Secrets users label
		// for Portico: a fixed or rotated Secret re-triggers the gateways that name it.
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.gatewaysOfSecret)).
		// The configurations users label for spec.config, and Portico's copies of them.
		Watches(&corev1.ConfigMap{}, handler.EnqueueRequestsFromMapFunc(r.gatewaysOfConfig("ConfigMap"))).
		WatchesRawSource(source.Kind(r.configSecrets, client.Object(&corev1.Secret{}), handler.EnqueueRequestsFromMapFunc(r.gatewaysOfConfig("Secret")))).
		// Pods belong to ReplicaSets, not to the GatewayDeployment: map them by label.
		Watches(&corev1.Pod{}, progressFirst(handler.EnqueueRequestsFromMapFunc(gatewayOfPod)), builder.WithPredicates(notOnCreate, podNews)).
		// Istio, or OpenShift's Routes, may arrive while Portico runs. Metadata is all it needs.
		WatchesMetadata(&apiextensionsv1.CustomResourceDefinition{}, handler.EnqueueRequestsFromMapFunc(r.crdChanged)).
		// Istio's sidecar injector arriving (or going) changes what meshed pods get.
		// The cache selects only those (CacheOptions).
		WatchesMetadata(&admissionregistrationv1.MutatingWebhookConfiguration{}, handler.EnqueueRequestsFromMapFunc(r.injectorChanged)).
		// A large gateway that waited for a slot is woken when one frees.
		WatchesRawSource(source.Channel(r.large.wake, &handler.EnqueueRequestForObject{})).
		// So is one whose turn to write its progress came.
		WatchesRawSource(source.Channel(r.progress.wake, &handler.EnqueueRequestForObject{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: maxConcurrent}).
		Named("gatewaydeployment").
		Build(r)
	if err != nil {
		return err
	}
	r.controller = c
	return r.detectAll()
}
