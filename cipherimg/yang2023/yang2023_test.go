package yang2023_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/medqr/medqr/cipherimg/internal/schemetest"
	"github.com/medqr/medqr/cipherimg/yang2023"
)

func TestScheme(t *testing.T) { schemetest.Run(t, yang2023.Scheme) }

// josephusNaive simulates the circle with a slice.
func josephusNaive(n, s, k int) []int32 {
	circle := make([]int32, n)
	for i := range circle {
		circle[i] = int32(i)
	}
	var out []int32
	pos := s % n
	for len(circle) > 0 {
		r := (pos + k - 1) % len(circle)
		out = append(out, circle[r])
		circle = append(circle[:r], circle[r+1:]...)
		if len(circle) > 0 {
			pos = r % len(circle)
		}
	}
	return out
}

func TestJosephus(t *testing.T) {
	tests := []struct{ n, s, k int }{
		{1, 0, 1}, {2, 1, 1}, {7, 0, 3}, {7, 3, 3}, {41, 0, 3}, {100, 17, 1}, {100, 99, 250}, {1000, 5, 999},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt), func(t *testing.T) {
			if got, want := yang2023.Josephus(tt.n, tt.s, tt.k), josephusNaive(tt.n, tt.s, tt.k); !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
	// the classic: 41 people, every 3rd, the last is position 31 (1-based)
	if j := yang2023.Josephus(41, 0, 3); j[40] != 30 {
		t.Fatalf("last of 41/3 is %d, want 30 (0-based)", j[40])
	}
}
