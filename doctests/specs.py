"""Markdown pages run as doctests: the collector and item behind
``doctests/conftest.py`` and ``docs/conftest.py``.

Each page runs with ELLIPSIS and NORMALIZE_WHITESPACE, in a fresh home, with
the helpers of ``doctests/support.py`` as globals. A line holding only
``???`` in expected output matches any lines.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest
from support import SpecEnv, SpecOutputChecker

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.REPORT_NDIFF


class MarkdownSpec(pytest.File):
    def collect(self):  # type: ignore[override]
        yield SpecItem.from_parent(self, name=self.path.stem)


class SpecFailure(Exception):
    pass


class SpecItem(pytest.Item):
    def runtest(self) -> None:
        text = self.path.read_text(encoding="utf-8")
        env = SpecEnv(self.path)
        try:
            globs = env.globals()
            parser = doctest.DocTestParser()
            test = parser.get_doctest(text, globs, self.path.stem, str(self.path), 0)
            runner = doctest.DocTestRunner(checker=SpecOutputChecker(), optionflags=FLAGS)
            failures: list[str] = []

            class Collect(doctest.DocTestRunner):
                pass

            def report_failure(out, test, example, got):  # type: ignore[no-untyped-def]
                failures.append(
                    f"line {test.lineno + example.lineno + 1}:\n>>> {example.source}"
                    + runner._checker.output_difference(example, got, FLAGS)  # type: ignore[attr-defined]
                )

            def report_unexpected_exception(out, test, example, exc_info):  # type: ignore[no-untyped-def]
                import traceback

                failures.append(
                    f"line {test.lineno + example.lineno + 1}:\n>>> {example.source}"
                    + "".join(traceback.format_exception(*exc_info))
                )

            runner.report_failure = report_failure  # type: ignore[method-assign]
            runner.report_unexpected_exception = report_unexpected_exception  # type: ignore[method-assign]
            runner.run(test, out=lambda s: None, clear_globs=False)
            if failures:
                raise SpecFailure("\n\n".join(failures))
        finally:
            env.close()

    def repr_failure(self, excinfo):  # type: ignore[no-untyped-def]
        if isinstance(excinfo.value, SpecFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):  # type: ignore[no-untyped-def]
        return self.path, 0, f"spec: {self.name}"


def collect_page(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    """A spec for a Markdown page that holds ``>>> `` examples."""
    if file_path.suffix == ".md" and ">>> " in file_path.read_text(encoding="utf-8"):
        return MarkdownSpec.from_parent(parent, path=file_path)
    return None
