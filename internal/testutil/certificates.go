// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package testutil

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"time"
)

// SelfSigned makes a certificate for dnsName valid from notBefore to notAfter, and its key
// in the PEM form given: "PRIVATE KEY" (PKCS #8, ECDSA), "EC PRIVATE KEY" or
// "RSA PRIVATE KEY".
func SelfSigned(dnsName string, notBefore, notAfter time.Time, keyForm string) (certPEM, keyPEM []byte, err error) {
	var key crypto.Signer
	var keyDER []byte
	if keyForm == "RSA PRIVATE KEY" {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, nil, err
		}
		key, keyDER = k, x509.MarshalPKCS1PrivateKey(k)
	} else {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		key = k
		if keyForm == "EC PRIVATE KEY" {
			keyDER, err = x509.MarshalECPrivateKey(k)
		} else {
			keyDER, err = x509.MarshalPKCS8PrivateKey(k)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	template := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: dnsName},
		DNSNames: []string{dnsName}, NotBefore: notBefore, NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: keyForm, Bytes: keyDER}), nil
}
