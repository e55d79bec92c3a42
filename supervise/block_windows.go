package supervise

func newBlock(size int) []byte { return make([]byte, size) }
