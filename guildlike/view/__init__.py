"""``guildlike view``: a local, read-only web page over the runs.

A standard-library HTTP server (``server.py``) answers JSON endpoints
(``routes.py``) that read the index and the run folders, and serves the
pages from ``static/`` (plain JavaScript, uPlot vendored under
``static/vendor`` with its licence). ``export.py`` writes the same pages
with their data embedded into one HTML file.
"""
