"""The command-line interface: click commands that parse, call the library and format."""
