// Package nnops holds the gorgonia operations training spends its time
// in, written for speed where gorgonia's general ones are slow:
//
//   - Conv2d: a square-kernel convolution with optional bias, computed as
//     one im2col and one large matrix product per batch (package
//     train/internal/sgemm) instead of gorgonia's im2col, product,
//     reshape and transpose nodes; its gradients are three more ops that
//     reuse the forward pass's columns.
//   - Blur: a valid-mode convolution of single-channel images with a
//     separable symmetric window (the Gaussian of SSIM), two 1-D passes
//     instead of a k x k product.
//   - Dense: a fully connected layer with optional fused leaky ReLU (the
//     lifting MLP of train/iwave), its gradients regrouped like Conv2d's.
//   - Scalar: a scalar loss of a tensor computed in Go together with its
//     gradient (the latent decorrelation loss, the lifting rate proxy),
//     inside the graph.
//
// graph.go holds the glue every trainer needs around a tape machine:
// Builder (keeps the first error of the node constructors while a graph is
// built), Compile (the backward pass and a tape machine bound to the
// parameters' gradients), RunTape (zero the gradient buffers, reset, run),
// RunInputs (set the input nodes from slices, then RunTape), Values and
// Grads (the slices an optimiser reads and updates in place), and MSE, the
// reconstruction loss built from gorgonia's own ops.
//
// Every op owns its output buffers and reuses them from one run of the
// graph to the next (gorgonia allocates and clears a fresh tensor per op
// per run), so a graph built with these ops must be run by one machine at
// a time. Work is split over GOMAXPROCS goroutines by image or by rows and
// columns of a product, never inside one sum, so results do not depend on
// the number of goroutines. Only float32 tensors are supported.
package nnops
