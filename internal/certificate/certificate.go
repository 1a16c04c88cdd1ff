// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

// Package certificate judges the certificates of the gateway's HTTPS listeners before any
// pod is given one: parsed, the key its own, valid now. It is pure: the caller passes the
// PEM text and the time.
package certificate

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
)

// WarnBefore is how long before its expiry a certificate is said to expire soon.
const WarnBefore = 14 * 24 * time.Hour

// Info is what status tells of a usable certificate.
type Info struct {
	NotAfter time.Time
	DNSNames []string
}

// Problem is why a certificate cannot be used: a condition reason and message.
type Problem struct{ Reason, Message string }

// Check judges a PEM certificate (the leaf first, then its chain) and its PEM private key at
// now. The messages never quote the key.
func Check(certPEM, keyPEM []byte, now time.Time) (Info, *Problem) {
	leaf, err := parseLeaf(certPEM)
	if err != nil {
		return Info{}, &Problem{gatewayv1alpha1.ReasonTLSSecretInvalid, "tls.crt: " + err.Error()}
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return Info{}, &Problem{gatewayv1alpha1.ReasonTLSSecretInvalid, "tls.key: " + err.Error()}
	}
	public, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !public.Equal(leaf.PublicKey) {
		return Info{}, &Problem{gatewayv1alpha1.ReasonTLSKeyMismatch,
			fmt.Sprintf("tls.key is not the private key of the certificate in tls.crt (%s)", describe(leaf))}
	}
	info := Info{NotAfter: leaf.NotAfter, DNSNames: leaf.DNSNames}
	switch {
	case !now.Before(leaf.NotAfter):
		return info, &Problem{gatewayv1alpha1.ReasonTLSCertificateExpired,
			fmt.Sprintf("the certificate (%s) expired at %s", describe(leaf), leaf.NotAfter.UTC().Format(time.RFC3339))}
	case now.Before(leaf.NotBefore):
		return info, &Problem{gatewayv1alpha1.ReasonTLSCertificateNotYetValid,
			fmt.Sprintf("the certificate (%s) is valid only from %s", describe(leaf), leaf.NotBefore.UTC().Format(time.RFC3339))}
	}
	return info, nil
}

// ExpiresSoon tells whether a certificate valid until notAfter is within WarnBefore of it.
func ExpiresSoon(notAfter, now time.Time) bool { return !now.Before(notAfter.Add(-WarnBefore)) }

// ExpiringMessage is what the condition and the event say of a certificate that expires soon.
func ExpiringMessage(secretName string, notAfter time.Time) string {
	return fmt.Sprintf("The certificate of Secret %s expires at %s: renew the Secret, and the gateway rolls onto the new one.",
		secretName, notAfter.UTC().Format(time.RFC3339))
}

func describe(leaf *x509.Certificate) string {
	if len(leaf.DNSNames) > 0 {
		return "for " + strings.Join(leaf.DNSNames, ", ")
	}
	return "subject " + leaf.Subject.String()
}

func parseLeaf(certPEM []byte) (*x509.Certificate, error) {
	for rest := certPEM; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return nil, fmt.Errorf("no PEM CERTIFICATE block")
		}
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
}

func parseKey(keyPEM []byte) (crypto.Signer, error) {
	for rest := keyPEM; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return nil, fmt.Errorf("no PEM private key block")
		}
		var key any
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("the %s block does not parse", block.Type)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("a %T cannot sign", key)
		}
		return signer, nil
	}
}
