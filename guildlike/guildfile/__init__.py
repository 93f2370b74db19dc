"""guild.yml: operation definitions, flags, source code selection."""
