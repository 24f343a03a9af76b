-- full_read_version: the resource's version (its weak ETag: everything but meta) at
-- the last full read, so that a read dates a change of a field Zoom's listing does not
-- carry (a manager, Zoom Phone settings, group members).
ALTER TABLE resources ADD COLUMN full_read_version TEXT;
