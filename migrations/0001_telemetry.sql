-- Telemetry (docs/telemetry.md). Machine ids are stored only as keyed hashes (per-app salt);
-- days are UTC days since 1970-01-01.

-- One row per app, machine and day: heartbeats every few minutes upsert the same row, and
-- write only when the version or platform changes. Raw rows are kept 35 days.
CREATE TABLE machine_days (
  app      TEXT    NOT NULL,
  day      INTEGER NOT NULL,
  machine  TEXT    NOT NULL,
  version  TEXT    NOT NULL DEFAULT '',
  platform TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (app, day, machine)
) WITHOUT ROWID;
-- A machine's latest day (active installs by version and platform).
CREATE INDEX machine_days_by_machine ON machine_days (app, machine, day);

-- Per-day rollups written by the scheduled handler; they outlive the raw rows.
CREATE TABLE daily_active (
  app      TEXT    NOT NULL,
  day      INTEGER NOT NULL,
  machines INTEGER NOT NULL,
  PRIMARY KEY (app, day)
) WITHOUT ROWID;
CREATE TABLE daily_versions (
  app      TEXT    NOT NULL,
  day      INTEGER NOT NULL,
  version  TEXT    NOT NULL,
  platform TEXT    NOT NULL,
  machines INTEGER NOT NULL,
  PRIMARY KEY (app, day, version, platform)
) WITHOUT ROWID;

-- Error reports grouped by a fingerprint of the type and the top of the stack.
CREATE TABLE error_groups (
  app         TEXT    NOT NULL,
  fingerprint TEXT    NOT NULL,
  error_type  TEXT    NOT NULL,
  message     TEXT    NOT NULL,
  stack_top   TEXT    NOT NULL,
  version     TEXT    NOT NULL,
  count       INTEGER NOT NULL,
  first_seen  INTEGER NOT NULL,  -- unix milliseconds
  last_seen   INTEGER NOT NULL,
  PRIMARY KEY (app, fingerprint)
) WITHOUT ROWID;
-- Each report (capped fields), kept 35 days.
CREATE TABLE error_reports (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  app         TEXT    NOT NULL,
  fingerprint TEXT    NOT NULL,
  machine     TEXT    NOT NULL,
  version     TEXT    NOT NULL,
  message     TEXT    NOT NULL,
  stack       TEXT    NOT NULL,
  os_info     TEXT    NOT NULL,
  at          INTEGER NOT NULL   -- unix milliseconds
);
CREATE INDEX error_reports_by_time ON error_reports (at);

-- Update events (toolsetlink /v1/app/report), counted per day.
CREATE TABLE update_events (
  app          TEXT    NOT NULL,
  day          INTEGER NOT NULL,
  event        TEXT    NOT NULL,
  version_code INTEGER NOT NULL,
  code         INTEGER NOT NULL,
  count        INTEGER NOT NULL,
  PRIMARY KEY (app, day, event, version_code, code)
) WITHOUT ROWID;
