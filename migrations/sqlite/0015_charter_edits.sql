-- Administrators edit the charter from a page (C24): the stored text is then the one in force,
-- on every replica, and the file only fills it on the first start. 0: never edited.
ALTER TABLE administration ADD COLUMN charter_version INTEGER NOT NULL DEFAULT 0;
