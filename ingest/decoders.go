package ingest

// newDecoder returns the decoder for a topic's format. Formats are checked
// by Config.Validate; metrics topics are decoded separately.
func newDecoder(t TopicConfig) decoder {
	switch t.Format {
	default:
		return &jsonDecoder{}
	}
}
