// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package konnect

import "testing"

func TestAPIHostsAllowOnlyTheirHosts(t *testing.T) {
	defaults, err := ParseAPIHosts(DefaultAPIHosts)
	if err != nil {
		t.Fatal(err)
	}
	private, err := ParseAPIHosts(" *.api.konghq.com, konnect.internal.example ")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		hosts APIHosts
		url   string
		allow bool
	}{
		{defaults, "https://us.api.konghq.com", true},
		{defaults, "https://EU.api.konghq.com:443", true},
		{defaults, "https://global.api.konghq.com", true},
		{defaults, "https://api.konghq.com", false},     // the wildcard needs a label
		{defaults, "https://a.b.api.konghq.com", false}, // and only one
		{defaults, "https://us.api.konghq.com.evil.example", false},
		{defaults, "https://evilapi.konghq.com", false},
		{defaults, "http://us.api.konghq.com", false}, // https only
		{defaults, "https://user@us.api.konghq.com@evil.example", false},
		{defaults, "https://127.0.0.1:8443", false},
		{private, "https://konnect.internal.example:8443", true},
		{private, "https://x.konnect.internal.example", false},
		{private, "https://au.api.konghq.com", true},
	} {
		if err := tc.hosts.Allow(tc.url); (err == nil) != tc.allow {
			t.Errorf("%v.Allow(%q) = %v, want allowed=%v", tc.hosts, tc.url, err, tc.allow)
		}
	}
}

func TestParseAPIHostsRefusesWhatIsNotAHost(t *testing.T) {
	for _, list := range []string{"", " , ", "https://us.api.konghq.com", "*.", "us.api.konghq.com:443", "*.*.konghq.com", "a b"} {
		if _, err := ParseAPIHosts(list); err == nil {
			t.Errorf("ParseAPIHosts(%q) accepted it", list)
		}
	}
}
