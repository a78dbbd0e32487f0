//go:build !unix

package cipherimg_test

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
