// Package store is medqr's product pipeline: an image file in, a folder of
// QR code PNGs, a key file and a record out; and QR images plus a key back
// to the image. The CLI, benchmarks, evaluation and attacks all use it, so
// they measure exactly what a user runs.
//
// Encrypt: file -> data.Load -> (lossy codecs) Display, Preprocess(Size) or
// (lossless) the exact decoded pixels -> codec.Encode within the byte budget
// of one QR symbol (seal.PayloadBudget), of Options.Codes symbols (lossy
// multi-code mode, multicode.go) or, lossless over several symbols, without
// a budget -> seal.SealMessage -> qr.EncodeSymbolPNG per container (plus
// qr.Sheet in multi-code mode) -> every symbol's PNG file read back with
// qr.ReadBack (image/png, every pixel on the module grid, an exact
// error-free symbol) and compared byte for byte -> files. The sheet, made
// from the same symbols, is not read back.
//
// The output folder receives, for a record id ID (the first 8 bytes of the
// random message id, in hex, so it names nothing about the patient):
//
//	medqr-ID.png                single-code mode: the QR code
//	medqr-ID-NNofMM.png         multi-code mode: symbol NN of MM
//	medqr-ID-sheet.png          multi-code mode: all symbols on one page
//	medqr-ID-key.txt            key mode only: the key file (0600, O_EXCL)
//	medqr-ID.json               the Record: id, time, codec, level, sizes, sha256 of the PNGs
//
// Nothing is ever overwritten and a failure leaves nothing behind: the files
// are written into a private temporary folder inside the output folder and
// then hard-linked into place one by one (a link never replaces an existing
// name); if any step fails, the links already made are removed.
//
// Decrypt accepts any number of QR images in any order: one file per
// symbol (read by qr.ReadExact when it is a pixel-exact symbol, as
// Encrypt writes it), a sheet, or a photo holding several symbols
// (qr.DecodeLocated, qr.DecodeAll). It
// opens the message only when every symbol is present and authentic, and
// names the missing symbols otherwise. No patient data is written anywhere:
// the record holds only what the QR header already says in clear.
package store
