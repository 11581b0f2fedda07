"""Change extraction between two versions of a layer: added, removed, attribute-changed and moved features."""
