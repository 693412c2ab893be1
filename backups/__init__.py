"""Backups that restore: snapshots of every table, their restore, and the record of both.

The bottom layer (below incidents): it knows tables, rows and migrations, not what they
mean, so every app above may ask it for the backup status (the dashboard, /readyz). What
needs the dashboards' figures (the `backup` and `verify_backup` commands, the comparison
after a restore) lives at the top, in api/ (api/backup_checks.py), because the figures are
computed by dashboards/selectors, which sit above this app.

    snapshot   the file format: a gzip of JSON lines, manifest first (read, write, check)
    dump       a consistent snapshot of the database: every table, in one transaction
    restore    a snapshot into an empty database, at its schema, then migrated forward
    scratch    a throwaway database to restore into, and `manage.py` run against it
    status     backup_status(): the last backup, its age, whether a restore verified it
    models     BackupRun: each backup taken and each verification
"""
