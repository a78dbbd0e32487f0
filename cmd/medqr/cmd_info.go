package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"

	"github.com/medqr/medqr/data"
)

const infoUsage = `Usage:
    medqr info [--json] [--patient] FILE

Describe an image file (PNG, JPEG or DICOM).

Prints the format, size, bit depth, colour or photometric interpretation,
and for DICOM the transfer syntax, modality, rescale and the VOI window
used for display, whether medqr can decode the pixels (every transfer
syntax "medqr convert" lists; a build without the CharLS and OpenJPEG
libraries describes JPEG-LS and JPEG 2000 files without decoding them),
and a notice when the pixels are changed on the way to gray (a colour
image is reduced to luminance). Patient attributes (name, ID, birth date,
...) are never shown unless --patient is given.

Flags:
    --json       print one JSON object instead of text
    --patient    also print the DICOM patient attributes (group 0010)

Examples:
    medqr info chest.dcm
    medqr info --json data/samples/kermany_cxr_224/NORMAL/IM-0115-0001.jpeg
`

func init() {
	register(&command{name: "info", usage: infoUsage, run: withFlags(oneArg("info needs exactly one FILE"), runInfo),
		summary: "describe an image file (format, size, depth, DICOM transfer syntax)"})
}

type infoOptions struct {
	json    bool
	patient bool
}

func (o *infoOptions) flags(fs *flag.FlagSet) {
	fs.BoolVar(&o.json, "json", false, "")
	fs.BoolVar(&o.patient, "patient", false, "")
}

// infoReport is the --json output.
type infoReport struct {
	File              string            `json:"file"`
	Format            string            `json:"format"`
	Width             int               `json:"width"`
	Height            int               `json:"height"`
	BitDepth          int               `json:"bit_depth"`
	BitsAllocated     int               `json:"bits_allocated,omitempty"`
	Signed            bool              `json:"signed"`
	Color             string            `json:"color,omitempty"`
	Photometric       string            `json:"photometric,omitempty"`
	TransferSyntax    string            `json:"transfer_syntax,omitempty"`
	TransferSyntaxUID string            `json:"transfer_syntax_uid,omitempty"`
	Part10Header      *bool             `json:"part10_header,omitempty"`
	Modality          string            `json:"modality,omitempty"`
	Frames            int               `json:"frames,omitempty"`
	RescaleSlope      float64           `json:"rescale_slope"`
	RescaleIntercept  float64           `json:"rescale_intercept"`
	WindowCenter      *float64          `json:"window_center,omitempty"`
	WindowWidth       *float64          `json:"window_width,omitempty"`
	WindowSource      string            `json:"window_source,omitempty"`
	Decodable         bool              `json:"decodable"`
	NotDecodable      string            `json:"not_decodable_reason,omitempty"`
	Notice            string            `json:"notice,omitempty"`
	Patient           map[string]string `json:"patient,omitempty"`
}

func runInfo(_ context.Context, e *env, o infoOptions, args []string) error {
	path := args[0]
	opts := data.LoadOptions{IncludePatient: o.patient}
	var m data.Meta
	r := infoReport{File: path, Decodable: true}
	d, err := data.LoadWith(path, opts)
	var ue *data.UnsupportedError
	switch {
	case err == nil:
		m = d.Meta
	case errors.As(err, &ue):
		// Describe what can be read without the pixels.
		m, err = data.LoadConfig(path, opts)
		if err != nil {
			return withHint(err, "%s", cmp.Or(inputHint(err, path), "medqr reads PNG, JPEG and DICOM files"))
		}
		r.Decodable = false
		r.NotDecodable = ue.Error()
	default:
		return withHint(err, "%s", cmp.Or(inputHint(err, path), "medqr reads PNG, JPEG and DICOM files"))
	}
	r.Format, r.Width, r.Height, r.BitDepth, r.Signed = m.Format, m.Width, m.Height, m.BitDepth, m.Signed
	r.Color, r.Photometric, r.Modality = m.Color, m.Photometric, m.Modality
	r.RescaleSlope, r.RescaleIntercept = m.RescaleSlope, m.RescaleIntercept
	r.Notice = m.Notice
	if m.Format == "dicom" {
		r.BitsAllocated, r.Frames = m.BitsAllocated, m.Frames
		r.TransferSyntax, r.TransferSyntaxUID = m.TransferSyntax, m.TransferSyntaxUID
		p10 := m.HasPart10Header
		r.Part10Header = &p10
	}
	if m.WindowSource != "" {
		c, w := m.Window.Center, m.Window.Width
		r.WindowCenter, r.WindowWidth, r.WindowSource = &c, &w, m.WindowSource
	}
	if o.patient {
		r.Patient = m.Patient
		if r.Patient == nil && m.Format == "dicom" {
			r.Patient = map[string]string{}
		}
	}
	if o.json {
		return e.printJSON(r)
	}
	printInfo(e, r)
	return nil
}

func printInfo(e *env, r infoReport) {
	line := func(k, format string, args ...any) {
		fmt.Fprintf(e.stdout, "%-16s %s\n", k+":", fmt.Sprintf(format, args...))
	}
	line("file", "%s", r.File)
	line("format", "%s", r.Format)
	line("size", "%dx%d", r.Width, r.Height)
	depth := fmt.Sprintf("%d", r.BitDepth)
	if r.BitsAllocated > 0 {
		depth += fmt.Sprintf(" stored / %d allocated", r.BitsAllocated)
	}
	if r.Format == "dicom" {
		if r.Signed {
			depth += ", signed"
		} else {
			depth += ", unsigned"
		}
	}
	line("bit depth", "%s", depth)
	if r.Color != "" {
		line("color", "%s", r.Color)
	}
	if r.Format == "dicom" {
		ph := r.Photometric
		if ph == "MONOCHROME1" {
			ph += " (inverted for display)"
		}
		line("photometric", "%s", ph)
		hdr := "Part 10"
		if r.Part10Header != nil && !*r.Part10Header {
			hdr = "none (ACR-NEMA style data set)"
		}
		line("file meta", "%s", hdr)
		line("transfer syntax", "%s (%s)", r.TransferSyntax, r.TransferSyntaxUID)
		if r.Modality != "" {
			line("modality", "%s", r.Modality)
		}
		line("frames", "%d", r.Frames)
		line("rescale", "slope %g, intercept %g", r.RescaleSlope, r.RescaleIntercept)
	}
	if r.WindowCenter != nil && r.Format == "dicom" {
		src := map[string]string{"file": "from the file", "minmax": "default: min/max of the pixels"}[r.WindowSource]
		line("window", "center %g, width %g (%s)", *r.WindowCenter, *r.WindowWidth, src)
	}
	if r.Notice != "" {
		line("notice", "%s", r.Notice)
	}
	if r.Decodable {
		line("decodable", "yes")
	} else {
		line("decodable", "no: %s", strings.TrimPrefix(r.NotDecodable, "data: "))
	}
	if r.Patient != nil {
		keys := make([]string, 0, len(r.Patient))
		for k := range r.Patient {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(keys) == 0 {
			line("patient", "(none)")
		}
		for _, k := range keys {
			line("patient "+k, "%s", r.Patient[k])
		}
	}
}
