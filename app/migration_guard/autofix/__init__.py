"""`lint --fix` / `--diff`: rewrite what is mechanical and safe, driven by the lint findings.

One fixer per rule id (``fixers.FIXERS``: data plus a function, like the rules). Fixers return text
edits of the original file at the parser's statement positions (never a re-deparse, so comments and
formatting stay) and, for NOT VALID, the statements of a follow-up migration file. ``plan`` turns
findings into edits and new files (pure); ``files`` reads, diffs and writes atomically (I/O).
"""
