package iwave

// Default returns the shipped codec.
func Default() *Codec { return New(nil) }
