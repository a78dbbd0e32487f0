package sgemm

import "golang.org/x/sys/cpu"

// hasFMA selects the assembly micro-kernel (AVX2 and FMA3).
var hasFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func kernelFMA(kb int, ap, bp *float32, tile *[mr * nr]float32)

func kernel(kb int, ap, bp []float32, tile *[mr * nr]float32) {
	if hasFMA {
		kernelFMA(kb, &ap[0], &bp[0], tile)
		return
	}
	kernelGo(kb, ap, bp, tile)
}
