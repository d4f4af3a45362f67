"""Sources stage: where repositories are read from (local, mirror, Hub) behind one interface."""
