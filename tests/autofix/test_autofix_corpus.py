"""`lint --fix` over real projects' histories (shared/corpus), every file treated as fixable: each
rewritten file and each new file still parses, and each file's fixed findings are gone from it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pglast import parser

from migration_guard.autofix.plan import apply_edits, plan
from migration_guard.linter import lint
from migration_guard.migrations.loader import load_migration, parse_migration
from migration_guard.migrations.naming import discover
from migration_guard.model import LintOptions


def test_fixes_on_real_histories_keep_files_parseable_and_remove_their_findings(corpus: Path) -> None:
    fixed_total = 0
    for project in sorted(p for p in corpus.iterdir() if p.is_dir()):
        files = discover(project)
        if not files:
            continue
        migrations = [load_migration(f) for f in files]
        result = lint(migrations, LintOptions(supabase=True))
        p = plan(result, migrations, frozenset(m.display_path for m in migrations), {project: [f.name for f in files]})
        fixed_total += len(p.fixed)
        by_path = {fe.migration.display_path: fe for fe in p.edits}
        texts = {
            m.display_path: apply_edits(m.text, by_path[m.display_path].edits) if m.display_path in by_path else m.text
            for m in migrations
        }
        for text in texts.values():
            parser.parse_sql(text)  # raises on a broken rewrite
        for nf in p.new_files:
            parser.parse_sql(nf.text)
        # Lint the rewritten history: in each edited file, each fixed rule fires less often than before.
        rewritten = [parse_migration(m.path, texts[m.display_path].encode()) for m in migrations]
        after = Counter((f.path, f.rule) for f in lint(rewritten, LintOptions(supabase=True)).findings)
        before = Counter((f.path, f.rule) for f in result.findings)
        for rule, path, _line, _column in p.fixed:
            assert after[(path, rule)] < before[(path, rule)], (path, rule)
    assert fixed_total > 50  # the corpus has plenty to fix (NOT VALID, SET NOT NULL, CONCURRENTLY)
