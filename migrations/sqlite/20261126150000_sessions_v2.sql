-- Sessions name their user, so "sign out everywhere" can end all of a user's
-- sessions at once. NULL until sign-in. The session data stays sealed with the
-- configured key ring (`session.keys`); the id is still stored only hashed.
ALTER TABLE sessions ADD COLUMN user_name TEXT;

CREATE INDEX sessions_user_name ON sessions (user_name);
