//! The bestpick command-line tool.

fn main() {}
