package seal

// testArgon2 is a cheap Argon2id setting for tests: the hook that lowers the
// sealing floor exists only in the test binary.
var testArgon2 = Argon2Params{Time: 1, MemoryKiB: 8, Threads: 1}

func init() { minSealMemoryKiB = 8 }
