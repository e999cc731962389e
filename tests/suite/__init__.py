"""The test suite's own tools: its command-line options."""
