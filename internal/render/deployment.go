// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/convert"
)

const (
	// ContainerName is the gateway container's name.
	ContainerName = "kong"
	// AnnotationSpecHash on every child fingerprints what Portico last applied. Any change to
	// the desired object changes it, removals included, which is how the apply step can tell
	// "Portico asked for less" from "the server added defaults".
	AnnotationSpecHash = "gateway.portico.dev/spec-hash"
	// AnnotationConfigHash on the pod template fingerprints what the pods run with, so a
	// change to it, and only such a change, rolls the pods.
	AnnotationConfigHash = "gateway.portico.dev/config-hash"
	// revisionHistoryLimit keeps a few old ReplicaSets for rollbacks without piling them up.
	revisionHistoryLimit = 5
)

// Deployment builds the gateway's Deployment: Kong in DB-less mode, restricted pod security.
func Deployment(in Inputs) (*appsv1ac.DeploymentApplyConfiguration, error) {
	gwd := in.GatewayDeployment
	spec := &gwd.Spec

	podSpec, err := podSpec(in)
	if err != nil {
		return nil, err
	}
	template := corev1ac.PodTemplateSpec().
		WithLabels(mergedLabels(mergedLabels(spec.Pod.Labels.Strings(), meshPodLabels(spec.Mesh)), Labels(gwd, gatewayv1alpha1.ComponentGateway))).
		WithSpec(podSpec)
	if annotations := mergedLabels(spec.Pod.Annotations, meshPodAnnotations(spec.Mesh)); len(annotations) > 0 {
		template.WithAnnotations(annotations)
	}
	if in.Konnect != nil {
		template.WithAnnotations(map[string]string{AnnotationKonnectCertificate: in.Konnect.CertificateID})
	}
	if in.InjectorPresent && gwd.Spec.SidecarsWanted() {
		template.WithAnnotations(map[string]string{AnnotationIstioInjector: "registered"})
		if in.SidecarRevision != "" {
			template.WithAnnotations(map[string]string{AnnotationSidecarRevision: in.SidecarRevision})
		}
	}
	hash, err := hashOf(template)
	if err != nil {
		return nil, err
	}
	template.WithAnnotations(map[string]string{AnnotationConfigHash: hash})

	rollout := spec.Rollout
	deploymentSpec := appsv1ac.DeploymentSpec().
		WithSelector(metav1ac.LabelSelector().WithMatchLabels(gwd.SelectorLabels())).
		WithRevisionHistoryLimit(revisionHistoryLimit).
		WithStrategy(appsv1ac.DeploymentStrategy().
			WithType(appsv1.RollingUpdateDeploymentStrategyType).
			WithRollingUpdate(appsv1ac.RollingUpdateDeployment().
				WithMaxSurge(rollout.MaxSurgeOrDefault()).
				WithMaxUnavailable(rollout.MaxUnavailableOrDefault()))).
		WithTemplate(template)
	// A zero is not stored for a non-pointer field, so Portico could never own it: setting it
	// would make every comparison differ and every reconcile write.
	if rollout.MinReadySeconds > 0 {
		deploymentSpec.WithMinReadySeconds(rollout.MinReadySeconds)
	}
	if rollout.ProgressDeadlineSeconds != nil {
		deploymentSpec.WithProgressDeadlineSeconds(*rollout.ProgressDeadlineSeconds)
	}
	deployment := appsv1ac.Deployment(gwd.Name, gwd.Namespace).
		WithLabels(Labels(gwd, gatewayv1alpha1.ComponentGateway)).
		WithOwnerReferences(ownerReference(gwd)).
		WithSpec(deploymentSpec)
	if spec.Autoscaling == nil {
		deploymentSpec.WithReplicas(spec.DesiredReplicas())
	} else {
		// The autoscaler sets replicas through the scale subresource: Portico leaves them out,
		// or every apply would undo its work.
		deployment.WithAnnotations(map[string]string{AnnotationReplicas: ReplicasAutoscaled})
	}
	return deployment, nil
}

// Image is the gateway image gwd runs.
func Image(gwd *gatewayv1alpha1.GatewayDeployment, defaultImage string) string {
	if gwd.Spec.Image != "" {
		return gwd.Spec.Image
	}
	return defaultImage
}

func podSpec(in Inputs) (*corev1ac.PodSpecApplyConfiguration, error) {
	spec := &in.GatewayDeployment.Spec
	container, err := gatewayContainer(in)
	if err != nil {
		return nil, err
	}
	podSecurity := corev1ac.PodSecurityContext().
		WithRunAsNonRoot(true).
		WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault))
	if in.TLS != nil && !in.AssignsUID {
		// The certificates are readable by their group only; where the platform assigns
		// no fsGroup (OpenShift's restricted-v2 does), Kong's is it.
		podSecurity.WithFSGroup(KongGID)
	}
	ps := corev1ac.PodSpec().
		// Kong never talks to the Kubernetes API: no token in the pod.
		WithAutomountServiceAccountToken(false).
		WithSecurityContext(podSecurity).
		WithContainers(container)
	for _, v := range podVolumes(in) {
		ps.WithVolumes(v.volume)
	}
	if name := spec.Pod.ServiceAccountName; name != "" {
		ps.WithServiceAccountName(name)
	}
	if len(spec.ImagePullSecrets) > 0 {
		secrets, err := convertEach[corev1ac.LocalObjectReferenceApplyConfiguration](spec.ImagePullSecrets)
		if err != nil {
			return nil, err
		}
		ps.WithImagePullSecrets(secrets...)
	}
	return ps, placement(ps, &spec.Pod)
}

// placement sets where and how the pods are scheduled, as spec.pod asks.
func placement(ps *corev1ac.PodSpecApplyConfiguration, pod *gatewayv1alpha1.PodOverrides) error {
	if pod.PriorityClassName != "" {
		ps.WithPriorityClassName(pod.PriorityClassName)
	}
	if pod.TerminationGracePeriodSeconds != nil {
		ps.WithTerminationGracePeriodSeconds(*pod.TerminationGracePeriodSeconds)
	}
	if len(pod.NodeSelector) > 0 {
		ps.WithNodeSelector(pod.NodeSelector.Strings())
	}
	if len(pod.Tolerations) > 0 {
		tolerations, err := convertEach[corev1ac.TolerationApplyConfiguration](pod.Tolerations)
		if err != nil {
			return err
		}
		ps.WithTolerations(tolerations...)
	}
	if len(pod.TopologySpreadConstraints) > 0 {
		constraints, err := convertEach[corev1ac.TopologySpreadConstraintApplyConfiguration](pod.TopologySpreadConstraints)
		if err != nil {
			return err
		}
		ps.WithTopologySpreadConstraints(constraints...)
	}
	if pod.Affinity != nil {
		affinity, err := convert.To[corev1ac.AffinityApplyConfiguration](pod.Affinity)
		if err != nil {
			return err
		}
		ps.WithAffinity(affinity)
	}
	return nil
}

// podVolume is a volume of the gateway pod and where the gateway container mounts it.
type podVolume struct {
	volume *corev1ac.VolumeApplyConfiguration
	mount  *corev1ac.VolumeMountApplyConfiguration
}

// podVolumes are Kong's writable directories (the root filesystem is read-only) and what
// the spec gives it to read.
func podVolumes(in Inputs) []podVolume {
	volumes := []podVolume{
		{corev1ac.Volume().WithName("kong-prefix").WithEmptyDir(corev1ac.EmptyDirVolumeSource()),
			corev1ac.VolumeMount().WithName("kong-prefix").WithMountPath(prefixDir)},
		{corev1ac.Volume().WithName("tmp").WithEmptyDir(corev1ac.EmptyDirVolumeSource()),
			corev1ac.VolumeMount().WithName("tmp").WithMountPath(tmpDir)},
	}
	if in.Konnect != nil {
		volumes = append(volumes, podVolume{konnectVolumeSource(in.Konnect), konnectVolumeMount()})
	}
	if in.Config != nil {
		volumes = append(volumes, podVolume{configVolumeSource(in.Config),
			corev1ac.VolumeMount().WithName(configVolume).WithMountPath(configDir).WithReadOnly(true)})
	}
	if in.TLS != nil {
		volumes = append(volumes, tlsVolumes(in.TLS))
	}
	return volumes
}

func gatewayContainer(in Inputs) (*corev1ac.ContainerApplyConfiguration, error) {
	spec := &in.GatewayDeployment.Spec
	env, err := convertEach[corev1ac.EnvVarApplyConfiguration](gatewayEnv(spec, in.ProxyEnv, in.Konnect, in.Config, in.TLS))
	if err != nil {
		return nil, err
	}
	c := corev1ac.Container().
		WithName(ContainerName).
		WithImage(Image(in.GatewayDeployment, in.DefaultImage)).
		WithEnv(env...).
		WithPorts(containerPorts(spec.Service.Ports)...).
		WithReadinessProbe(statusProbe("/status/ready").
			WithPeriodSeconds(5).WithFailureThreshold(3)).
		WithLivenessProbe(statusProbe("/status").
			WithInitialDelaySeconds(5).WithPeriodSeconds(10).WithFailureThreshold(3)).
		// Let Kong finish in-flight requests before the pod goes away.
		WithLifecycle(corev1ac.Lifecycle().WithPreStop(corev1ac.LifecycleHandler().
			WithExec(corev1ac.ExecAction().WithCommand("kong", "quit", "--wait=15")))).
		WithSecurityContext(containerSecurityContext(in))
	for _, v := range podVolumes(in) {
		c.WithVolumeMounts(v.mount)
	}
	if spec.ImagePullPolicy != "" {
		c.WithImagePullPolicy(spec.ImagePullPolicy)
	}
	if len(spec.EnvFrom) > 0 {
		envFrom, err := convertEach[corev1ac.EnvFromSourceApplyConfiguration](spec.EnvFrom)
		if err != nil {
			return nil, err
		}
		c.WithEnvFrom(envFrom...)
	}
	if r := spec.Resources; r != nil && (len(r.Limits) > 0 || len(r.Requests) > 0 || len(r.Claims) > 0) {
		resources, err := convert.To[corev1ac.ResourceRequirementsApplyConfiguration](r)
		if err != nil {
			return nil, err
		}
		c.WithResources(resources)
	}
	return c, nil
}

// containerSecurityContext is Pod Security "restricted", with the user to run as when the
// platform does not assign one.
func containerSecurityContext(in Inputs) *corev1ac.SecurityContextApplyConfiguration {
	sc := corev1ac.SecurityContext().
		WithAllowPrivilegeEscalation(false).
		WithReadOnlyRootFilesystem(true).
		WithRunAsNonRoot(true).
		WithCapabilities(corev1ac.Capabilities().WithDrop(corev1.Capability("ALL"))).
		WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault))
	switch pod := &in.GatewayDeployment.Spec.Pod; {
	case pod.RunAsUser != nil:
		sc.WithRunAsUser(*pod.RunAsUser)
	case !in.AssignsUID:
		// Kong's images declare a named user, and the kubelet refuses to run a named user
		// under runAsNonRoot: it cannot tell that the name is not root.
		sc.WithRunAsUser(KongUID)
	}
	return sc
}

func containerPorts(ports []gatewayv1alpha1.ServicePort) []*corev1ac.ContainerPortApplyConfiguration {
	out := make([]*corev1ac.ContainerPortApplyConfiguration, 0, len(ports)+1)
	for _, p := range ports {
		out = append(out, corev1ac.ContainerPort().
			WithName(p.Name).WithContainerPort(p.TargetPort).WithProtocol(corev1.ProtocolTCP))
	}
	return append(out, corev1ac.ContainerPort().
		WithName(statusPortName).WithContainerPort(StatusPort).WithProtocol(corev1.ProtocolTCP))
}

func statusProbe(path string) *corev1ac.ProbeApplyConfiguration {
	return corev1ac.Probe().
		WithHTTPGet(corev1ac.HTTPGetAction().
			WithPath(path).
			WithPort(intstr.FromString(statusPortName)).
			WithScheme(corev1.URISchemeHTTP)).
		WithTimeoutSeconds(1)
}

// hashOf fingerprints an object by its JSON form.
func hashOf(obj any) (string, error) {
	h := sha256.New()
	// Streamed through the encoder's pooled buffer rather than json.Marshal's copy: the same
	// bytes, as Encode only adds a newline, which hashedJSON drops. A changed hash would roll
	// out every gateway on upgrade.
	if err := json.NewEncoder(hashedJSON{h}).Encode(obj); err != nil {
		return "", fmt.Errorf("hashing %T: %w", obj, err)
	}
	return hex.EncodeToString(h.Sum(nil)[:8]), nil
}

// hashedJSON writes compact JSON into a hash without the newline json.Encoder ends it with
// (compact JSON has no other newline byte: strings escape theirs).
type hashedJSON struct{ h hash.Hash }

func (w hashedJSON) Write(p []byte) (int, error) {
	_, err := w.h.Write(bytes.TrimSuffix(p, []byte{'\n'}))
	return len(p), err
}

// stampSpecHash adds AnnotationSpecHash, computed over everything else in obj.
func stampSpecHash[T any](obj any, withAnnotations func(map[string]string) T) error {
	hash, err := hashOf(obj)
	if err != nil {
		return err
	}
	withAnnotations(map[string]string{AnnotationSpecHash: hash})
	return nil
}
