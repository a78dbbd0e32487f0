#include "textflag.h"

// The 6 x 16 tile lives in Y0-Y11, two registers a row; Y12-Y15 are
// scratch. SI walks the packed A sliver (6 floats per p), DI the packed B
// panel (16 floats per p); DX is the first row of the tile's destination
// and BX the destination's row stride in bytes.

// ZERO_ACC clears the tile.
#define ZERO_ACC \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	VXORPS Y8, Y8, Y8; \
	VXORPS Y9, Y9, Y9; \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11

// FMA_ROW adds ap[off/4] * bp[0:16] (in Y12, Y13) to one row of the tile,
// broadcasting through scratch register s.
#define FMA_ROW(off, s, lo, hi) \
	VBROADCASTSS off(SI), s; \
	VFMADD231PS Y12, s, lo; \
	VFMADD231PS Y13, s, hi

// FMA_STEP adds one rank-1 update (one p) to the tile and moves SI and DI
// to the next p. Two scratch registers alternate so that consecutive
// broadcasts do not wait on each other.
#define FMA_STEP \
	VMOVUPS (DI), Y12; \
	VMOVUPS 32(DI), Y13; \
	FMA_ROW(0, Y14, Y0, Y1); \
	FMA_ROW(4, Y15, Y2, Y3); \
	FMA_ROW(8, Y14, Y4, Y5); \
	FMA_ROW(12, Y15, Y6, Y7); \
	FMA_ROW(16, Y14, Y8, Y9); \
	FMA_ROW(20, Y15, Y10, Y11); \
	ADDQ $24, SI; \
	ADDQ $64, DI

// ADD_ROW adds the destination row at R8 to tile registers lo, hi and
// moves R8 to the next row; STORE_ROW writes lo, hi to the row at DX and
// moves DX. TILE_ROWS applies one of them to the six rows in order.
#define ADD_ROW(lo, hi) VADDPS (R8), lo, lo; VADDPS 32(R8), hi, hi; ADDQ BX, R8
#define STORE_ROW(lo, hi) VMOVUPS lo, (DX); VMOVUPS hi, 32(DX); ADDQ BX, DX
#define TILE_ROWS(ROW) ROW(Y0, Y1); ROW(Y2, Y3); ROW(Y4, Y5); ROW(Y6, Y7); ROW(Y8, Y9); ROW(Y10, Y11)

// func kernelFMAC(kb int, ap, bp, c *float32, ldc int, add bool)
// c[i*ldc+j] (+)= sum_p ap[p*6+i] * bp[p*16+j], i < 6, j < 16 (kb >= 1):
// the micro-kernel storing a full tile straight into C.
TEXT ·kernelFMAC(SB), NOSPLIT, $0-41
	MOVQ kb+0(FP), CX
	MOVQ ap+8(FP), SI
	MOVQ bp+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), BX
	SHLQ $2, BX
	ZERO_ACC
loopc:
	FMA_STEP
	DECQ CX
	JNZ loopc
	MOVBLZX add+40(FP), AX
	TESTL AX, AX
	JZ storec
	MOVQ DX, R8
	TILE_ROWS(ADD_ROW)
storec:
	TILE_ROWS(STORE_ROW)
	VZEROUPPER
	RET
