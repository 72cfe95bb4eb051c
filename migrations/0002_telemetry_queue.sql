-- Telemetry through Queues (docs/telemetry.md): the consumer writes each batch in one
-- transaction, and counts a counted message (an error report, an update event) only when its
-- queue message id enters the inbox for the first time, so a batch delivered twice counts once.

-- The queue message ids already counted, by the UTC day of their message (the retention job
-- deletes days older than the inbox window).
CREATE TABLE telemetry_inbox (
  day INTEGER NOT NULL,
  mid TEXT    NOT NULL,
  PRIMARY KEY (day, mid)
) WITHOUT ROWID;

-- Messages that could not be written after every retry, or could not be read: kept for a
-- look and a replay, never counted.
CREATE TABLE dead_letters (
  mid   TEXT    NOT NULL PRIMARY KEY,
  queue TEXT    NOT NULL,
  body  TEXT    NOT NULL,
  why   TEXT    NOT NULL,
  at    INTEGER NOT NULL  -- unix milliseconds
) WITHOUT ROWID;

-- The id an error report was answered with, chosen at the edge before the report is queued
-- (random, 53 bits: exact in every client's JSON numbers); the row's own id stays the table's.
ALTER TABLE error_reports ADD COLUMN ref INTEGER;
CREATE INDEX error_reports_by_ref ON error_reports (ref);
