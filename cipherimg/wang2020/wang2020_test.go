package wang2020_test

import (
	"testing"

	"github.com/medqr/medqr/cipherimg/internal/schemetest"
	"github.com/medqr/medqr/cipherimg/wang2020"
)

func TestScheme(t *testing.T) { schemetest.Run(t, wang2020.Scheme) }

// TestRulesComplementary: every rule maps complementary codes (x, 3-x) to
// complementary bases (A-T, C-G: values b and 3-b), and is a bijection.
func TestRulesComplementary(t *testing.T) {
	for r, m := range wang2020.Rules {
		seen := map[uint8]bool{}
		for code, base := range m {
			seen[base] = true
			if m[3-code] != 3-base {
				t.Errorf("rule %d: code %d -> %d but complement %d -> %d", r+1, code, base, 3-code, m[3-code])
			}
		}
		if len(seen) != 4 {
			t.Errorf("rule %d is not a bijection: %v", r+1, m)
		}
	}
}
