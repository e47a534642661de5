//! The bestpick catalog: SQLite (rusqlite, WAL, migrations) holding analyses and the photographer's decisions; XMP export.
