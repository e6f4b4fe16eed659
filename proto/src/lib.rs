//! IRC protocol: parsing and formatting of IRC lines. Pure code, no IO.
