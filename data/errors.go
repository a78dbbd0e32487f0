package data

import (
	"errors"
	"fmt"
)

// ErrTooLarge is returned (wrapped) when an image or array would need more
// memory than the configured limit. It is detected from the header, before
// any pixel buffer is allocated.
var ErrTooLarge = errors.New("data: image too large")

// ErrUnknownFormat is returned (wrapped in a *FormatError) when the content
// is not PNG, JPEG or DICOM.
var ErrUnknownFormat = errors.New("not a PNG, JPEG or DICOM file")

// FormatError reports that the input is not a valid file of its format
// (corrupt, truncated or inconsistent).
type FormatError struct {
	Format string // "png", "jpeg", "dicom", "npz" or "" when unknown
	Msg    string
	Err    error // underlying error, may be nil
}

func (e *FormatError) Error() string {
	s := "data: invalid " + e.Format + " file: " + e.Msg
	if e.Format == "" {
		s = "data: " + e.Msg
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *FormatError) Unwrap() error { return e.Err }

func formatErr(format string, err error, msg string, args ...any) error {
	return &FormatError{Format: format, Msg: fmt.Sprintf(msg, args...), Err: err}
}

// UnsupportedError reports a valid file that uses a feature this package
// does not decode, most often a DICOM transfer syntax such as JPEG 2000.
type UnsupportedError struct {
	Format         string // "dicom", "png", ...
	TransferSyntax string // DICOM transfer syntax name, e.g. "JPEG 2000 Image Compression"
	UID            string // DICOM transfer syntax UID, e.g. "1.2.840.10008.1.2.4.91"
	Feature        string // what is not supported, when it is not a transfer syntax
}

func (e *UnsupportedError) Error() string {
	s := "data: unsupported " + e.Format
	if e.TransferSyntax != "" || e.UID != "" {
		s += " transfer syntax " + e.TransferSyntax
		if e.UID != "" {
			s += " (" + e.UID + ")"
		}
	}
	if e.Feature != "" {
		s += ": " + e.Feature
	}
	return s
}
