"""Property tests through the whole CLI (issue 7): any input, a documented exit code."""
