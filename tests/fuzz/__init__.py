"""Property tests through the whole CLI: any input, a documented exit code."""
