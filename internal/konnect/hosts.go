// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package konnect

import (
	"fmt"
	"net/url"
	"strings"
)

// DefaultAPIHosts are Konnect's API hosts: the regional ones (us, eu, au, ...) and global,
// all under api.konghq.com.
const DefaultAPIHosts = "*.api.konghq.com"

// APIHosts are the hosts Portico may send a Konnect token to: a GatewayDeployment's author
// names the server, and the token is the namespace's, so the operator's admin bounds where it
// can go. Each entry is a host name, or "*." and a domain for any one label under it.
type APIHosts []string

// ParseAPIHosts reads a comma-separated list of hosts and "*.domain" patterns.
func ParseAPIHosts(list string) (APIHosts, error) {
	var hosts APIHosts
	for entry := range strings.SplitSeq(list, ",") {
		entry = strings.ToLower(strings.TrimSpace(entry))
		if entry == "" {
			continue
		}
		host := strings.TrimPrefix(entry, "*.")
		if host == "" || strings.ContainsAny(host, "*/:@ ") {
			return nil, fmt.Errorf("%q is not a host name or a *.domain pattern", entry)
		}
		hosts = append(hosts, entry)
	}
	if len(hosts) == 0 {
		return nil, fmt.Errorf("no Konnect API hosts in %q", list)
	}
	return hosts, nil
}

// Allow tells whether serverURL's host is one of hosts, and why not when it is not.
func (hosts APIHosts) Allow(serverURL string) error {
	u, err := url.Parse(serverURL)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return fmt.Errorf("serverURL %q is not an https URL", serverURL)
	}
	host := strings.ToLower(u.Hostname())
	for _, entry := range hosts {
		if domain, ok := strings.CutPrefix(entry, "*."); ok {
			label, rest, found := strings.Cut(host, ".")
			if found && label != "" && rest == domain {
				return nil
			}
		} else if host == entry {
			return nil
		}
	}
	return fmt.Errorf("serverURL host %s is not a Konnect API host this operator may send tokens to (%s)", host, strings.Join(hosts, ", "))
}
