"""Excel templates of the sales forms, made from the schema: ``build`` is where to start."""
