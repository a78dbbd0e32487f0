// Package data decodes medical images (PNG, JPEG, DICOM, NPZ arrays), turns
// them into 8-bit gray images at the working size, and manages datasets
// (manifests, deterministic splits, caches of preprocessed arrays).
//
// Contract:
//
//   - Load and Decode sniff the content (never the file name) and return a
//     *Decoded whose Image is an *image.Gray (8-bit sources) or an
//     *image.Gray16 (deeper sources) holding the exact stored pixel values in
//     the MONOCHROME2 sense (larger is brighter). Colour and palette images
//     are converted to gray with the ITU-R BT.601 luma weights of image/color.
//   - DICOM: Meta keeps the attributes needed to display the pixels (bit
//     depth, signedness, rescale slope/intercept, VOI window, photometric
//     interpretation, transfer syntax). Patient attributes are read only when
//     LoadOptions.IncludePatient is set. Every transfer syntax a chest X-ray
//     archive uses is decoded (native, deflate, big endian, RLE, JPEG
//     baseline/extended 8- and 12-bit and lossless in internal/jpegx,
//     JPEG-LS through CharLS and JPEG 2000 through OpenJPEG with cgo),
//     identical to GDCM; LoadOptions.Frame picks a frame; colour images are
//     reduced to luminance and Meta.Notice says so; LoadRaw returns a frame
//     as gdcmconv --raw stores it. Transfer syntaxes that are not decoded
//     (or whose decoder this build lacks) are refused with an
//     *UnsupportedError naming the syntax; a malformed file gives a
//     *FormatError (for a damaged frame naming the syntax and frame); a file
//     whose pixels would need more than LoadOptions.MaxPixels pixels gives
//     ErrTooLarge before any pixel buffer is allocated.
//   - Display renders 8-bit gray at the native size with the DICOM PS3.3
//     C.11.2.1.2 linear VOI function (or the VOI LUT Sequence of a file
//     without a window, after any Modality LUT Sequence); Preprocess resizes to size x size with
//     the aspect policy "centre-crop to a square, then resample" using a
//     separable Lanczos-3 filter in fixed-point integer arithmetic, so the
//     output is bit-identical on every CPU.
//   - Datasets: Index reads a folder of images (labels from class
//     subfolders) or a MedMNIST-style .npz into a Manifest; Split assigns
//     train/val/test from the SHA-256 of each file's content; BuildCache and
//     LoadSplit keep preprocessed uint8 arrays in a versioned cache file.
//
// See docs/dicom.md for the supported transfer syntaxes and the file formats.
package data
