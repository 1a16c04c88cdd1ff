// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package harness runs end-to-end suites against a local kwok cluster: the operator binary as
// a process, kubectl, and waits on GatewayDeployment conditions. Each suite (test/e2e,
// test/e2e/istio) has a cluster of its own, started by make.
package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

const (
	Timeout  = 90 * time.Second
	Interval = 200 * time.Millisecond
)

// Env is one suite's cluster and operator build.
type Env struct {
	K8s        client.WithWatch
	Root       string // the checkout
	BinDir     string // kubectl and friends, from hack/testbin.sh cluster
	ManagerBin string // the operator, built once
	WorkDir    string // operator logs
}

// Setup connects to the cluster in KUBECONFIG, builds the operator into .cluster/<suite> and
// installs the CRD. root is the checkout's path relative to the suite's directory.
func Setup(root, suite string, addToScheme ...func(*runtime.Scheme) error) (*Env, error) {
	env := &Env{BinDir: os.Getenv("PORTICO_BIN_DIR")}
	if env.BinDir == "" || os.Getenv("KUBECONFIG") == "" {
		return nil, fmt.Errorf("run the e2e tests with make, which starts the local cluster")
	}
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(gatewayv1alpha1.AddToScheme(scheme))
	for _, add := range addToScheme {
		utilruntime.Must(add(scheme))
	}
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return nil, err
	}
	if env.K8s, err = client.NewWithWatch(cfg, client.Options{Scheme: scheme}); err != nil {
		return nil, err
	}
	env.Root, _ = filepath.Abs(root)
	env.WorkDir = filepath.Join(env.Root, ".cluster", suite)
	// An operator left over from an interrupted run would reconcile alongside ours.
	_ = exec.Command("pkill", "-f", filepath.Join(env.WorkDir, "manager")).Run()
	_ = os.RemoveAll(env.WorkDir)
	_ = os.MkdirAll(env.WorkDir, 0o755)
	env.ManagerBin = filepath.Join(env.WorkDir, "manager")
	if out, err := exec.Command("go", "build", "-o", env.ManagerBin, filepath.Join(env.Root, "cmd")).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the operator: %v\n%s", err, out)
	}
	if out, err := env.Kubectl("apply", "--server-side", "--force-conflicts", "-f", filepath.Join(env.Root, "config", "crd", "bases")); err != nil {
		return nil, fmt.Errorf("installing the CRD: %v\n%s", err, out)
	}
	if err := env.WaitEstablished("gatewaydeployments.gateway.portico.dev"); err != nil {
		return nil, err
	}
	return env, nil
}

// WaitEstablished waits until the API server serves the named CRDs. kubectl wait fails
// outright, rather than waits, while a new CRD has no conditions yet.
func (env *Env) WaitEstablished(crds ...string) error {
	established := `jsonpath={.status.conditions[?(@.type=="Established")].status}`
	for _, crd := range crds {
		for deadline := time.Now().Add(Timeout); ; time.Sleep(Interval) {
			out, err := env.Kubectl("get", "crd/"+crd, "-o", established)
			if err == nil && strings.TrimSpace(out) == "True" {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("CRD %s is not established: %v\n%s", crd, err, out)
			}
		}
	}
	return nil
}

// Operator is the manager binary running as a process.
type Operator struct {
	Name string
	cmd  *exec.Cmd
	Log  string
}

// StartOperator starts the operator with args; its log is <WorkDir>/<name>.log.
func (env *Env) StartOperator(name string, args ...string) *Operator {
	log := filepath.Join(env.WorkDir, name+".log")
	f, err := os.OpenFile(log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		panic(err)
	}
	// Probes on a random port: several operators may run at once.
	cmd := exec.Command(env.ManagerBin, append([]string{"--health-probe-bind-address=127.0.0.1:0"}, args...)...)
	cmd.Stdout, cmd.Stderr = f, f
	// Whatever ends the test binary ends its operators too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	return &Operator{Name: name, cmd: cmd, Log: log}
}

// Kill ends the operator at once, as a crash or an OOM kill would.
func (o *Operator) Kill() {
	_ = o.cmd.Process.Signal(syscall.SIGKILL)
	_, _ = o.cmd.Process.Wait()
}

// Stop asks the operator to end, and kills it after 20 s.
func (o *Operator) Stop() {
	_ = o.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _, _ = o.cmd.Process.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		o.Kill()
	}
}

// Applied tells whether this operator's log shows it wrote a child of gateway name.
func (o *Operator) Applied(ns, name string) bool {
	raw, _ := os.ReadFile(o.Log)
	for _, line := range bytes.Split(raw, []byte("\n")) {
		if bytes.Contains(line, []byte(`"msg":"applied"`)) &&
			bytes.Contains(line, []byte(fmt.Sprintf(`"namespace":%q`, ns))) &&
			bytes.Contains(line, []byte(fmt.Sprintf(`"name":%q`, name))) {
			return true
		}
	}
	return false
}

// Kubectl runs kubectl and returns its output.
func (env *Env) Kubectl(args ...string) (string, error) {
	var out bytes.Buffer
	cmd := exec.Command(filepath.Join(env.BinDir, "kubectl"), args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

// MustKubectl runs kubectl and fails the test if it fails.
func (env *Env) MustKubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := env.Kubectl(args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// NewNamespace makes a namespace for one test and removes it after.
func (env *Env) NewNamespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-", Labels: labels}}
	NewWithT(t).Expect(env.K8s.Create(context.Background(), ns)).To(Succeed())
	t.Cleanup(func() { _ = env.K8s.Delete(context.Background(), ns) })
	return ns.Name
}

// CreateGateway creates a GatewayDeployment with a ClusterIP Service, changed by mutate.
func (env *Env) CreateGateway(t *testing.T, ns, name string, mutate func(*gatewayv1alpha1.GatewayDeployment)) *gatewayv1alpha1.GatewayDeployment {
	t.Helper()
	gwd := &gatewayv1alpha1.GatewayDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	gwd.Spec.Service.Type = gatewayv1alpha1.ServiceTypeClusterIP
	if mutate != nil {
		mutate(gwd)
	}
	NewWithT(t).Expect(env.K8s.Create(context.Background(), gwd)).To(Succeed())
	return gwd
}

// Get reads gwd as it is now.
func (env *Env) Get(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment) *gatewayv1alpha1.GatewayDeployment {
	t.Helper()
	latest := &gatewayv1alpha1.GatewayDeployment{}
	NewWithT(t).Expect(env.K8s.Get(context.Background(), client.ObjectKeyFromObject(gwd), latest)).To(Succeed())
	return latest
}

// WaitFor waits until gwd's condition has the status and reason, for its current generation.
func (env *Env) WaitFor(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment, condType string, status metav1.ConditionStatus, reason string) *gatewayv1alpha1.GatewayDeployment {
	t.Helper()
	var latest *gatewayv1alpha1.GatewayDeployment
	NewWithT(t).Eventually(func(g Gomega) {
		latest = env.Get(t, gwd)
		c := meta.FindStatusCondition(latest.Status.Conditions, condType)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.ObservedGeneration).To(Equal(latest.Generation))
		g.Expect(c.Status).To(Equal(status), "%s: %s", c.Reason, c.Message)
		g.Expect(c.Reason).To(Equal(reason), c.Message)
	}, Timeout, Interval).Should(Succeed())
	return latest
}

// WaitReady waits for Ready the way a user would, with kubectl wait.
func (env *Env) WaitReady(t *testing.T, gwd *gatewayv1alpha1.GatewayDeployment) {
	t.Helper()
	env.MustKubectl(t, "wait", "-n", gwd.Namespace, "--for=condition=Ready", "gwd/"+gwd.Name, "--timeout=90s")
}
