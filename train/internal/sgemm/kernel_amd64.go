package sgemm

import "golang.org/x/sys/cpu"

// hasFMA selects the assembly micro-kernel (AVX2 and FMA3).
var hasFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

func kernel(kb int, ap, bp []float32, tile *[mr * nr]float32) {
	if hasFMA {
		kernelFMAC(kb, &ap[0], &bp[0], &tile[0], nr, false)
		return
	}
	kernelGo(kb, ap, bp, tile)
}

//go:noescape
func kernelFMAC(kb int, ap, bp, c *float32, ldc int, add bool)

// fullTile computes a whole mr x nr tile straight into c when the
// assembly kernel is in use, and reports whether it did.
func fullTile(kb int, ap, bp, c []float32, ldc int, add bool) bool {
	if !hasFMA {
		return false
	}
	_ = c[(mr-1)*ldc+nr-1] // bounds
	kernelFMAC(kb, &ap[0], &bp[0], &c[0], ldc, add)
	return true
}
