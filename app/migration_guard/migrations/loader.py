"""Load migration files into ``Migration`` values (the only file I/O of this package)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from migration_guard.errors import UserError
from migration_guard.migrations.header import read_header_and_suppressions
from migration_guard.migrations.naming import discover, parse_name
from migration_guard.migrations.source import apply_conventions, decode, require_regular_file
from migration_guard.migrations.splitting import split_statements
from migration_guard.model import Header, Migration, SourceError


def parse_migration(path: Path, data: bytes) -> Migration:
    """Build a Migration from a file's bytes; problems are recorded in ``error``, never raised."""
    parsed_name = parse_name(path.name)
    decoded = decode(data)
    if isinstance(decoded, SourceError):
        return Migration(path, parsed_name.version, parsed_name.name, "", data, (), Header(), (), decoded)
    nul = decoded.find("\0")
    if nul != -1:
        # PostgreSQL's parser stops at a NUL byte: whatever follows would go unchecked and unrun.
        line = decoded.count("\n", 0, nul) + 1
        column = nul - (decoded.rfind("\n", 0, nul) + 1) + 1
        nul_error = SourceError("encoding", "contains a NUL byte (0x00), not SQL text", line, column)
        return Migration(path, parsed_name.version, parsed_name.name, "", data, (), Header(), (), nul_error)
    source = apply_conventions(decoded)
    statements, error = split_statements(source.text)
    header, suppressions = read_header_and_suppressions(source.text, statements)
    if source.no_transaction and not header.no_transaction:
        header = replace(header, no_transaction=True)
    return Migration(
        path=path,
        version=parsed_name.version,
        name=parsed_name.name,
        text=source.text,
        raw=data,
        statements=statements,
        header=header,
        suppressions=suppressions,
        error=error,
        meta_commands=source.meta_commands,
    )


def load_migration(path: Path) -> Migration:
    require_regular_file(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, expected a .sql file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_migration(path, data)


def collect_paths(paths: list[Path]) -> list[Path]:
    """Expand folders to their migration files; keep explicitly named files as given."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(discover(p))
        elif p.exists():
            out.append(p)
        else:
            raise UserError(f"{p}: no such file or directory")
    return out


def load_migrations(paths: list[Path]) -> list[Migration]:
    return [load_migration(p) for p in collect_paths(paths)]
