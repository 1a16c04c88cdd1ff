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
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
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
	Config     *rest.Config // the cluster admin's
	Root       string       // the checkout
	BinDir     string       // kubectl and friends, from hack/testbin.sh cluster
	ManagerBin string       // the operator, built once
	WorkDir    string       // operator logs
	// OperatorKubeconfig authenticates as the operator's ServiceAccount (Setup makes it).
	OperatorKubeconfig string
}

// OperatorNamespace and OperatorServiceAccount are where config/default installs the
// operator, and as whom it runs.
const (
	OperatorNamespace      = "portico-system"
	OperatorServiceAccount = "portico-controller-manager"
)

// Setup connects to the cluster in KUBECONFIG, builds the operator into .cluster/<suite>,
// installs the CRD and the operator's ServiceAccount and RBAC as config/default has them: the
// operator runs as that ServiceAccount, so a rule missing from config/rbac fails the suite.
// root is the checkout's path relative to the suite's directory.
func Setup(root, suite string, addToScheme ...func(*runtime.Scheme) error) (*Env, error) {
	env, err := Connect(root, suite, addToScheme...)
	if err != nil {
		return nil, err
	}
	if out, err := env.Kubectl("apply", "--server-side", "--force-conflicts", "-f", filepath.Join(env.Root, "config", "crd", "bases")); err != nil {
		return nil, fmt.Errorf("installing the CRD: %v\n%s", err, out)
	}
	if err := env.WaitEstablished("gatewaydeployments.gateway.portico.dev"); err != nil {
		return nil, err
	}
	if err := env.installOperatorRBAC(); err != nil {
		return nil, err
	}
	if env.OperatorKubeconfig, err = env.ServiceAccountKubeconfig(OperatorNamespace, OperatorServiceAccount, "operator"); err != nil {
		return nil, err
	}
	return env, nil
}

// Connect connects to the cluster in KUBECONFIG and builds the operator into
// .cluster/<suite>, installing nothing.
func Connect(root, suite string, addToScheme ...func(*runtime.Scheme) error) (*Env, error) {
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
	env.Config = cfg
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
	return env, nil
}

// installOperatorRBAC applies the ServiceAccount and RBAC of `kustomize build config/default`.
func (env *Env) installOperatorRBAC() error {
	built, err := exec.Command(filepath.Join(env.Root, "bin", "kustomize"), "build", filepath.Join(env.Root, "config", "default")).Output()
	if err != nil {
		return fmt.Errorf("kustomize build config/default (make builds bin/kustomize): %w", err)
	}
	var keep []string
	for doc := range strings.SplitSeq(string(built), "\n---\n") {
		for _, kind := range []string{"Namespace", "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"} {
			if strings.Contains(doc, "\nkind: "+kind+"\n") || strings.HasPrefix(doc, "kind: "+kind+"\n") {
				keep = append(keep, doc)
			}
		}
	}
	cmd := exec.Command(filepath.Join(env.BinDir, "kubectl"), "apply", "--server-side", "--force-conflicts", "-f", "-")
	cmd.Stdin = strings.NewReader(strings.Join(keep, "\n---\n"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("installing the operator's RBAC: %v\n%s", err, out)
	}
	return nil
}

// ServiceAccountKubeconfig writes a kubeconfig that authenticates as the ServiceAccount, with a
// token from the TokenRequest API, as a pod of that ServiceAccount would get: whoever uses it
// has exactly the RBAC granted to the ServiceAccount. It returns the file's path.
func (env *Env) ServiceAccountKubeconfig(namespace, serviceAccount, name string) (string, error) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: serviceAccount}}
	expiry := int64(4 * 3600)
	request := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}
	if err := env.K8s.SubResource("token").Create(context.Background(), sa, request); err != nil {
		return "", fmt.Errorf("requesting a token for ServiceAccount %s/%s: %w", namespace, serviceAccount, err)
	}
	config := clientcmdapi.NewConfig()
	config.Clusters["local"] = &clientcmdapi.Cluster{Server: env.Config.Host, CertificateAuthorityData: env.Config.CAData,
		CertificateAuthority: env.Config.CAFile}
	config.AuthInfos[serviceAccount] = &clientcmdapi.AuthInfo{Token: request.Status.Token}
	config.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: serviceAccount, Namespace: namespace}
	config.CurrentContext = "local"
	path := filepath.Join(env.WorkDir, name+".kubeconfig")
	return path, clientcmd.WriteToFile(*config, path)
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

// StartOperator starts the operator with args, as its ServiceAccount; its log is
// <WorkDir>/<name>.log.
func (env *Env) StartOperator(name string, args ...string) *Operator {
	// Probes on a random port: several operators may run at once.
	return env.StartProcess(name, []string{"KUBECONFIG=" + env.OperatorKubeconfig},
		append([]string{"--health-probe-bind-address=127.0.0.1:0"}, args...)...)
}

// StartProcess starts the operator binary with only the environment given (and PATH and
// HOME): nothing of the test's own, such as its admin KUBECONFIG, leaks into it.
func (env *Env) StartProcess(name string, environment []string, args ...string) *Operator {
	log := filepath.Join(env.WorkDir, name+".log")
	f, err := os.OpenFile(log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		panic(err)
	}
	_, _ = fmt.Fprintln(f, markStarting)
	cmd := exec.Command(env.ManagerBin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, environment...)
	for _, v := range []string{"SSL_CERT_FILE", "GOGC"} {
		if value, ok := os.LookupEnv(v); ok {
			cmd.Env = append(cmd.Env, v+"="+value)
		}
	}
	cmd.Stdout, cmd.Stderr = f, f
	// Whatever ends the test binary ends its operators too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	return &Operator{Name: name, cmd: cmd, Log: log}
}

// Log markers around what the test did to the operator: a refusal after the operator was
// told to stop (OLM withdraws an uninstalled or replaced operator's RBAC while its pod
// terminates) is not a missing rule.
const (
	markStarting = "--- harness: starting ---"
	markStopping = "--- harness: stopping ---"
)

func (o *Operator) mark(line string) {
	if f, err := os.OpenFile(o.Log, os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
		_, _ = fmt.Fprintln(f, line)
		_ = f.Close()
	}
}

// Retiring notes in the log that the test is about to take the operator's rights away (an
// uninstall): refusals from here on are expected.
func (o *Operator) Retiring() { o.mark(markStopping) }

// Kill ends the operator at once, as a crash or an OOM kill would.
func (o *Operator) Kill() {
	o.mark(markStopping)
	_ = o.cmd.Process.Signal(syscall.SIGKILL)
	_, _ = o.cmd.Process.Wait()
}

// Stop asks the operator to end, and kills it after 20 s.
func (o *Operator) Stop() {
	o.mark(markStopping)
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
	for line := range bytes.SplitSeq(raw, []byte("\n")) {
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

// RBACVerdict turns a suite's exit code into a failure when an operator log shows an RBAC
// refusal, which it prints with the source of the rules (rbacSource).
func (env *Env) RBACVerdict(code int, rbacSource string) int {
	if refused := env.Forbidden(); len(refused) > 0 {
		fmt.Fprintf(os.Stderr, "the operator was refused by the API server: %s lacks a rule\n%s\n", rbacSource, strings.Join(refused, "\n"))
		return 1
	}
	return code
}

// Forbidden lists the lines of every operator log under WorkDir in which the API server
// refused the operator (403) while it ran: with the operator running as its ServiceAccount,
// each is a rule its RBAC lacks.
func (env *Env) Forbidden() []string {
	logs, _ := filepath.Glob(filepath.Join(env.WorkDir, "*.log"))
	var refused []string
	for _, log := range logs {
		raw, _ := os.ReadFile(log)
		stopping := false
		for line := range strings.SplitSeq(string(raw), "\n") {
			switch line {
			case markStarting:
				stopping = false
			case markStopping:
				stopping = true
			}
			// RBAC's refusal names the user ("is forbidden: User ... cannot list resource ..."),
			// unlike other 403s such as a namespace being deleted.
			if !stopping && strings.Contains(line, "forbidden: User") {
				refused = append(refused, filepath.Base(log)+": "+line)
			}
		}
	}
	return refused
}
