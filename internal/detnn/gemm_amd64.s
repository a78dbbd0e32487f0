//go:build amd64 && !purego

#include "textflag.h"

// func hasAVX() bool
TEXT ·hasAVX(SB), NOSPLIT, $0-1
	MOVL  $1, AX
	XORL  CX, CX
	CPUID
	ANDL  $0x18000000, CX // OSXSAVE (bit 27) and AVX (bit 28)
	CMPL  CX, $0x18000000
	JNE   no
	XORL  CX, CX
	XGETBV                // XCR0 in EDX:EAX
	ANDL  $6, AX          // SSE and AVX state enabled
	CMPL  AX, $6
	JNE   no
	MOVB  $1, ret+0(FP)
	RET

no:
	MOVB $0, ret+0(FP)
	RET

// STEP multiplies the input at off(R11) by the 8 weights of its row of wt
// (R12), adds the products to the partial sums lo and hi (4 lanes each)
// and moves R12 to the next row.
#define STEP(off, lo, hi) \
	VBROADCASTSD off(R11), Y8 \
	VMULPD       (R12), Y8, Y9 \
	VMULPD       32(R12), Y8, Y10 \
	VADDPD       Y9, lo, lo \
	VADDPD       Y10, hi, hi \
	ADDQ         R10, R12

// func addProductsAVX(c *float64, ldc int, a *float64, lda int, wt *float64, ldw, rows, k, groups int)
//
// For each group of 8 outputs (two registers of 4 lanes) and each row, the
// partial sums s0..s3 of Dot4 live in Y0/Y1 (s0), Y2/Y3 (s1), Y4/Y5 (s2)
// and Y6/Y7 (s3), one output per lane; products are rounded by VMULPD and
// added by VADDPD (no fused multiply-add), in Dot4's order.
TEXT ·addProductsAVX(SB), NOSPLIT, $0-72
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	SHLQ $3, R8
	MOVQ a+16(FP), SI
	MOVQ lda+24(FP), R9
	SHLQ $3, R9
	MOVQ wt+32(FP), DX
	MOVQ ldw+40(FP), R10
	SHLQ $3, R10
	MOVQ groups+64(FP), R13
	SHLQ $6, R13
	ADDQ DX, R13            // end of the groups in wt's first row

group:
	MOVQ SI, AX             // a, row r
	MOVQ DI, BX             // c, row r, this group
	MOVQ rows+48(FP), CX

row:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	MOVQ   AX, R11          // a[r][i]
	MOVQ   DX, R12          // wt[i][group]
	MOVQ   k+56(FP), R14
	SHRQ   $2, R14
	JZ     tail

quad:
	STEP(0, Y0, Y1)
	STEP(8, Y2, Y3)
	STEP(16, Y4, Y5)
	STEP(24, Y6, Y7)
	ADDQ         $32, R11
	DECQ         R14
	JNZ          quad

tail:
	MOVQ k+56(FP), R14
	ANDQ $3, R14
	JZ   sum

one:
	STEP(0, Y0, Y1)
	ADDQ $8, R11
	DECQ R14
	JNZ  one

sum:
	VADDPD  Y4, Y0, Y0      // s0 + s2
	VADDPD  Y5, Y1, Y1
	VADDPD  Y6, Y2, Y2      // s1 + s3
	VADDPD  Y7, Y3, Y3
	VADDPD  Y2, Y0, Y0      // (s0+s2) + (s1+s3)
	VADDPD  Y3, Y1, Y1
	VADDPD  (BX), Y0, Y0    // c += sum
	VADDPD  32(BX), Y1, Y1
	VMOVUPD Y0, (BX)
	VMOVUPD Y1, 32(BX)

	ADDQ R9, AX
	ADDQ R8, BX
	DECQ CX
	JNZ  row

	ADDQ $64, DX
	ADDQ $64, DI
	CMPQ DX, R13
	JNE  group

	VZEROUPPER
	RET

// func leakyReLUAVX(v *float64, n int, leak float64)
TEXT ·leakyReLUAVX(SB), NOSPLIT, $0-24
	MOVQ         v+0(FP), DI
	MOVQ         n+8(FP), CX
	SHRQ         $2, CX
	VBROADCASTSD leak+16(FP), Y1
	VXORPD       Y2, Y2, Y2

relu:
	VMOVUPD   (DI), Y0
	VMULPD    Y1, Y0, Y3    // x * leak
	VCMPPD    $1, Y2, Y0, Y4 // x < 0 (ordered: NaN is not)
	VBLENDVPD Y4, Y3, Y0, Y0
	VMOVUPD   Y0, (DI)
	ADDQ      $32, DI
	DECQ      CX
	JNZ       relu

	VZEROUPPER
	RET

// func saxpyAVX(alpha float32, x, y *float32, n int)
TEXT ·saxpyAVX(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	SHRQ         $3, CX

axpy:
	VMULPS  (SI), Y0, Y1    // alpha * x, rounded
	VADDPS  (DI), Y1, Y1    // + y
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     axpy

	VZEROUPPER
	RET
