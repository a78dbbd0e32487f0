//go:build !amd64

package sgemm

const hasFMA = false

func kernel(kb int, ap, bp []float32, tile *[mr * nr]float32) { kernelGo(kb, ap, bp, tile) }

func fullTile(kb int, ap, bp, c []float32, ldc int, add bool) bool { return false }
