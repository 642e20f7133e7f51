"""The local developer workflow: new migration files, resetting a dev database, seeds."""
