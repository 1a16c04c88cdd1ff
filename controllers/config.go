// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/apply"
	"github.com/portico-dev/portico/internal/kongconfig"
	"github.com/portico-dev/portico/internal/render"
	"github.com/portico-dev/portico/internal/status"
)

// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;delete

// configRun is what the configuration step found for one reconcile.
type configRun struct {
	// render is the copy the pods mount; nil with the default configuration or Konnect.
	render *render.Config
	// hold keeps the Deployment as it is: the configuration spec.config names cannot be used,
	// and the pods keep running the last valid one.
	hold bool
	// upstreamHosts are the cluster Services the configuration's upstreams name.
	upstreamHosts []string
	// recheck asks to look again later: the source is missing or unlabelled, and the cache,
	// which holds only labelled ones, would not tell when it comes.
	recheck  bool
	observed status.ConfigObserved
}

// resolveConfig reads and checks the configuration spec.config names, and makes sure its
// checked copy exists. A configuration that cannot be used is reported, never passed on.
func (r *GatewayDeploymentReconciler) resolveConfig(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment) (configRun, error) {
	src := gwd.Spec.Config
	if src == nil {
		return configRun{observed: status.ConfigObserved{Requested: gwd.Spec.Konnect == nil}}, nil
	}
	run := configRun{observed: status.ConfigObserved{Requested: true, Source: describeSource(src)}}
	data, version, reason, why, err := r.readConfigSource(ctx, gwd)
	if err != nil {
		return run, err
	}
	var verdict *configVerdict
	if reason == "" {
		verdict = r.checkConfig(gwd, version, data)
		reason, why = verdict.reason, verdict.why
		run.observed.Warnings, run.upstreamHosts = verdict.warnings, verdict.upstreamHosts
		run.observed.MeshChecked, run.observed.Bypasses = verdict.meshChecked, verdict.bypasses
	}
	if reason != "" {
		run.hold = true
		run.recheck = reason == gatewayv1alpha1.ReasonConfigNotFound || reason == gatewayv1alpha1.ReasonConfigNotLabelled
		run.observed.Reason, run.observed.Message = reason, why
		r.tellProblem(gwd, gatewayv1alpha1.ConditionConfigValid, reason, why)
		return run, nil
	}
	run.render = &render.Config{Secret: src.SecretKeyRef != nil, Name: render.ConfigCopyName(gwd.Name, verdict.hash)}
	run.observed.Copy = run.render.Name
	return run, r.ensureCopy(ctx, gwd, immutableCopy{
		secret: run.render.Secret, name: run.render.Name, component: render.ComponentConfig,
		data:   func() map[string][]byte { return map[string][]byte{render.ConfigKey: data()} },
		reason: gatewayv1alpha1.ReasonConfigAccepted,
		message: fmt.Sprintf("Checked %s and copied it to %s; the pods roll onto it once", describeSource(src),
			run.render.Name),
	})
}

// configVerdict is what the checks found of one version of a gateway's configuration.
type configVerdict struct {
	// of identifies the version: the source's UID, resourceVersion and key, and whether the
	// mesh was judged.
	of                    string
	reason, why, warnings string
	upstreamHosts         []string
	meshChecked           bool
	bypasses              string
	hash                  string
}

// checkConfig checks the configuration load gives, the version of the gateway's source that
// version names, unless it checked that version last time: checking 1 MiB takes a quarter of
// a second and 90 MB of garbage, and a gateway is reconciled at each event of its pods.
func (r *GatewayDeploymentReconciler) checkConfig(gwd *gatewayv1alpha1.GatewayDeployment, version string, load func() []byte) *configVerdict {
	key := client.ObjectKeyFromObject(gwd)
	meshed := gwd.Spec.SidecarsExpected()
	of := fmt.Sprintf("%s/%t", version, meshed)
	if v, ok := r.configVerdicts.Load(key); ok && v.(*configVerdict).of == of {
		return v.(*configVerdict)
	}
	data := load()
	v := &configVerdict{of: of, hash: contentHash(data)}
	report := kongconfig.Check(data)
	switch {
	case !report.Valid():
		v.reason = gatewayv1alpha1.ReasonConfigInvalid
		if report.TooLarge {
			v.reason = gatewayv1alpha1.ReasonConfigTooLarge
		}
		v.why = fmt.Sprintf("%s is not a configuration Kong would load: %s", describeSource(gwd.Spec.Config), report.Summary(3))
	default:
		v.warnings = report.WarningSummary(3)
		if meshed {
			mesh := report.Mesh(gwd.Namespace)
			v.upstreamHosts, v.meshChecked, v.bypasses = mesh.Hosts, true, mesh.BypassSummary(3)
		}
	}
	r.configVerdicts.Store(key, v)
	return v
}

func describeSource(src *gatewayv1alpha1.ConfigSource) string {
	if ref := src.SecretKeyRef; ref != nil {
		return fmt.Sprintf("key %s of Secret %s", ref.Key, ref.Name)
	}
	return fmt.Sprintf("key %s of ConfigMap %s", src.ConfigMapKeyRef.Key, src.ConfigMapKeyRef.Name)
}

// readConfigSource returns the configuration's bytes, or the reason and message it cannot be
// had. It reads the labelled sources from the cache, and only when that finds none asks the
// API server, once, whether an unlabelled one exists, to say how to label it.
func (r *GatewayDeploymentReconciler) readConfigSource(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment) (data func() []byte, version, reason, why string, err error) {
	src := gwd.Spec.Config
	ref := src.ConfigMapKeyRef
	if src.SecretKeyRef != nil {
		ref = src.SecretKeyRef
	}
	reader, obj, kind := r.configObject(src.SecretKeyRef != nil)
	key := types.NamespacedName{Namespace: gwd.Namespace, Name: ref.Name}
	label := fmt.Sprintf("kubectl label %s %s -n %s %s=%s --overwrite", strings.ToLower(kind), ref.Name, gwd.Namespace, gatewayv1alpha1.LabelConfig, gatewayv1alpha1.ConfigSourceValue)
	described := describeSource(src)
	err = reader.Get(ctx, key, obj)
	switch {
	case apierrors.IsNotFound(err):
		existing, err := r.applier.Existing(ctx, key, obj)
		if err != nil {
			return nil, "", "", "", fmt.Errorf("reading %s %s: %w", kind, ref.Name, err)
		}
		if existing == nil {
			return nil, "", gatewayv1alpha1.ReasonConfigNotFound, fmt.Sprintf("%s %s does not exist in namespace %s.", kind, ref.Name, gwd.Namespace), nil
		}
		return nil, "", gatewayv1alpha1.ReasonConfigNotLabelled, fmt.Sprintf("%s %s is not labelled for Portico, which reads only ConfigMaps and Secrets so marked: run %s", kind, ref.Name, label), nil
	case err != nil:
		return nil, "", "", "", fmt.Errorf("reading %s %s: %w", kind, ref.Name, err)
	}
	if obj.GetLabels()[gatewayv1alpha1.LabelConfig] != gatewayv1alpha1.ConfigSourceValue {
		return nil, "", gatewayv1alpha1.ReasonConfigNotLabelled, fmt.Sprintf("%s %s is labelled %s=%s, not %s: run %s", kind, ref.Name,
			gatewayv1alpha1.LabelConfig, obj.GetLabels()[gatewayv1alpha1.LabelConfig], gatewayv1alpha1.ConfigSourceValue, label), nil
	}
	if size, dropped := obj.GetAnnotations()[annotationDataDropped]; dropped {
		return nil, "", gatewayv1alpha1.ReasonConfigTooLarge, fmt.Sprintf("%s %s holds %s bytes, more than the %d Portico takes.", kind, ref.Name, size, kongconfig.MaxBytes), nil
	}
	// The bytes are taken only when needed (a new version to check, a copy to make): a
	// source may hold a MiB, and the cache hands out its own object (no deep copy).
	var found bool
	var keys []string
	switch o := obj.(type) {
	case *corev1.ConfigMap:
		if s, ok := o.Data[ref.Key]; ok {
			found, data = true, func() []byte { return []byte(s) }
		} else if b, ok := o.BinaryData[ref.Key]; ok {
			found, data = true, func() []byte { return b }
		}
		keys = append(slices.Sorted(maps.Keys(o.Data)), slices.Sorted(maps.Keys(o.BinaryData))...)
	case *corev1.Secret:
		b, ok := o.Data[ref.Key]
		found, data = ok, func() []byte { return b }
		keys = slices.Sorted(maps.Keys(o.Data))
	}
	if !found {
		return nil, "", gatewayv1alpha1.ReasonConfigNotFound, fmt.Sprintf("%s has no such key (it has: %s).", described, strings.Join(keys, ", ")), nil
	}
	return data, fmt.Sprintf("%s/%s/%s", obj.GetUID(), obj.GetResourceVersion(), ref.Key), "", "", nil
}

// configObject is where configurations of a kind are read (the cache of ConfigMaps, or the
// one of configuration Secrets), an empty object to read into, and the kind's name.
func (r *GatewayDeploymentReconciler) configObject(secret bool) (client.Reader, client.Object, string) {
	if secret {
		return r.configSecrets, &corev1.Secret{}, "Secret"
	}
	return r.Client, &corev1.ConfigMap{}, "ConfigMap"
}

// contentHash names a configuration's copy: 40 bits of its SHA-256, so that two versions of
// one gateway's configuration never share a copy in practice.
func contentHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:5])
}

// tellProblem raises a Warning event when a condition's problem is new: the same finding at
// the next reconcile is already in the status, whose message begins with the event's.
func (r *GatewayDeploymentReconciler) tellProblem(gwd *gatewayv1alpha1.GatewayDeployment, condType, reason, message string) {
	for _, c := range gwd.Status.Conditions {
		if c.Type == condType && c.Reason == reason && strings.HasPrefix(c.Message, message) {
			return
		}
	}
	r.Recorder.Eventf(gwd, nil, corev1.EventTypeWarning, reason, "Check", "%s", message)
}

// immutableCopy is Portico's checked copy of what a user labelled for it (a configuration,
// the listener certificates): the copy, not the user's object, is what the pods mount, so a
// later edit of the source cannot reach a pod unchecked, and a pod that restarts mid-rollout
// still finds its version. Its name carries its content's hash.
type immutableCopy struct {
	secret          bool
	name, component string
	data            func() map[string][]byte
	// reason and message are the Normal event told when it is made.
	reason, message string
}

// ensureCopy creates c, unless it exists.
func (r *GatewayDeploymentReconciler) ensureCopy(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, c immutableCopy) error {
	reader, obj, kind := r.configObject(c.secret)
	key := types.NamespacedName{Namespace: gwd.Namespace, Name: c.name}
	child := apply.ChildKey(kind, c.name)
	switch err := reader.Get(ctx, key, obj); {
	case err == nil:
		if !metav1.IsControlledBy(obj, gwd) {
			return apply.ConflictWith(kind, obj)
		}
		return nil
	case !apierrors.IsNotFound(err):
		return fmt.Errorf("reading %s %s: %w", kind, c.name, err)
	}
	if wait, ok := r.applier.RecentlyCreated(gwd, child, obj); ok {
		apply.ChangesFrom(ctx).AwaitCache(wait)
		return nil
	}
	existing, err := r.applier.Existing(ctx, key, obj)
	if err != nil {
		return fmt.Errorf("reading %s %s: %w", kind, c.name, err)
	}
	if existing != nil {
		if !metav1.IsControlledBy(existing, gwd) {
			return apply.ConflictWith(kind, existing)
		}
		return nil // Portico's own copy, its label removed: it is immutable, so still right
	}
	labels := render.Labels(gwd, c.component)
	labels[gatewayv1alpha1.LabelConfig] = gatewayv1alpha1.ConfigCopyValue
	meta := metav1.ObjectMeta{
		Name: c.name, Namespace: gwd.Namespace, Labels: labels,
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(gwd, gatewayv1alpha1.GroupVersion.WithKind("GatewayDeployment"))},
	}
	if c.secret {
		obj = &corev1.Secret{ObjectMeta: meta, Immutable: ptr.To(true), Data: c.data()}
	} else {
		data := map[string]string{}
		for k, v := range c.data() {
			data[k] = string(v)
		}
		obj = &corev1.ConfigMap{ObjectMeta: meta, Immutable: ptr.To(true), Data: data}
	}
	if err := r.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating %s %s: %w", kind, c.name, err)
	}
	r.applier.RememberCreated(gwd, child, obj)
	log.FromContext(ctx).Info("created", "kind", kind, "name", c.name)
	r.Recorder.Eventf(gwd, obj, corev1.EventTypeNormal, c.reason, "Create", "%s", c.message)
	return nil
}

// pruneCopies deletes the copies of component the gateway no longer mounts (wanted names the
// one it does), once the rollout away from them has completed: until then a pod of the old
// ReplicaSet may restart and need its file. Held, the Deployment was left as it is: its pods
// may mount any of them.
func (r *GatewayDeploymentReconciler) pruneCopies(ctx context.Context, gwd *gatewayv1alpha1.GatewayDeployment, component, wanted string, held bool, deployment *appsv1.Deployment) error {
	// A data plane waiting for its registration has no Deployment, and runs nothing.
	rolledOut := status.RolloutComplete(deployment, status.DesiredReplicas(gwd, deployment)) || (deployment == nil && gwd.Spec.Konnect != nil)
	if held || !rolledOut {
		return nil
	}
	keep := map[string]bool{wanted: wanted != ""}
	errs := []error{r.prune(ctx, r.configSecrets, gwd, component, keep, &corev1.SecretList{})}
	if component == render.ComponentConfig {
		errs = append(errs, r.prune(ctx, r.Client, gwd, component, keep, &corev1.ConfigMapList{}))
	}
	return errors.Join(errs...)
}

// configSelector selects the ConfigMaps and Secrets the config caches hold: users' sources
// and Portico's copies.
var configSelector = func() labels.Selector {
	req, err := labels.NewRequirement(gatewayv1alpha1.LabelConfig, selection.Exists, nil)
	if err != nil {
		panic(err)
	}
	return labels.NewSelector().Add(*req)
}()

// configAsRead keeps of a configuration source its data (up to kongconfig.MaxBytes) and the
// metadata Portico reads, and of a copy only its metadata: its content is in its name.
func configAsRead(obj any) (any, error) {
	o, ok := obj.(client.Object)
	if !ok {
		return obj, nil
	}
	meta := metadataAsRead(o)
	isCopy := o.GetLabels()[gatewayv1alpha1.LabelConfig] == gatewayv1alpha1.ConfigCopyValue
	switch t := obj.(type) {
	case *corev1.ConfigMap:
		out := &corev1.ConfigMap{ObjectMeta: meta}
		if !isCopy {
			if size := dataSize(t.Data) + dataSize(t.BinaryData); size > kongconfig.MaxBytes {
				out.Annotations = map[string]string{annotationDataDropped: strconv.Itoa(size)}
			} else {
				out.Data, out.BinaryData = t.Data, t.BinaryData
			}
		}
		return out, nil
	case *corev1.Secret:
		out := &corev1.Secret{ObjectMeta: meta, Type: t.Type}
		if !isCopy {
			if size := dataSize(t.Data); size > kongconfig.MaxBytes {
				out.Annotations = map[string]string{annotationDataDropped: strconv.Itoa(size)}
			} else {
				out.Data = t.Data
			}
		}
		return out, nil
	}
	return obj, nil
}

func dataSize[V string | []byte](data map[string]V) int {
	size := 0
	for k, v := range data {
		size += len(k) + len(v)
	}
	return size
}

// configSourcesIndex indexes GatewayDeployments by the objects spec.config and spec.tls name,
// as "ConfigMap/name" or "Secret/name".
const configSourcesIndex = "spec.config.source"

func configSources(obj client.Object) []string {
	spec := &obj.(*gatewayv1alpha1.GatewayDeployment).Spec
	var out []string
	switch c := spec.Config; {
	case c == nil:
	case c.SecretKeyRef != nil:
		out = append(out, "Secret/"+c.SecretKeyRef.Name)
	case c.ConfigMapKeyRef != nil:
		out = append(out, "ConfigMap/"+c.ConfigMapKeyRef.Name)
	}
	if spec.TLS != nil {
		for _, ref := range spec.TLS.CertificateSecretRefs {
			out = append(out, "Secret/"+ref.Name)
		}
	}
	return out
}

// gatewaysOfConfig names the gateways a configuration object concerns: the owner of a copy,
// and those whose spec.config names a source.
func (r *GatewayDeploymentReconciler) gatewaysOfConfig(kind string) func(context.Context, client.Object) []reconcile.Request {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		out := gatewayOfChild(ctx, obj)
		gateways := &gatewayv1alpha1.GatewayDeploymentList{}
		if err := r.List(ctx, gateways, client.InNamespace(obj.GetNamespace()), client.MatchingFields{configSourcesIndex: kind + "/" + obj.GetName()}); err != nil {
			log.FromContext(ctx).Error(err, "listing the gateways that use a configuration", "kind", kind, "name", obj.GetName())
			return out
		}
		for _, g := range gateways.Items {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: g.Namespace, Name: g.Name}})
		}
		return out
	}
}
