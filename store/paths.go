package store

import "path/filepath"

func joinDir(dir, name string) string { return filepath.Join(dir, name) }
