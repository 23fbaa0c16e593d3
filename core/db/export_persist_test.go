package db

// SetSaveChunk sets the size of the pieces the snapshots of databases
// opened from now on are written in, and returns a function that restores
// it: small pieces make a save run in many slices, between which the
// stream's events are applied.
func SetSaveChunk(n int) (restore func()) {
	old := saveChunk
	saveChunk = n
	return func() { saveChunk = old }
}
