// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package certificate

import (
	"strings"
	"testing"
	"time"

	gatewayv1alpha1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/testutil"
)

var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func issue(t *testing.T, notBefore, notAfter time.Time, keyForm string) (certPEM, keyPEM []byte) {
	t.Helper()
	certPEM, keyPEM, err := testutil.SelfSigned("api.example.com", notBefore, notAfter, keyForm)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM
}

func TestCheck(t *testing.T) {
	valid, validKey := issue(t, now.Add(-time.Hour), now.Add(90*24*time.Hour), "PRIVATE KEY")
	_, otherKey := issue(t, now.Add(-time.Hour), now.Add(90*24*time.Hour), "EC PRIVATE KEY")
	rsaCert, rsaKey := issue(t, now.Add(-time.Hour), now.Add(90*24*time.Hour), "RSA PRIVATE KEY")
	expired, expiredKey := issue(t, now.Add(-48*time.Hour), now.Add(-time.Hour), "PRIVATE KEY")
	early, earlyKey := issue(t, now.Add(time.Hour), now.Add(48*time.Hour), "EC PRIVATE KEY")
	for name, c := range map[string]struct {
		cert, key []byte
		reason    string
	}{
		"valid":                          {valid, validKey, ""},
		"rsa":                            {rsaCert, rsaKey, ""},
		"chain after leaf":               {append(append([]byte{}, valid...), rsaCert...), validKey, ""},
		"someone else's key":             {valid, otherKey, gatewayv1alpha1.ReasonTLSKeyMismatch},
		"rsa key for ec cert":            {valid, rsaKey, gatewayv1alpha1.ReasonTLSKeyMismatch},
		"expired":                        {expired, expiredKey, gatewayv1alpha1.ReasonTLSCertificateExpired},
		"not yet valid":                  {early, earlyKey, gatewayv1alpha1.ReasonTLSCertificateNotYetValid},
		"no certificate":                 {[]byte("hello"), validKey, gatewayv1alpha1.ReasonTLSSecretInvalid},
		"key where the certificate goes": {validKey, validKey, gatewayv1alpha1.ReasonTLSSecretInvalid},
		"no key":                         {valid, nil, gatewayv1alpha1.ReasonTLSSecretInvalid},
	} {
		info, problem := Check(c.cert, c.key, now)
		switch {
		case c.reason == "" && problem != nil:
			t.Errorf("%s: refused: %s: %s", name, problem.Reason, problem.Message)
		case c.reason != "" && (problem == nil || problem.Reason != c.reason):
			t.Errorf("%s: got %+v, want %s", name, problem, c.reason)
		case problem != nil && strings.Contains(problem.Message, "PRIVATE KEY-----"):
			t.Errorf("%s: the message quotes the key", name)
		case c.reason == "" && info.NotAfter.IsZero():
			t.Errorf("%s: no expiry", name)
		}
	}
}

func TestExpiresSoon(t *testing.T) {
	if ExpiresSoon(now.Add(15*24*time.Hour), now) {
		t.Error("15 days out is not soon")
	}
	if !ExpiresSoon(now.Add(14*24*time.Hour), now) || !ExpiresSoon(now.Add(time.Hour), now) {
		t.Error("14 days out or less is soon")
	}
}
