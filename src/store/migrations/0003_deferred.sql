-- Changes to a pending user that Zoom would drop, kept until the user accepts the
-- invitation: a JSON object {"core": {attribute: value}, "ext": {urn: {attribute:
-- value}}} (null: removed); NULL when none wait.
ALTER TABLE resources ADD COLUMN deferred TEXT;
