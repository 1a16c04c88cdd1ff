// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Command bundle writes Portico's OLM bundle (bundle/, bundle.Dockerfile) from config/: the
// kustomize build of config/default, the samples, and the hand-kept CSV base in
// config/manifests/bases. Its output is deterministic: run it twice, get the same files.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/blang/semver/v4"
	operatorsv1alpha1 "github.com/operator-framework/api/pkg/operators/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

const (
	packageName    = "portico"
	channel        = "alpha"
	openshiftRange = "v4.17" // 4.17 and later: Kubernetes 1.30, the CSV's minKubeVersion
	managerImage   = "controller:latest"
	scorecardImage = "quay.io/operator-framework/scorecard-test:v1.41.1"
)

// annotations are the bundle's metadata; bundle.Dockerfile carries the same as labels.
var annotations = map[string]string{
	"operators.operatorframework.io.bundle.mediatype.v1":       "registry+v1",
	"operators.operatorframework.io.bundle.manifests.v1":       "manifests/",
	"operators.operatorframework.io.bundle.metadata.v1":        "metadata/",
	"operators.operatorframework.io.bundle.package.v1":         packageName,
	"operators.operatorframework.io.bundle.channels.v1":        channel,
	"operators.operatorframework.io.bundle.channel.default.v1": channel,
	"operators.operatorframework.io.test.mediatype.v1":         "scorecard+v1",
	"operators.operatorframework.io.test.config.v1":            "tests/scorecard/",
	"com.redhat.openshift.versions":                            openshiftRange,
}

func main() {
	version := flag.String("version", "0.1.0", "bundle version (semver, no v)")
	image := flag.String("image", "", "operator image (default ghcr.io/portico-dev/portico:v<version>)")
	kustomize := flag.String("kustomize", "bin/kustomize", "kustomize binary")
	out := flag.String("out", "bundle", "bundle directory")
	flag.Parse()
	if *image == "" {
		*image = "ghcr.io/portico-dev/portico:v" + *version
	}
	if err := run(*version, *image, *kustomize, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bundle:", err)
		os.Exit(1)
	}
}

func run(version, image, kustomize, out string) error {
	built, err := exec.Command(kustomize, "build", "config/default").Output()
	if err != nil {
		return fmt.Errorf("kustomize build config/default: %w", err)
	}
	objs, err := decodeAll(built)
	if err != nil {
		return err
	}
	csv := &operatorsv1alpha1.ClusterServiceVersion{}
	if err := readYAML("config/manifests/bases/portico.clusterserviceversion.yaml", csv); err != nil {
		return err
	}
	examples, err := samples("config/samples")
	if err != nil {
		return err
	}

	created := createdAt(out, version) // before the old bundle goes
	manifests := filepath.Join(out, "manifests")
	if err := os.RemoveAll(manifests); err != nil {
		return err
	}
	files := map[string]any{}
	if err := fillCSV(csv, objs, files, version, image, examples, created); err != nil {
		return err
	}
	files["portico.clusterserviceversion.yaml"] = csv
	for name, obj := range files {
		if err := writeYAML(filepath.Join(manifests, name), obj); err != nil {
			return err
		}
	}
	if err := writeYAML(filepath.Join(out, "metadata", "annotations.yaml"), map[string]any{"annotations": annotations}); err != nil {
		return err
	}
	if err := writeYAML(filepath.Join(out, "tests", "scorecard", "config.yaml"), scorecardConfig()); err != nil {
		return err
	}
	// Beside the bundle directory, as operator-sdk puts it.
	return os.WriteFile(filepath.Join(filepath.Dir(out), "bundle.Dockerfile"), dockerfile(), 0o644)
}

// fillCSV completes the CSV from the built objects and adds the other manifests to files.
func fillCSV(csv *operatorsv1alpha1.ClusterServiceVersion, objs []*unstructured.Unstructured, files map[string]any,
	version, image string, examples []any, created string) error {
	roles := map[string][]rbacv1.PolicyRule{} // kind/name -> rules
	bound := map[string]string{}              // kind/name -> service account
	var deployments []operatorsv1alpha1.StrategyDeploymentSpec
	for _, u := range objs {
		kind, name := u.GetKind(), u.GetName()
		switch kind {
		case "Namespace", "ServiceAccount":
			// OLM creates the namespace and the service accounts the CSV names.
		case "Deployment":
			d := &appsv1.Deployment{}
			if err := fromUnstructured(u, d); err != nil {
				return err
			}
			for i := range d.Spec.Template.Spec.Containers {
				if c := &d.Spec.Template.Spec.Containers[i]; c.Image == managerImage {
					c.Image = image
				}
			}
			deployments = append(deployments, operatorsv1alpha1.StrategyDeploymentSpec{Name: name, Label: d.Labels, Spec: d.Spec})
		case "ClusterRole", "Role":
			r := &rbacv1.ClusterRole{}
			if err := fromUnstructured(u, r); err != nil {
				return err
			}
			roles[kind+"/"+name] = r.Rules
		case "ClusterRoleBinding", "RoleBinding":
			b := &rbacv1.RoleBinding{}
			if err := fromUnstructured(u, b); err != nil {
				return err
			}
			for _, s := range b.Subjects {
				if s.Kind == "ServiceAccount" {
					bound[b.RoleRef.Kind+"/"+b.RoleRef.Name] = s.Name
				}
			}
		case "CustomResourceDefinition":
			files[fmt.Sprintf("%s.yaml", name)] = u.Object
		default:
			// Namespaced manifests go in without a namespace: OLM installs them into its own.
			unstructured.RemoveNestedField(u.Object, "metadata", "namespace")
			files[fileName(u)] = u.Object
		}
	}

	var permissions, clusterPermissions []operatorsv1alpha1.StrategyDeploymentPermissions
	for _, key := range sortedKeys(roles) {
		sa, isBound := bound[key]
		kind, name, _ := strings.Cut(key, "/")
		switch {
		case !isBound:
			// Roles for people (admin, editor, viewer) and for Prometheus ship as manifests.
			role := map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
				"metadata": map[string]any{"name": name}, "rules": roles[key]}
			files[fmt.Sprintf("%s_rbac.authorization.k8s.io_v1_%s.yaml", name, strings.ToLower(kind))] = role
		default:
			// OLM makes `permissions` Roles in the target namespaces (ClusterRoles only for
			// AllNamespaces) and `clusterPermissions` ClusterRoles: a namespaced rule in a
			// ClusterRole would grant it in every namespace whatever the install mode.
			namespaced, clusterScoped, err := splitByScope(roles[key])
			if err != nil {
				return fmt.Errorf("%s %s: %w", kind, name, err)
			}
			if kind == "Role" && len(clusterScoped) > 0 {
				return fmt.Errorf("the Role %s grants cluster-scoped resources: %v", name, clusterScoped)
			}
			permissions = mergePermissions(permissions, sa, namespaced)
			clusterPermissions = mergePermissions(clusterPermissions, sa, clusterScoped)
		}
	}

	rawExamples, err := json.Marshal(examples)
	if err != nil {
		return err
	}
	csv.Name = fmt.Sprintf("%s.v%s", packageName, version)
	csv.Annotations["alm-examples"] = string(rawExamples)
	csv.Annotations["containerImage"] = image
	csv.Annotations["createdAt"] = created
	csv.Annotations["operators.operatorframework.io/builder"] = "portico-hack-bundle"
	csv.Spec.Version.Version, err = parseVersion(version)
	if err != nil {
		return err
	}
	csv.Spec.InstallStrategy.StrategyName = operatorsv1alpha1.InstallStrategyNameDeployment
	csv.Spec.InstallStrategy.StrategySpec = operatorsv1alpha1.StrategyDetailsDeployment{
		DeploymentSpecs:    deployments,
		Permissions:        permissions,
		ClusterPermissions: clusterPermissions,
	}
	csv.Spec.RelatedImages = []operatorsv1alpha1.RelatedImage{{Name: "portico", Image: image}}
	for _, d := range deployments {
		for _, c := range d.Spec.Template.Spec.Containers {
			for _, e := range c.Env {
				if strings.HasPrefix(e.Name, "RELATED_IMAGE_") && e.Value != "" {
					name := strings.ToLower(strings.TrimPrefix(e.Name, "RELATED_IMAGE_"))
					csv.Spec.RelatedImages = append(csv.Spec.RelatedImages, operatorsv1alpha1.RelatedImage{Name: name, Image: e.Value})
				}
			}
		}
	}
	return nil
}

// scopes says, for every group and resource Portico's roles name, whether it is namespaced.
// A new resource in the RBAC markers must be added here: guessing its scope would put it in
// the wrong half of the CSV.
var scopes = map[string]bool{ // "group/resource" -> namespaced
	"/pods": true, "/secrets": true, "/services": true, "/events": true, "/configmaps": true,
	"apps/deployments": true, "events.k8s.io/events": true, "coordination.k8s.io/leases": true,
	"gateway.portico.dev/gatewaydeployments": true, "gateway.portico.dev/gatewaydeployments/status": true,
	"gateway.portico.dev/gatewaydeployments/finalizers": true,
	"networking.istio.io/destinationrules":              true, "security.istio.io/peerauthentications": true,
	"route.openshift.io/routes": true, "route.openshift.io/routes/custom-host": true,
	"policy/poddisruptionbudgets": true, "autoscaling/horizontalpodautoscalers": true,
	"/namespaces": false,
	"apiextensions.k8s.io/customresourcedefinitions":             false,
	"admissionregistration.k8s.io/mutatingwebhookconfigurations": false,
	"authentication.k8s.io/tokenreviews":                         false,
	"authorization.k8s.io/subjectaccessreviews":                  false,
}

// splitByScope divides rules into those on namespaced resources and those on cluster-scoped
// ones, splitting a rule that names both.
func splitByScope(rules []rbacv1.PolicyRule) (namespaced, clusterScoped []rbacv1.PolicyRule, err error) {
	for _, rule := range rules {
		if len(rule.NonResourceURLs) > 0 {
			clusterScoped = append(clusterScoped, rule)
			continue
		}
		byScope := map[bool][]string{}
		for _, group := range rule.APIGroups {
			for _, resource := range rule.Resources {
				isNamespaced, known := scopes[group+"/"+resource]
				if !known {
					return nil, nil, fmt.Errorf("the scope of %q in group %q is not known: add it to scopes in hack/bundle", resource, group)
				}
				byScope[isNamespaced] = append(byScope[isNamespaced], resource)
			}
		}
		if len(byScope) > 1 && len(rule.APIGroups) > 1 {
			return nil, nil, fmt.Errorf("a rule on groups %v mixes namespaced and cluster-scoped resources: split it", rule.APIGroups)
		}
		for _, isNamespaced := range []bool{true, false} {
			if len(byScope[isNamespaced]) == 0 {
				continue
			}
			part := *rule.DeepCopy()
			if len(byScope) > 1 {
				part.Resources = byScope[isNamespaced]
			}
			if isNamespaced {
				namespaced = append(namespaced, part)
			} else {
				clusterScoped = append(clusterScoped, part)
			}
		}
	}
	return namespaced, clusterScoped, nil
}

func mergePermissions(perms []operatorsv1alpha1.StrategyDeploymentPermissions, sa string, rules []rbacv1.PolicyRule) []operatorsv1alpha1.StrategyDeploymentPermissions {
	if len(rules) == 0 {
		return perms
	}
	for i := range perms {
		if perms[i].ServiceAccountName == sa {
			perms[i].Rules = append(perms[i].Rules, rules...)
			return perms
		}
	}
	return append(perms, operatorsv1alpha1.StrategyDeploymentPermissions{ServiceAccountName: sa, Rules: rules})
}

// createdAt keeps the date of an existing bundle of the same version, so that regenerating
// changes nothing; a new version gets today's.
func createdAt(out, version string) string {
	existing := &operatorsv1alpha1.ClusterServiceVersion{}
	if err := readYAML(filepath.Join(out, "manifests", "portico.clusterserviceversion.yaml"), existing); err == nil &&
		existing.Spec.Version.String() == version && existing.Annotations["createdAt"] != "" {
		return existing.Annotations["createdAt"]
	}
	return time.Now().UTC().Format(time.RFC3339)
}

func samples(dir string) ([]any, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []any
	for _, e := range entries {
		if e.Name() == "kustomization.yaml" || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		var sample map[string]any
		if err := readYAML(filepath.Join(dir, e.Name()), &sample); err != nil {
			return nil, err
		}
		out = append(out, sample)
	}
	return out, nil
}

func fileName(u *unstructured.Unstructured) string {
	gv := strings.ReplaceAll(u.GetAPIVersion(), "/", "_")
	return strings.ToLower(fmt.Sprintf("%s_%s_%s.yaml", u.GetName(), gv, u.GetKind()))
}

func dockerfile() []byte {
	var b bytes.Buffer
	b.WriteString("# Generated by hack/bundle from config/: do not edit.\nFROM scratch\n\n")
	for _, k := range sortedKeys(annotations) {
		fmt.Fprintf(&b, "LABEL %s=%s\n", k, annotations[k])
	}
	b.WriteString("\nCOPY bundle/manifests /manifests/\nCOPY bundle/metadata /metadata/\nCOPY bundle/tests/scorecard /tests/scorecard/\n")
	return b.Bytes()
}

func scorecardConfig() map[string]any {
	test := func(name, suite string) map[string]any {
		return map[string]any{
			"entrypoint": []string{"scorecard-test", name},
			"image":      scorecardImage,
			"labels":     map[string]string{"suite": suite, "test": name + "-test"},
		}
	}
	return map[string]any{
		"apiVersion": "scorecard.operatorframework.io/v1alpha3",
		"kind":       "Configuration",
		"metadata":   map[string]any{"name": "config"},
		"stages": []any{map[string]any{"parallel": true, "tests": []any{
			test("basic-check-spec", "basic"),
			test("olm-bundle-validation", "olm"),
			test("olm-crds-have-validation", "olm"),
			test("olm-crds-have-resources", "olm"),
			test("olm-spec-descriptors", "olm"),
			test("olm-status-descriptors", "olm"),
		}}},
	}
}

func decodeAll(raw []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if err.Error() == "EOF" {
				return out, nil
			}
			return nil, err
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

func fromUnstructured(u *unstructured.Unstructured, into any) error {
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into)
}

func readYAML(path string, into any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return yaml.UnmarshalStrict(raw, into)
}

// writeYAML writes obj without the empty status and creation time typed objects carry.
func writeYAML(path string, obj any) error {
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		raw, jerr := json.Marshal(obj)
		if jerr != nil {
			return err
		}
		content = map[string]any{}
		if err := json.Unmarshal(raw, &content); err != nil {
			return err
		}
	}
	delete(content, "status")
	unstructured.RemoveNestedField(content, "metadata", "creationTimestamp")
	raw, err := yaml.Marshal(content)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, raw, 0o644)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func parseVersion(v string) (semver.Version, error) { return semver.Parse(v) }
