package seal

import "github.com/medqr/medqr/seal/internal/bech32"

// testArgon2 is a cheap Argon2id setting for tests: the hook that lowers the
// sealing floor exists only in the test binary.
var testArgon2 = Argon2Params{Time: 1, MemoryKiB: 8, Threads: 1}

func init() { minSealMemoryKiB = 8 }

var bech32Encode = bech32.Encode
