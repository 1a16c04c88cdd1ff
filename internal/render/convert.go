// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package render

import (
	"encoding/json"
	"fmt"
)

// convert turns a typed API struct from the spec into its apply configuration. The two share
// one JSON shape, and the spec's fields are exactly what the user asked for.
func convert[T any](in any) (*T, error) {
	raw, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encoding %T: %w", in, err)
	}
	out := new(T)
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, fmt.Errorf("decoding %T: %w", out, err)
	}
	return out, nil
}

// convertEach converts every element of a slice.
func convertEach[T any, S any](in []S) ([]*T, error) {
	out := make([]*T, 0, len(in))
	for i := range in {
		c, err := convert[T](in[i])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
