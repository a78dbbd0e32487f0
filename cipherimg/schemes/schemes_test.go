package schemes_test

import (
	"slices"
	"testing"

	"github.com/medqr/medqr/cipherimg/schemes"
)

func TestNames(t *testing.T) {
	names := schemes.Names()
	for _, want := range []string{"cipherimg", "arnold", "logistic", "wang2020", "yang2023"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() = %v, missing %s", names, want)
		}
	}
	if names[0] != "cipherimg" {
		t.Errorf("Names()[0] = %s, want cipherimg", names[0])
	}
}
