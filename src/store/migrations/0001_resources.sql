-- What the service knows of each SCIM resource beyond what Zoom keeps.
-- Portable DDL: the same file runs on SQLite and PostgreSQL.
-- kind: 'User' or 'Group'; id: the Zoom id (the SCIM id).
-- external_id: RFC 7643 section 3.1, case-exact; NULL when the client set none.
-- updated_at: milliseconds since the Unix epoch of the row's last write.
CREATE TABLE resources (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    external_id TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);

CREATE INDEX resources_by_external_id ON resources (kind, external_id);
