// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package e2e runs the operator binary against the local kwok cluster (make test-e2e):
// Kubernetes' real controllers roll the gateway out, fake nodes run its pods.
package e2e

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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

var (
	k8s        client.WithWatch
	binDir     string // kubectl and friends, from hack/testbin.sh cluster
	managerBin string // the operator, built once
	workDir    string // operator logs
	shared     *operator
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	binDir = os.Getenv("PORTICO_BIN_DIR")
	if binDir == "" || os.Getenv("KUBECONFIG") == "" {
		fmt.Fprintln(os.Stderr, "run the e2e tests with 'make test-e2e', which starts the local cluster")
		return 1
	}
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(gatewayv1alpha1.AddToScheme(scheme))
	cfg, err := ctrl.GetConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if k8s, err = client.NewWithWatch(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	root, _ := filepath.Abs("../..")
	workDir = filepath.Join(root, ".cluster", "e2e")
	// An operator left over from an interrupted run would reconcile alongside ours.
	_ = exec.Command("pkill", "-f", filepath.Join(workDir, "manager")).Run()
	_ = os.RemoveAll(workDir)
	_ = os.MkdirAll(workDir, 0o755)
	managerBin = filepath.Join(workDir, "manager")
	if out, err := exec.Command("go", "build", "-o", managerBin, filepath.Join(root, "cmd")).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the operator: %v\n%s", err, out)
		return 1
	}
	if out, err := kubectl("apply", "--server-side", "--force-conflicts", "-f", filepath.Join(root, "config", "crd", "bases")); err != nil {
		fmt.Fprintf(os.Stderr, "installing the CRD: %v\n%s", err, out)
		return 1
	}
	if out, err := kubectl("wait", "--for=condition=Established", "crd/gatewaydeployments.gateway.portico.dev"); err != nil {
		fmt.Fprintf(os.Stderr, "waiting for the CRD: %v\n%s", err, out)
		return 1
	}

	shared = startOperator("shared")
	// Tests restart the shared operator: stop whichever instance runs last.
	defer func() { shared.stop() }()
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "operator logs are under %s\n", workDir)
	}
	return code
}

// operator is the manager binary running as a process.
type operator struct {
	name string
	cmd  *exec.Cmd
	log  string
}

func startOperator(name string, args ...string) *operator {
	log := filepath.Join(workDir, name+".log")
	f, err := os.OpenFile(log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		panic(err)
	}
	// Probes on a random port: several operators may run at once.
	cmd := exec.Command(managerBin, append([]string{"--health-probe-bind-address=127.0.0.1:0"}, args...)...)
	cmd.Stdout, cmd.Stderr = f, f
	// Whatever ends the test binary ends its operators too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	return &operator{name: name, cmd: cmd, log: log}
}

// kill ends the operator at once, as a crash or an OOM kill would.
func (o *operator) kill() {
	_ = o.cmd.Process.Signal(syscall.SIGKILL)
	_, _ = o.cmd.Process.Wait()
}

func (o *operator) stop() {
	_ = o.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _, _ = o.cmd.Process.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		o.kill()
	}
}

// applied tells whether this operator's log shows it wrote a child of gateway name.
func (o *operator) applied(ns, name string) bool {
	raw, _ := os.ReadFile(o.log)
	for _, line := range bytes.Split(raw, []byte("\n")) {
		if bytes.Contains(line, []byte(`"msg":"applied"`)) &&
			bytes.Contains(line, []byte(fmt.Sprintf(`"namespace":%q`, ns))) &&
			bytes.Contains(line, []byte(fmt.Sprintf(`"name":%q`, name))) {
			return true
		}
	}
	return false
}

func kubectl(args ...string) (string, error) {
	var out bytes.Buffer
	cmd := exec.Command(filepath.Join(binDir, "kubectl"), args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

func mustKubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := kubectl(args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// newNamespace makes a namespace for one test and removes it after.
func newNamespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-", Labels: labels}}
	NewWithT(t).Expect(k8s.Create(context.Background(), ns)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), ns) })
	return ns.Name
}
