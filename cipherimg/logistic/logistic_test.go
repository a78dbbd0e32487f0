package logistic_test

import (
	"testing"

	"github.com/medqr/medqr/cipherimg/logistic"
	"github.com/medqr/medqr/cipherimg/internal/schemetest"
)

func TestScheme(t *testing.T) { schemetest.Run(t, logistic.Scheme{}) }
