//go:build amd64 && !purego

#include "textflag.h"

// XYN loads the arguments x (SI), y (DI) and n (CX, shifted right by
// shift: the count of blocks) that saxpyAVX and saxpyTapsAVX share.
#define XYN(shift) \
	MOVQ x+8(FP), SI \
	MOVQ y+16(FP), DI \
	MOVQ n+24(FP), CX \
	SHRQ $shift, CX

// TAP adds the product of the broadcast alpha Y8 and the x values at
// off(R12) to the accumulator acc, the product rounded (VMULPS) and then
// added as the first operand, as saxpyAVX adds.
#define TAP(off, acc, tmp) \
	VMULPS off(R12), Y8, tmp \
	VADDPS acc, tmp, acc

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

// STEP4 multiplies the inputs of four rows at (R11), (R11)(R9*1), (R15)
// and (R15)(R9*1) by the 8 weights in Y8/Y9 and adds the products to Y0/Y1
// (row 0) .. Y6/Y7 (row 3).
#define STEP4 \
	VBROADCASTSD (R11), Y10 \
	VMULPD       Y8, Y10, Y11 \
	VADDPD       Y11, Y0, Y0 \
	VMULPD       Y9, Y10, Y11 \
	VADDPD       Y11, Y1, Y1 \
	VBROADCASTSD (R11)(R9*1), Y10 \
	VMULPD       Y8, Y10, Y11 \
	VADDPD       Y11, Y2, Y2 \
	VMULPD       Y9, Y10, Y11 \
	VADDPD       Y11, Y3, Y3 \
	VBROADCASTSD (R15), Y10 \
	VMULPD       Y8, Y10, Y11 \
	VADDPD       Y11, Y4, Y4 \
	VMULPD       Y9, Y10, Y11 \
	VADDPD       Y11, Y5, Y5 \
	VBROADCASTSD (R15)(R9*1), Y10 \
	VMULPD       Y8, Y10, Y11 \
	VADDPD       Y11, Y6, Y6 \
	VMULPD       Y9, Y10, Y11 \
	VADDPD       Y11, Y7, Y7

// WSTEP4 loads the 8 weights of row R12 into Y8/Y9 and runs STEP4.
#define WSTEP4 \
	VMOVUPD (R12), Y8 \
	VMOVUPD 32(R12), Y9 \
	STEP4

// ZERO8 clears the eight accumulators.
#define ZERO8 \
	VXORPD Y0, Y0, Y0 \
	VXORPD Y1, Y1, Y1 \
	VXORPD Y2, Y2, Y2 \
	VXORPD Y3, Y3, Y3 \
	VXORPD Y4, Y4, Y4 \
	VXORPD Y5, Y5, Y5 \
	VXORPD Y6, Y6, Y6 \
	VXORPD Y7, Y7, Y7

// SAVE8 stores the eight accumulators at off(SP).
#define SAVE8(off) \
	VMOVUPD Y0, off(SP) \
	VMOVUPD Y1, off+32(SP) \
	VMOVUPD Y2, off+64(SP) \
	VMOVUPD Y3, off+96(SP) \
	VMOVUPD Y4, off+128(SP) \
	VMOVUPD Y5, off+160(SP) \
	VMOVUPD Y6, off+192(SP) \
	VMOVUPD Y7, off+224(SP)

// PASS starts partial sum q of Dot4 (inputs q, q+4, ... of every row):
// row pointers R11 (rows 0, 1) and R15 (rows 2, 3) at input q, R12 at
// weights row q, R14 counting the k/4 steps.
#define PASS(q) \
	ZERO8 \
	LEAQ q*8(AX), R11 \
	LEAQ (R11)(R9*2), R15 \
	MOVQ DX, R12 \
	MOVQ $q, R14 \
	IMULQ R10, R14 \
	ADDQ R14, R12 \
	MOVQ k+56(FP), R14 \
	SHRQ $2, R14

// NEXT4 moves the row pointers 4 inputs on and R12 4 weight rows on.
#define NEXT4 \
	ADDQ $32, R11 \
	ADDQ $32, R15 \
	LEAQ (R12)(R10*4), R12

// ADD8 adds the eight partial sums saved at off(SP) to the accumulators
// (as second operands: x+y is y+x but for a NaN's payload).
#define ADD8(off) \
	VADDPD off(SP), Y0, Y0 \
	VADDPD off+32(SP), Y1, Y1 \
	VADDPD off+64(SP), Y2, Y2 \
	VADDPD off+96(SP), Y3, Y3 \
	VADDPD off+128(SP), Y4, Y4 \
	VADDPD off+160(SP), Y5, Y5 \
	VADDPD off+192(SP), Y6, Y6 \
	VADDPD off+224(SP), Y7, Y7

// ADDC adds the 4 outputs at addr to the sums in r and stores them there.
#define ADDC(r, addr) \
	VADDPD  addr, r, r \
	VMOVUPD r, addr

// ARGS loads the arguments shared by addProductsAVX and addProducts4AVX:
// DI c, R8 ldc, SI a, R9 lda, DX wt, R10 ldw (strides in bytes), and R13
// the end of the groups in wt's first row.
#define ARGS \
	MOVQ c+0(FP), DI \
	MOVQ ldc+8(FP), R8 \
	SHLQ $3, R8 \
	MOVQ a+16(FP), SI \
	MOVQ lda+24(FP), R9 \
	SHLQ $3, R9 \
	MOVQ wt+32(FP), DX \
	MOVQ ldw+40(FP), R10 \
	SHLQ $3, R10 \
	MOVQ groups+64(FP), R13 \
	SHLQ $6, R13 \
	ADDQ DX, R13

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

// func addProductsAVX(c *float64, ldc int, a *float64, lda int, wt *float64, ldw, rows, k, groups int)
//
// For each group of 8 outputs (two registers of 4 lanes) and each row, the
// partial sums s0..s3 of Dot4 live in Y0/Y1 (s0), Y2/Y3 (s1), Y4/Y5 (s2)
// and Y6/Y7 (s3), one output per lane; products are rounded by VMULPD and
// added by VADDPD (no fused multiply-add), in Dot4's order.
TEXT ·addProductsAVX(SB), NOSPLIT, $0-72
	ARGS

group:
	MOVQ SI, AX             // a, row r
	MOVQ DI, BX             // c, row r, this group
	MOVQ rows+48(FP), CX

row:
	ZERO8
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

// func addProducts4AVX(c *float64, ldc int, a *float64, lda int, wt *float64, ldw, rows, k, groups int)
//
// addProductsAVX for rows a multiple of 4, four rows at a time: the
// weights of a step are loaded once for the four rows, and the partial
// sums s0..s3 of Dot4 are computed one after another (each in its own
// order, as Dot4 adds them): s0 is saved at 0(SP), s2 adds it and
// s0+s2 is saved there, s1 is saved at 256(SP), and s3 adds s1, then
// s0+s2, then the outputs.
TEXT ·addProducts4AVX(SB), $512-72
	ARGS

group4:
	MOVQ SI, AX
	MOVQ DI, BX
	MOVQ rows+48(FP), CX
	SHRQ $2, CX

block4:
	PASS(0)
	JZ   tail0

pass0:
	WSTEP4
	NEXT4
	DECQ    R14
	JNZ     pass0

tail0:
	MOVQ k+56(FP), R14
	ANDQ $3, R14
	JZ   save0

one0:
	WSTEP4
	ADDQ    $8, R11
	ADDQ    $8, R15
	ADDQ    R10, R12
	DECQ    R14
	JNZ     one0

save0:
	SAVE8(0)
	PASS(2)
	JZ   save2

pass2:
	WSTEP4
	NEXT4
	DECQ    R14
	JNZ     pass2

save2:
	ADD8(0)                 // s2 + s0
	SAVE8(0)
	PASS(1)
	JZ   save1

pass1:
	WSTEP4
	NEXT4
	DECQ    R14
	JNZ     pass1

save1:
	SAVE8(256)
	PASS(3)
	JZ   save3

pass3:
	WSTEP4
	NEXT4
	DECQ    R14
	JNZ     pass3

save3:
	ADD8(256)               // s3 + s1
	ADD8(0)                 // + (s0 + s2)
	LEAQ (BX)(R8*2), R15
	ADDC(Y0, (BX))
	ADDC(Y1, 32(BX))
	ADDC(Y2, (BX)(R8*1))
	ADDC(Y3, 32(BX)(R8*1))
	ADDC(Y4, (R15))
	ADDC(Y5, 32(R15))
	ADDC(Y6, (R15)(R8*1))
	ADDC(Y7, 32(R15)(R8*1))

	LEAQ (AX)(R9*4), AX
	LEAQ (BX)(R8*4), BX
	DECQ CX
	JNZ  block4

	ADDQ $64, DX
	ADDQ $64, DI
	CMPQ DX, R13
	JNE  group4

	VZEROUPPER
	RET

// ROW2 adds a row's pair of products (the row's pair at addr, x's in X8)
// to the row's lanes in acc.
#define ROW2(addr, acc) \
	VMULPD addr, X8, X9 \
	VADDPD X9, acc, acc

// HSUM stores 0 + (lane 0 + lane 1) of acc at off(DI).
#define HSUM(acc, off) \
	VHADDPD acc, acc, acc \
	VXORPD  X9, X9, X9 \
	VADDSD  acc, X9, X9 \
	VMOVSD  X9, off(DI)

// func dotRows2AVX(y, a *float64, lda int, x *float64, m, n int)
TEXT ·dotRows2AVX(SB), NOSPLIT, $0-48
	MOVQ y+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	SHLQ $3, R9
	MOVQ x+24(FP), DX
	MOVQ m+32(FP), CX
	MOVQ n+40(FP), R10
	SHRQ $1, R10            // pairs
	CMPQ CX, $4
	JL   rows1

rows4:
	VXORPD X0, X0, X0
	VXORPD X1, X1, X1
	VXORPD X2, X2, X2
	VXORPD X3, X3, X3
	MOVQ   SI, R11          // rows 0, 1
	LEAQ   (SI)(R9*2), R12  // rows 2, 3
	MOVQ   DX, R13
	MOVQ   R10, R14

pair4:
	VMOVUPD (R13), X8
	ROW2((R11), X0)
	ROW2((R11)(R9*1), X1)
	ROW2((R12), X2)
	ROW2((R12)(R9*1), X3)
	ADDQ    $16, R11
	ADDQ    $16, R12
	ADDQ    $16, R13
	DECQ    R14
	JNZ     pair4

	HSUM(X0, 0)
	HSUM(X1, 8)
	HSUM(X2, 16)
	HSUM(X3, 24)
	ADDQ $32, DI
	LEAQ (SI)(R9*4), SI
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  rows4

rows1:
	TESTQ CX, CX
	JZ    done

row1:
	VXORPD X0, X0, X0
	MOVQ   SI, R11
	MOVQ   DX, R13
	MOVQ   R10, R14

pair1:
	VMOVUPD (R13), X8
	ROW2((R11), X0)
	ADDQ    $16, R11
	ADDQ    $16, R13
	DECQ    R14
	JNZ     pair1

	HSUM(X0, 0)
	ADDQ $8, DI
	ADDQ R9, SI
	DECQ CX
	JNZ  row1

done:
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

// RELU32 sets the 8 values at off(DI) to max(v, v*leak), leak in Y4.
#define RELU32(off, r, t) \
	VMOVUPS off(DI), r \
	VMULPS  Y4, r, t \
	VMAXPS  t, r, r \
	VMOVUPS r, off(DI)

// func leakyReLU32AVX(v *float32, n int, leak float32)
TEXT ·leakyReLU32AVX(SB), NOSPLIT, $0-20
	MOVQ         v+0(FP), DI
	MOVQ         n+8(FP), CX
	SHRQ         $5, CX
	VBROADCASTSS leak+16(FP), Y4

relu32:
	RELU32(0, Y0, Y5)
	RELU32(32, Y1, Y6)
	RELU32(64, Y2, Y7)
	RELU32(96, Y3, Y8)
	ADDQ $128, DI
	DECQ CX
	JNZ  relu32

	VZEROUPPER
	RET

// func saxpyAVX(alpha float32, x, y *float32, n int)
TEXT ·saxpyAVX(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y0
	XYN(3)

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

// func saxpyTapsAVX(t *tapList, x, y *float32, n int)
// 64 values of y a block, in Y0-Y7 (eight accumulators, so the adds do not
// wait on each other's latency); for each tap in order, y +=
// alpha*x[off+i]. t: alpha at 0, off at 64, n at 192.
TEXT ·saxpyTapsAVX(SB), NOSPLIT, $0-32
	MOVQ t+0(FP), R8
	XYN(6)
	MOVQ 192(R8), R10
	LEAQ 64(R8), R9

tapsblock:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	XORQ    R11, R11

tapsnext:
	VBROADCASTSS (R8)(R11*4), Y8
	MOVQ         (R9)(R11*8), R12
	LEAQ         (SI)(R12*4), R12
	TAP(0, Y0, Y9)
	TAP(32, Y1, Y10)
	TAP(64, Y2, Y11)
	TAP(96, Y3, Y12)
	TAP(128, Y4, Y13)
	TAP(160, Y5, Y14)
	TAP(192, Y6, Y15)
	TAP(224, Y7, Y9)
	INCQ         R11
	CMPQ         R11, R10
	JLT          tapsnext

	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ    $256, SI
	ADDQ    $256, DI
	DECQ    CX
	JNZ     tapsblock

	VZEROUPPER
	RET

// TAP4 adds the product of the broadcast alpha of plane q (at q*4(R11))
// and the 16 x values in Y8/Y9 to that plane's accumulators lo/hi: each
// product rounded (VMULPS, alpha first) and then added as the first
// operand, as TAP adds.
#define TAP4(q, lo, hi) \
	VBROADCASTSS q*4(R11), Y10 \
	VMULPS       Y8, Y10, Y11 \
	VMULPS       Y9, Y10, Y12 \
	VADDPS       lo, Y11, lo \
	VADDPS       hi, Y12, hi

// func saxpyTaps4AVX(t *tapList4, x, y *float32, n, ldy int)
// 16 values of each of four planes of y a block, in Y0-Y7 (plane q at
// q*ldy in Y(2q), Y(2q+1)); for each tap in order, the 16 x values at off
// are loaded once and plane q += alpha[q]*x. Eight accumulators keep
// the multipliers and adders busy where four would wait on each add's
// latency. t: alpha at 0 (16 bytes a tap), off at 2304, n at 3456.
TEXT ·saxpyTaps4AVX(SB), NOSPLIT, $0-40
	MOVQ t+0(FP), R8
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	SHRQ $4, CX
	MOVQ ldy+32(FP), R13
	SHLQ $2, R13
	LEAQ (DI)(R13*2), R15   // planes 2 and 3

taps4block:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS (DI)(R13*1), Y2
	VMOVUPS 32(DI)(R13*1), Y3
	VMOVUPS (R15), Y4
	VMOVUPS 32(R15), Y5
	VMOVUPS (R15)(R13*1), Y6
	VMOVUPS 32(R15)(R13*1), Y7
	MOVQ    R8, R11         // alphas of the tap
	LEAQ    2304(R8), R9    // its offset
	MOVQ    3456(R8), R10

taps4next:
	MOVQ    (R9), R12
	LEAQ    (SI)(R12*4), R12
	VMOVUPS (R12), Y8
	VMOVUPS 32(R12), Y9
	TAP4(0, Y0, Y1)
	TAP4(1, Y2, Y3)
	TAP4(2, Y4, Y5)
	TAP4(3, Y6, Y7)
	ADDQ    $16, R11
	ADDQ    $8, R9
	DECQ    R10
	JNZ     taps4next

	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, (DI)(R13*1)
	VMOVUPS Y3, 32(DI)(R13*1)
	VMOVUPS Y4, (R15)
	VMOVUPS Y5, 32(R15)
	VMOVUPS Y6, (R15)(R13*1)
	VMOVUPS Y7, 32(R15)(R13*1)
	ADDQ    $64, SI
	ADDQ    $64, DI
	ADDQ    $64, R15
	DECQ    CX
	JNZ     taps4block

	VZEROUPPER
	RET
