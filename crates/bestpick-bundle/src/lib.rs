//! The contribution bundle format shared by the bestpick client and the collector.
