-- What a refused form leaves for the page it returns to (post/redirect/get): its errors and
-- what was typed, taken (and cleared) by the next page of the same session.
ALTER TABLE sessions ADD COLUMN flash TEXT;
