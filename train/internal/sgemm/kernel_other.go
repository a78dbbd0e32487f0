//go:build !amd64

package sgemm

const hasFMA = false

func kernel(kb int, ap, bp []float32, tile *[mr * nr]float32) { kernelGo(kb, ap, bp, tile) }
