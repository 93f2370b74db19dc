"""The run store: run directories, their attributes, status, filters and listing."""
