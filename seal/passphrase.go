package seal

import (
	"fmt"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are Argon2id cost parameters. MemoryKiB must be a power of
// two (the header stores its base-2 logarithm in one byte).
type Argon2Params struct {
	Time      uint32 // passes, 1..10
	MemoryKiB uint32 // memory in KiB, a power of two, 8 KiB..256 MiB
	Threads   uint8  // lanes, 1..16
}

// DefaultArgon2 is RFC 9106's second recommended option (section 4): t = 3,
// m = 64 MiB, p = 4. It takes about a quarter of a second on 2 cores.
var DefaultArgon2 = Argon2Params{Time: 3, MemoryKiB: 64 << 10, Threads: 4}

// Cost bounds. Sealing refuses memory below minSealMemoryKiB; tests lower it
// through export_test.go, nothing else does. Opening accepts 8 KiB .. 256
// MiB, at most 10 passes and 16 lanes, so a crafted header cannot make the
// opener allocate more than 256 MiB or work for more than a few seconds.
var minSealMemoryKiB uint32 = 64 << 10

const (
	minOpenMemoryKiB = 8
	maxMemoryKiB     = 256 << 10
	maxTime          = 10
	maxThreads       = 16
)

func (p Argon2Params) String() string {
	return fmt.Sprintf("argon2id t=%d m=%dKiB p=%d", p.Time, p.MemoryKiB, p.Threads)
}

func (p Argon2Params) checkShape() error {
	if p.Time < 1 || p.Time > maxTime {
		return fmt.Errorf("argon2id time %d outside 1..%d", p.Time, maxTime)
	}
	if p.Threads < 1 || p.Threads > maxThreads {
		return fmt.Errorf("argon2id threads %d outside 1..%d", p.Threads, maxThreads)
	}
	if p.MemoryKiB&(p.MemoryKiB-1) != 0 || p.MemoryKiB < minOpenMemoryKiB || p.MemoryKiB > maxMemoryKiB {
		return fmt.Errorf("argon2id memory %d KiB is not a power of two in %d..%d", p.MemoryKiB, minOpenMemoryKiB, maxMemoryKiB)
	}
	if p.MemoryKiB < 8*uint32(p.Threads) {
		return fmt.Errorf("argon2id memory %d KiB below 8 KiB per thread", p.MemoryKiB)
	}
	return nil
}

func (p Argon2Params) checkOpen() error { return p.checkShape() }

func (p Argon2Params) checkSeal() error {
	if err := p.checkShape(); err != nil {
		return err
	}
	if p.MemoryKiB < minSealMemoryKiB {
		return fmt.Errorf("argon2id memory %d KiB below the %d KiB minimum (RFC 9106)", p.MemoryKiB, minSealMemoryKiB)
	}
	return nil
}

// argon2Key derives the 256-bit input keying material of a passphrase
// message. The salt is the message id: 128 random bits, fresh per message.
func argon2Key(pass string, salt []byte, p Argon2Params) []byte {
	return argon2.IDKey([]byte(pass), salt, p.Time, p.MemoryKiB, p.Threads, 32)
}
