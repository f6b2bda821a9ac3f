// Detection plugin node.
