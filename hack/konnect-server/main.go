// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Command konnect-server runs the Konnect test server (internal/konnect/konnecttest) as a
// process, so that `make demo` can show a gateway registering with a control plane locally.
// Konnect itself is not reachable from here.
//
// The gateway pods of the local cluster run no Kong, so nothing would check in: with
// --kubeconfig the server plays the data planes, reporting every ready gateway pod as a node
// of the control plane every few seconds.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/konnect/konnecttest"
	"github.com/portico-dev/portico/internal/status"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18443", "address to serve on (TLS)")
	token := flag.String("token", "", "the bearer token to accept (required)")
	cpID := flag.String("control-plane-id", "7f9fd312-a987-4628-b4c5-bb4f4fddd5f7", "id of the control plane to offer")
	cpName := flag.String("control-plane-name", "demo", "name of that control plane")
	caOut := flag.String("ca-out", "", "write the server's certificate here (for the operator's SSL_CERT_FILE)")
	kubeconfig := flag.String("kubeconfig", "", "check in the ready gateway pods of this cluster as data planes")
	flag.Parse()
	if *token == "" {
		fmt.Fprintln(os.Stderr, "--token is required")
		os.Exit(2)
	}
	if err := run(*addr, *token, *cpID, *cpName, *caOut, *kubeconfig); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(addr, token, cpID, cpName, caOut, kubeconfig string) error {
	srv, err := konnecttest.NewOn(addr, token)
	if err != nil {
		return err
	}
	defer srv.Close()
	srv.AddControlPlane(cpID, cpName)
	if caOut != "" {
		if err := os.WriteFile(caOut, srv.CertificatePEM(), 0o600); err != nil {
			return err
		}
	}
	fmt.Printf("Konnect test server at %s, control plane %s (%s)\n", srv.URL, cpID, cpName)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return err
		}
		pods := kubernetes.NewForConfigOrDie(cfg).CoreV1().Pods("")
		go func() {
			for ctx.Err() == nil {
				list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: gatewayv1alpha1.LabelManagedBy + "=" + gatewayv1alpha1.ManagedByValue})
				if err == nil {
					for _, p := range list.Items {
						if status.PodReady(&p) {
							srv.CheckIn(cpID, p.Name)
						}
					}
				}
				select {
				case <-ctx.Done():
				case <-time.After(3 * time.Second):
				}
			}
		}()
	}
	<-ctx.Done()
	if v := srv.Violations(); len(v) > 0 {
		return fmt.Errorf("contract violations: %v", v)
	}
	return nil
}
