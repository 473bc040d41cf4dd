"""mapping-review."""
