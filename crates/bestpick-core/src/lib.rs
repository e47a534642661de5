//! Scan, decode, signals, grouping and ranking for photo culling. No UI, database or network dependency.
