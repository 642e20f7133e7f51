"""Migration Guard: safe PostgreSQL / Supabase schema migrations."""

__version__ = "0.1.0"
