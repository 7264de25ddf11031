// Package domain holds Portico's core types and the errors its services return. It has no
// dependencies on storage or transport, so every layer can share it.
package domain
