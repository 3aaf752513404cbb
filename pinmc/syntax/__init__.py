"""Text to syntax tree: the grammar, the parser and the tree builder."""
