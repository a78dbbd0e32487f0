// Package eval measures cipher images and decrypted images, and writes the
// evaluation report.
//
// Fidelity (decrypted versus original): PSNR, SSIM (Wang, Bovik, Sheikh and
// Simoncelli 2004: 11x11 Gaussian window with sigma 1.5, K1 = 0.01,
// K2 = 0.03, L = 255 for 8-bit and 65535 for 16-bit images, population
// covariances, mean over the positions where the window fits) and MS-SSIM
// (Wang, Simoncelli and Bovik 2003: five scales, weights 0.0448, 0.2856,
// 0.3001, 0.2363, 0.1333, 2x2 mean downsampling). SSIM and PSNR agree with
// scikit-image's structural_similarity(gaussian_weights=True, sigma=1.5,
// use_sample_covariance=False) and peak_signal_noise_ratio; the tests check
// that against golden values under testdata/.
//
// Cipher-image statistics: NPCR and UACI with the critical values of Wu,
// Noonan and Agaian (2011) for any size and significance level; global
// Shannon entropy with its expectation and spread for a uniformly random
// image of the same size; local Shannon entropy (Wu et al. 2013) with
// critical values from seeded simulation and p-values; adjacent-pixel
// correlation with the 95 % band of a random image; histogram chi-square
// with its 255-degree-of-freedom critical values.
//
// Subjects (SubjectNames, in report order): three AES controls, the
// research cipher-image scheme with each keystream, the codec payloads
// before sealing ("learned-code": the conv autoencoder; "iwave-code": the
// iwave codec), and "product-sealed": the product path of `medqr encrypt`,
// its default codec (store.DefaultCodec(), "iwave"; ProductCodec) sealed in
// key mode into the container of one QR symbol.
//
// Every statistic is a pure function of its inputs. The harness (Run) is
// driven by a Config, seeded, and writes identical numbers on every run.
//
// Images: *image.Gray and *image.Gray16 are read exactly; any other
// image.Image is converted to 8-bit gray with color.GrayModel. Functions that
// return a bare float64 return NaN for pairs they cannot compare (different
// sizes or bit depths, or too small for the window); the *E variants return
// the reason as an error.
package eval
