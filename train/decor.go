package train

import "math"

// DecorEps regularises the channel variances in Decor, so near-silent
// channels do not produce huge gradients.
const DecorEps = 1e-2

// Decor is the code-statistics loss: the mean squared off-diagonal entry
// of the correlation matrix of the latent channels, computed over the
// batch and all positions (0 when the channels are uncorrelated):
//
//	r_ij = cov_ij / sqrt((cov_ii + eps)(cov_jj + eps)),  L = sum_{i!=j} r_ij^2 / (C(C-1))
//
// y has shape batch x c x h x w. It returns L and dL/dy (same layout).
func Decor(y []float32, batch, c, hw int) (float64, []float32) {
	n := batch * hw
	z := make([]float64, c*n) // c x n, centred
	for ch := 0; ch < c; ch++ {
		row := z[ch*n : (ch+1)*n]
		for b := 0; b < batch; b++ {
			src := y[(b*c+ch)*hw : (b*c+ch+1)*hw]
			for i, v := range src {
				row[b*hw+i] = float64(v)
			}
		}
		var m float64
		for _, v := range row {
			m += v
		}
		m /= float64(n)
		for i := range row {
			row[i] -= m
		}
	}
	cov := make([]float64, c*c)
	for i := 0; i < c; i++ {
		for j := i; j < c; j++ {
			var s float64
			a, b := z[i*n:(i+1)*n], z[j*n:(j+1)*n]
			for k := range a {
				s += a[k] * b[k]
			}
			cov[i*c+j], cov[j*c+i] = s/float64(n), s/float64(n)
		}
	}
	sd := make([]float64, c)
	for i := range sd {
		sd[i] = math.Sqrt(cov[i*c+i] + DecorEps)
	}
	norm := 1 / float64(c*(c-1))
	var loss float64
	gc := make([]float64, c*c) // dL/dcov
	for i := 0; i < c; i++ {
		var diag float64
		for j := 0; j < c; j++ {
			if i == j {
				continue
			}
			r := cov[i*c+j] / (sd[i] * sd[j])
			loss += r * r * norm
			g := 2 * r * norm // dL/dr_ij
			gc[i*c+j] = g / (sd[i] * sd[j])
			diag += g * r
		}
		// through sd_i (both r_ij and r_ji): dL/dcov_ii = -(1/sd_i^2) sum_j g_ij r_ij
		gc[i*c+i] = -diag / (sd[i] * sd[i])
	}
	// cov = z z^T / n (symmetric gc): dL/dz = 2 gc z / n, then remove the
	// per-channel mean (centring)
	grad := make([]float32, len(y))
	dz := make([]float64, n)
	for i := 0; i < c; i++ {
		for k := range dz {
			dz[k] = 0
		}
		for j := 0; j < c; j++ {
			g := 2 * gc[i*c+j] / float64(n)
			if g == 0 {
				continue
			}
			zj := z[j*n : (j+1)*n]
			for k := range dz {
				dz[k] += g * zj[k]
			}
		}
		var m float64
		for _, v := range dz {
			m += v
		}
		m /= float64(n)
		for b := 0; b < batch; b++ {
			dst := grad[(b*c+i)*hw : (b*c+i+1)*hw]
			for k := range dst {
				dst[k] = float32(dz[b*hw+k] - m)
			}
		}
	}
	return loss, grad
}
