// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/operator-framework/api/pkg/manifests"
	operatorsv1alpha1 "github.com/operator-framework/api/pkg/operators/v1alpha1"
	"github.com/operator-framework/api/pkg/validation"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

var root = filepath.Join("..", "..")

// The validators `operator-sdk bundle validate --select-optional suite=operatorframework`
// runs: the defaults, OperatorHub, capabilities, categories, good practices and
// alpha-deprecated APIs. The committed bundle must pass with no error and no warning.
func TestBundlePassesOperatorHubValidation(t *testing.T) {
	bundle, err := manifests.GetBundleFromDir(filepath.Join(root, "bundle", "manifests"))
	if err != nil {
		t.Fatalf("loading the bundle: %v", err)
	}
	validators := validation.DefaultBundleValidators.WithValidators(
		validation.OperatorHubV2Validator,
		validation.StandardCapabilitiesValidator,
		validation.StandardCategoriesValidator,
		validation.GoodPracticesValidator,
		validation.AlphaDeprecatedAPIsValidator,
	)
	objs := append(bundle.ObjectsToValidate(), map[string]string{"k8s-version": "1.37"})
	results := validators.Validate(objs...)
	checked := 0
	for _, result := range results {
		checked++
		for _, e := range result.Errors {
			t.Errorf("%s: error: %s", result.Name, e.Error())
		}
		for _, w := range result.Warnings {
			t.Errorf("%s: warning: %s", result.Name, w.Error())
		}
	}
	if checked == 0 {
		t.Fatal("no validator ran")
	}
}

func TestDockerfileLabelsMatchAnnotations(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(root, "bundle", "metadata", "annotations.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := yaml.UnmarshalStrict(raw, &meta); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(root, "bundle.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	labels := map[string]string{}
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if line, ok := strings.CutPrefix(scanner.Text(), "LABEL "); ok {
			k, v, _ := strings.Cut(line, "=")
			labels[k] = v
		}
	}
	if len(labels) == 0 || len(labels) != len(meta.Annotations) {
		t.Fatalf("%d labels for %d annotations", len(labels), len(meta.Annotations))
	}
	for k, v := range meta.Annotations {
		if labels[k] != v {
			t.Errorf("label %s=%q, annotation %q", k, labels[k], v)
		}
	}
}

// The operator's own pod, as OLM will create it, passes Pod Security "restricted" and leaves
// the UID to OpenShift's restricted-v2.
func TestOperatorPodIsRestricted(t *testing.T) {
	bundle, err := manifests.GetBundleFromDir(filepath.Join(root, "bundle", "manifests"))
	if err != nil {
		t.Fatal(err)
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	deployments := bundle.CSV.Spec.InstallStrategy.StrategySpec.DeploymentSpecs
	if len(deployments) == 0 {
		t.Fatal("the CSV installs no Deployment")
	}
	for _, d := range deployments {
		pod := d.Spec.Template
		for _, r := range evaluator.EvaluatePod(api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}, &pod.ObjectMeta, &pod.Spec) {
			if !r.Allowed {
				t.Errorf("%s: %s: %s", d.Name, r.ForbiddenReason, r.ForbiddenDetail)
			}
		}
		if sc := pod.Spec.SecurityContext; sc != nil && (sc.RunAsUser != nil || sc.FSGroup != nil) {
			t.Errorf("%s fixes a UID or fsGroup", d.Name)
		}
		for _, c := range pod.Spec.Containers {
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("%s/%s: set CPU and memory requests and a memory limit", d.Name, c.Name)
			}
			if c.LivenessProbe == nil || c.ReadinessProbe == nil {
				t.Errorf("%s/%s: needs liveness and readiness probes", d.Name, c.Name)
			}
		}
	}
}

// OLM turns `permissions` into Roles in the namespaces an install targets and
// `clusterPermissions` into ClusterRoles: the committed CSV grants cluster-wide only what is
// cluster-scoped, and its leader election touches no Lease but its own.
func TestPermissionsFollowScope(t *testing.T) {
	bundle, err := manifests.GetBundleFromDir(filepath.Join(root, "bundle", "manifests"))
	if err != nil {
		t.Fatal(err)
	}
	strategy := bundle.CSV.Spec.InstallStrategy.StrategySpec
	check := func(perms []operatorsv1alpha1.StrategyDeploymentPermissions, wantNamespaced bool) {
		for _, p := range perms {
			for _, rule := range p.Rules {
				for _, group := range rule.APIGroups {
					for _, resource := range rule.Resources {
						namespaced, known := scopes[group+"/"+resource]
						if !known || namespaced != wantNamespaced {
							t.Errorf("%q in group %q is in the wrong half of the CSV (namespaced: %v)", resource, group, namespaced)
						}
						if group == "coordination.k8s.io" && !slices.Equal(rule.Verbs, []string{"create"}) &&
							!slices.Equal(rule.ResourceNames, []string{"portico.gateway.portico.dev"}) {
							t.Errorf("leader election may %v any Lease", rule.Verbs)
						}
					}
				}
			}
		}
	}
	if len(strategy.Permissions) == 0 || len(strategy.ClusterPermissions) == 0 {
		t.Fatal("the CSV has no permissions or no clusterPermissions")
	}
	check(strategy.Permissions, true)
	check(strategy.ClusterPermissions, false)
	// OpenShift checks routes/custom-host on create and again when a Route's host changes.
	customHost := false
	for _, p := range strategy.Permissions {
		for _, rule := range p.Rules {
			if slices.Contains(rule.Resources, "routes/custom-host") {
				customHost = slices.Contains(rule.Verbs, "create") && slices.Contains(rule.Verbs, "update")
			}
		}
	}
	if !customHost {
		t.Error("routes/custom-host needs create and update")
	}
}

func TestSplitByScope(t *testing.T) {
	namespaced, clusterScoped, err := splitByScope([]rbacv1.PolicyRule{
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get"}},
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"list"}},
		{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"tokenreviews"}, Verbs: []string{"create"}},
	})
	if err != nil || len(namespaced) != 2 || len(clusterScoped) != 1 || clusterScoped[0].Resources[0] != "tokenreviews" {
		t.Fatalf("split wrongly: %v %v %v", namespaced, clusterScoped, err)
	}
	// A resource whose scope is not known is refused, not guessed.
	if _, _, err := splitByScope([]rbacv1.PolicyRule{{APIGroups: []string{"example.com"}, Resources: []string{"widgets"}}}); err == nil {
		t.Fatal("an unknown resource was placed")
	}
}
