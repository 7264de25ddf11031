package postgres

// MergeSearchPendingLock is the advisory lock a node takes to merge the search index's pending
// list, for a test to hold as another node would.
const MergeSearchPendingLock = mergeSearchPendingLock
