package logistic_test

import (
	"testing"

	"github.com/medqr/medqr/cipherimg/internal/schemetest"
	"github.com/medqr/medqr/cipherimg/logistic"
)

func TestScheme(t *testing.T) { schemetest.Run(t, logistic.Scheme) }
