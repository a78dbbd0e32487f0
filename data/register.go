package data

import (
	"image"
	"image/color"
	"io"
	"strings"
)

// init registers DICOM Part-10 files (the "DICM" magic at offset 128) with
// image.Decode, which then returns the 8-bit Display rendering (VOI window
// applied, MONOCHROME2 sense) as an *image.Gray. Use Decode for the exact
// stored values and the metadata.
func init() {
	image.RegisterFormat("dicom", strings.Repeat("?", 128)+"DICM", decodeImageDICOM, decodeImageConfigDICOM)
}

func decodeImageDICOM(r io.Reader) (image.Image, error) {
	d, err := Decode(r)
	if err != nil {
		return nil, err
	}
	return d.Display(), nil
}

func decodeImageConfigDICOM(r io.Reader) (image.Config, error) {
	m, err := DecodeConfig(r)
	if err != nil {
		return image.Config{}, err
	}
	return image.Config{ColorModel: color.GrayModel, Width: m.Width, Height: m.Height}, nil
}
