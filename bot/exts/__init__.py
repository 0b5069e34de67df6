"""Discord bot extensions, one feature each."""
