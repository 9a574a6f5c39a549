"""Planning and rules: a campaign row becomes the exact API body, or row issues.

Plain values only: no spreadsheet library, no HTTP, no files."""
