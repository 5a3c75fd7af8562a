#!/usr/bin/python3
"""Every relative link in README.md and docs/*.md points to a file of the repository and, with an
#anchor, to a heading of that page (GitHub's anchor rules); no page points outside the repository.

    check_links.py REPOSITORY_ROOT      (ctest: docs.links_resolve)
"""
import os
import re
import sys

LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchor(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*\*", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path):
    found, fenced = set(), False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                fenced = not fenced
            elif not fenced and re.match(r"#+ ", line):
                found.add(anchor(line.lstrip("#")))
    return found


def main(root):
    pages = [os.path.join(root, "README.md")] + sorted(
        os.path.join(root, "docs", p) for p in os.listdir(os.path.join(root, "docs")) if p.endswith(".md"))
    problems = []
    for page in pages:
        with open(page, encoding="utf-8") as f:
            text = f.read()
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            path, _, frag = target.partition("#")
            resolved = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            where = f"{os.path.relpath(page, root)}: ({target})"
            if not resolved.startswith(os.path.abspath(root) + os.sep):
                problems.append(f"{where} points outside the repository")
            elif not os.path.exists(resolved):
                problems.append(f"{where}: no such file")
            elif frag and resolved.endswith(".md") and frag not in anchors(resolved):
                problems.append(f"{where}: no heading '#{frag}'")
    for p in problems:
        print(p)
    print(f"check_links: {len(pages)} pages, {len(problems)} broken links")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(os.path.abspath(sys.argv[1])))
