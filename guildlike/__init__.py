"""guildlike: an experiment-tracking run manager in the style of Guild AI.

The package is a library (store, guildfile, ops) with a thin click CLI in
``guildlike.cli``. Importing the package itself is cheap on purpose: the op
runner (``guildlike.op_main``) imports it in every run's process.
"""

__version__ = "0.1.0"
