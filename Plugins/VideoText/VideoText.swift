// VideoText plugin node.
