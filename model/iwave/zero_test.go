package iwave

import "testing"

// TestZeroIsolated checks which +-1 coefficients of a fine band the
// encoder drops: lone ones under the limit, not those with a neighbour, a
// parent, or a value near 1 step, and never coarser levels.
func TestZeroIsolated(t *testing.T) {
	const w, h, levels = 32, 32, 3
	const step = 1.0
	tests := []struct {
		name  string
		set   map[[2]int]float64 // (x, y) in the plane -> weighted value
		probe [2]int
		want  int32
	}{
		{"lone small", map[[2]int]float64{{20, 20}: 0.7}, [2]int{20, 20}, 0},
		{"lone negative", map[[2]int]float64{{20, 20}: -0.8}, [2]int{20, 20}, 0},
		{"lone large", map[[2]int]float64{{20, 20}: 0.95}, [2]int{20, 20}, 1},
		{"with neighbour", map[[2]int]float64{{20, 20}: 0.7, {21, 21}: 0.7}, [2]int{20, 20}, 1},
		{"with parent", map[[2]int]float64{{20, 20}: 0.7, {10, 10}: 3}, [2]int{20, 20}, 1},
		{"coarse level", map[[2]int]float64{{6, 6}: 0.7}, [2]int{6, 6}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wc := make([]float64, w*h)
			for k, v := range tc.set {
				wc[k[1]*w+k[0]] = v
			}
			p := newPlane(w, h, levels)
			p.quantise(wc, step)
			if got := iabs(p.q[tc.probe[1]*w+tc.probe[0]]); got != tc.want {
				t.Errorf("|q| at %v = %d, want %d", tc.probe, got, tc.want)
			}
		})
	}
}
