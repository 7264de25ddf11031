package sqlite

// OpenWithCheckpoints opens the store with the checkpointer's period and restart size set by
// the test.
var OpenWithCheckpoints = open
