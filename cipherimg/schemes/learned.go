package schemes

// The learned baselines, whose networks are trained with gorgonia
// (train/deepkeygen, train/sae, train/lstm) and shipped as embedded
// weights.
import (
	_ "github.com/medqr/medqr/cipherimg/deepkeygen"
	_ "github.com/medqr/medqr/cipherimg/lstm"
	_ "github.com/medqr/medqr/cipherimg/sae"
)
