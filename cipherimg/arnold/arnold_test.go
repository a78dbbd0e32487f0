package arnold_test

import (
	"testing"

	"github.com/medqr/medqr/cipherimg/arnold"
	"github.com/medqr/medqr/cipherimg/internal/schemetest"
)

func TestScheme(t *testing.T) { schemetest.Run(t, arnold.Scheme) }
