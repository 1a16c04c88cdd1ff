// Copyright 2026 The Portico Authors
// SPDX-License-Identifier: Apache-2.0

package render

import "github.com/portico-dev/portico/internal/convert"

// convertEach turns each typed API struct from the spec into its apply configuration. The two
// share one JSON shape, and the spec's fields are exactly what the user asked for.
func convertEach[T any, S any](in []S) ([]*T, error) {
	out := make([]*T, 0, len(in))
	for i := range in {
		c, err := convert.To[T](in[i])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
