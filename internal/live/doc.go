// Package live is Portico's WebSocket transport: it turns committed changes into frames, fans them
// out over the bus, and keeps every operator's and visitor's connection fed, dropping the slow.
// The wire protocol is described in docs/protocol.md.
package live
