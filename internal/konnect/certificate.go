// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package konnect

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"time"
)

// KeyPair is a data-plane client certificate and its key, PEM-encoded.
type KeyPair struct {
	CertPEM, KeyPEM []byte
	NotAfter        time.Time
}

// Issue makes a self-signed ECDSA P-256 client certificate valid from now for duration.
// randomness is crypto/rand.Reader outside tests.
func Issue(commonName string, now time.Time, duration time.Duration, randomness io.Reader) (*KeyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), randomness)
	if err != nil {
		return nil, fmt.Errorf("generating a key: %w", err)
	}
	serial, err := rand.Int(randomness, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    now.Add(-time.Minute), // tolerate a little clock skew at the control plane
		NotAfter:     now.Add(duration),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(randomness, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("signing the certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &KeyPair{
		CertPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:   pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		NotAfter: template.NotAfter,
	}, nil
}

// NotAfter reads a PEM certificate's expiry.
func NotAfter(certPEM []byte) (time.Time, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return time.Time{}, fmt.Errorf("no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return time.Time{}, err
	}
	return cert.NotAfter, nil
}

// RotateAt is when a certificate expiring at notAfter must be replaced.
func RotateAt(notAfter time.Time, renewBefore time.Duration) time.Time {
	return notAfter.Add(-renewBefore)
}

// SameCertificate tells whether two PEM texts hold the same certificate, whatever their line
// breaks and surrounding whitespace.
func SameCertificate(a, b string) bool {
	da, db := certificateDER([]byte(a)), certificateDER([]byte(b))
	return da != nil && bytes.Equal(da, db)
}

// Fingerprint is the SHA-256 of a PEM certificate's DER form, hex-encoded; "" when certPEM
// holds no certificate.
func Fingerprint(certPEM []byte) string {
	der := certificateDER(certPEM)
	if der == nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

func certificateDER(certPEM []byte) []byte {
	block, _ := pem.Decode(bytes.TrimSpace(certPEM))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil
	}
	return block.Bytes
}

// CheckKeyPair verifies a PEM certificate and key belong together and returns the
// certificate's expiry.
func CheckKeyPair(certPEM, keyPEM []byte) (time.Time, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return time.Time{}, err
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return time.Time{}, err
	}
	return cert.NotAfter, nil
}
