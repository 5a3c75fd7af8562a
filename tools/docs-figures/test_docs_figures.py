#!/usr/bin/python3
"""Tests of docs-figures' marker handling (run by ctest: docs.figures_tool)."""
import importlib.machinery
import importlib.util
import io
import os
import tempfile
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
loader = importlib.machinery.SourceFileLoader("docs_figures", os.path.join(HERE, "docs-figures"))
spec = importlib.util.spec_from_loader("docs_figures", loader)
docs_figures = importlib.util.module_from_spec(spec)
loader.exec_module(docs_figures)

PAGE = """# A page

Text before.

<!-- docs-figures: answer -->
| old |
<!-- /docs-figures -->

Text after.
"""


class Markers(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "page.md")
        with open(self.path, "w") as f:
            f.write(PAGE)
        self.saved = dict(docs_figures.GENERATORS)
        docs_figures.GENERATORS.clear()
        docs_figures.GENERATORS["answer"] = lambda runner: "| 42 |\n"

    def tearDown(self):
        docs_figures.GENERATORS.clear()
        docs_figures.GENERATORS.update(self.saved)
        self.dir.cleanup()

    def read(self):
        with open(self.path) as f:
            return f.read()

    def test_check_reports_a_stale_figure_and_writes_nothing(self):
        out = io.StringIO()
        with redirect_stdout(out):
            self.assertEqual(docs_figures.process(self.path, None, check=True), ["answer"])
        self.assertEqual(self.read(), PAGE)
        self.assertIn("-| old |", out.getvalue())
        self.assertIn("+| 42 |", out.getvalue())

    def test_rewrite_replaces_only_the_text_between_the_markers(self):
        self.assertEqual(docs_figures.process(self.path, None, check=False), ["answer"])
        self.assertEqual(self.read(), PAGE.replace("| old |", "| 42 |"))
        # a current page is left as it is and reported as such
        self.assertEqual(docs_figures.process(self.path, None, check=True), [])

    def test_an_unknown_figure_is_an_error(self):
        with open(self.path, "w") as f:
            f.write(PAGE.replace("answer", "no-such-figure"))
        with self.assertRaises(SystemExit) as e:
            docs_figures.process(self.path, None, check=True)
        self.assertIn("unknown figure 'no-such-figure'", str(e.exception))

    def test_every_marker_in_the_docs_names_a_generator(self):
        docs = os.path.join(docs_figures.ROOT, "docs")
        names = set()
        for page in os.listdir(docs):
            if page.endswith(".md"):
                with open(os.path.join(docs, page)) as f:
                    names |= {m.group(2) for m in docs_figures.MARKER.finditer(f.read())}
        self.assertTrue(names)
        self.assertLessEqual(names, set(self.saved))
        self.assertEqual(set(self.saved) - names, set(), "a generator no page uses")


if __name__ == "__main__":
    unittest.main()
