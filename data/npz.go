package data

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Array is one NumPy array from a .npy member: little-endian C-order data.
type Array struct {
	Name  string // member name without ".npy"
	DType string // NumPy descr, e.g. "|u1", "<i8"
	Shape []int
	Data  []byte // raw element bytes, len = product(Shape) * item size
}

// Len is the size of the first dimension (1 for a scalar).
func (a *Array) Len() int {
	if len(a.Shape) == 0 {
		return 1
	}
	return a.Shape[0]
}

// Int returns element i (in flat C order) as an int; only integer dtypes
// are accepted by ReadNPZ, so this never fails.
func (a *Array) Int(i int) int {
	sz := itemSize(a.DType)
	b := a.Data[i*sz : (i+1)*sz]
	signed := a.DType[1] == 'i'
	switch sz {
	case 1:
		if signed {
			return int(int8(b[0]))
		}
		return int(b[0])
	case 2:
		v := binary.LittleEndian.Uint16(b)
		if signed {
			return int(int16(v))
		}
		return int(v)
	case 4:
		v := binary.LittleEndian.Uint32(b)
		if signed {
			return int(int32(v))
		}
		return int(v)
	default:
		return int(binary.LittleEndian.Uint64(b))
	}
}

// itemSize gives the element size of the integer dtypes ReadNPZ accepts,
// or 0.
func itemSize(descr string) int {
	switch descr {
	case "|u1", "<u1", "|i1", "<i1", "|b1":
		return 1
	case "<u2", "<i2":
		return 2
	case "<u4", "<i4":
		return 4
	case "<u8", "<i8":
		return 8
	}
	return 0
}

// DefaultMaxNPZBytes bounds the total uncompressed array data ReadNPZ
// accepts (1 GiB).
const DefaultMaxNPZBytes = 1 << 30

// ReadNPZ parses a NumPy .npz archive (a zip of .npy files, stored or
// deflated, as np.savez / np.savez_compressed write them) held in b. Only
// C-order little-endian integer arrays are accepted (MedMNIST stores uint8
// images (N,H,W) and labels (N,1)). The total declared array size is
// checked against maxBytes (0: DefaultMaxNPZBytes) before reading. Arrays
// come back sorted by name.
func ReadNPZ(b []byte, maxBytes int64) (arrays []*Array, err error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxNPZBytes
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, formatErr("npz", err, "not a zip archive")
	}
	var total int64
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".npy") {
			continue
		}
		a, err := readNPYMember(f, maxBytes-total)
		if err != nil {
			return nil, fmt.Errorf("failed to read npz member %q: %w", f.Name, err)
		}
		total += int64(len(a.Data))
		arrays = append(arrays, a)
	}
	if len(arrays) == 0 {
		return nil, formatErr("npz", nil, "no .npy arrays in the archive")
	}
	sort.Slice(arrays, func(i, j int) bool { return arrays[i].Name < arrays[j].Name })
	return arrays, nil
}

func readNPYMember(f *zip.File, budget int64) (*Array, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, formatErr("npz", err, "cannot open member")
	}
	defer rc.Close()
	a, err := readNPY(rc, budget)
	if err != nil {
		return nil, err
	}
	a.Name = strings.TrimSuffix(f.Name, ".npy")
	return a, nil
}

// readNPY parses the NPY format (versions 1.0, 2.0 and 3.0): magic
// "\x93NUMPY", version, header length, a Python dict literal header padded
// with spaces and a newline, then the data.
func readNPY(r io.Reader, budget int64) (*Array, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, formatErr("npz", err, "truncated .npy preamble")
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return nil, formatErr("npz", nil, "bad .npy magic")
	}
	var hlen int
	switch pre[6] {
	case 1:
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return nil, formatErr("npz", err, "truncated .npy header length")
		}
		hlen = int(binary.LittleEndian.Uint16(l[:]))
	case 2, 3:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return nil, formatErr("npz", err, "truncated .npy header length")
		}
		n := binary.LittleEndian.Uint32(l[:])
		if n > 1<<20 {
			return nil, formatErr("npz", nil, ".npy header length %d too large", n)
		}
		hlen = int(n)
	default:
		return nil, &UnsupportedError{Format: "npz", Feature: fmt.Sprintf(".npy format version %d.%d", pre[6], pre[7])}
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, formatErr("npz", err, "truncated .npy header")
	}
	descr, fortran, shape, err := parseNPYHeader(string(hdr))
	if err != nil {
		return nil, err
	}
	if fortran {
		return nil, &UnsupportedError{Format: "npz", Feature: "Fortran-order array"}
	}
	sz := itemSize(descr)
	if sz == 0 {
		return nil, &UnsupportedError{Format: "npz", Feature: "dtype " + descr + " (only little-endian integer arrays are read)"}
	}
	n := int64(sz)
	for _, d := range shape {
		if d < 0 {
			return nil, formatErr("npz", nil, "negative dimension in shape %v", shape)
		}
		if d > 0 && n > budget/int64(d) {
			return nil, fmt.Errorf("%w: array of shape %v and dtype %s exceeds the limit of %d bytes", ErrTooLarge, shape, descr, budget)
		}
		n *= int64(d)
	}
	if n > budget {
		return nil, fmt.Errorf("%w: array of shape %v exceeds the limit of %d bytes", ErrTooLarge, shape, budget)
	}
	// Read through a limit instead of allocating n bytes up front, so a
	// lying header in a small file cannot force a large allocation.
	data, err := io.ReadAll(io.LimitReader(r, n))
	if err != nil {
		return nil, formatErr("npz", err, "failed to read array data")
	}
	if int64(len(data)) != n {
		return nil, formatErr("npz", nil, "array data truncated: shape %v needs %d bytes, found %d", shape, n, len(data))
	}
	return &Array{DType: descr, Shape: shape, Data: data}, nil
}

// parseNPYHeader reads the dict literal
// {'descr': '|u1', 'fortran_order': False, 'shape': (3882, 28, 28), }.
func parseNPYHeader(h string) (descr string, fortran bool, shape []int, err error) {
	h = strings.TrimSpace(h)
	if !strings.HasPrefix(h, "{") || !strings.HasSuffix(h, "}") {
		return "", false, nil, formatErr("npz", nil, "bad .npy header %q", clip(h))
	}
	get := func(key string) (string, bool) {
		k := "'" + key + "':"
		i := strings.Index(h, k)
		if i < 0 {
			return "", false
		}
		return strings.TrimSpace(h[i+len(k):]), true
	}
	v, ok := get("descr")
	if !ok || len(v) < 2 || v[0] != '\'' {
		return "", false, nil, formatErr("npz", nil, "missing descr in .npy header %q", clip(h))
	}
	end := strings.IndexByte(v[1:], '\'')
	if end < 0 {
		return "", false, nil, formatErr("npz", nil, "bad descr in .npy header %q", clip(h))
	}
	descr = v[1 : 1+end]
	v, ok = get("fortran_order")
	switch {
	case ok && strings.HasPrefix(v, "True"):
		fortran = true
	case ok && strings.HasPrefix(v, "False"):
	default:
		return "", false, nil, formatErr("npz", nil, "missing fortran_order in .npy header %q", clip(h))
	}
	v, ok = get("shape")
	if !ok || !strings.HasPrefix(v, "(") {
		return "", false, nil, formatErr("npz", nil, "missing shape in .npy header %q", clip(h))
	}
	end = strings.IndexByte(v, ')')
	if end < 0 {
		return "", false, nil, formatErr("npz", nil, "bad shape in .npy header %q", clip(h))
	}
	shape = []int{}
	for _, p := range strings.Split(v[1:end], ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		d, err := strconv.Atoi(strings.TrimSuffix(p, "L"))
		if err != nil || d < 0 || d > 1<<31 {
			return "", false, nil, formatErr("npz", nil, "bad dimension %q in .npy shape", p)
		}
		shape = append(shape, d)
	}
	if len(shape) > 8 {
		return "", false, nil, formatErr("npz", nil, "too many dimensions (%d) in .npy shape", len(shape))
	}
	return descr, fortran, shape, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
