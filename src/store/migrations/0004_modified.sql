-- Modification times (meta.lastModified) and what they rest on.
-- first_seen_ms: when the store first saw the resource (a walk or a write).
-- modified_ms: the latest time the service knows the resource changed: its own
-- writes, or a walk that found the listed record's fingerprint changed (dated at the
-- walk: later than the real change, never earlier). Milliseconds since the epoch.
-- fingerprint: a digest of the resource as Zoom's listing shows it, at the last walk.
ALTER TABLE resources ADD COLUMN first_seen_ms BIGINT;
ALTER TABLE resources ADD COLUMN modified_ms BIGINT;
ALTER TABLE resources ADD COLUMN fingerprint TEXT;
CREATE INDEX resources_by_modified ON resources (kind, modified_ms);
