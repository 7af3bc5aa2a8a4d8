-- Every letter ends with the signing officer's name and position, kept in the staff
-- directory; a refusal carries where and within what time it can be appealed, as issued.
ALTER TABLE staff ADD COLUMN position TEXT;
ALTER TABLE letters ADD COLUMN appeal TEXT;
