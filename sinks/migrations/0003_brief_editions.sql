-- Briefs are titled and addressed by their edition date: the morning they are published, the day
-- after the lens-day they cover. Rows stored before get it from their day; new rows bring their own.

ALTER TABLE briefs ADD COLUMN edition date;
UPDATE briefs SET edition = day + 1 WHERE edition IS NULL;
ALTER TABLE briefs ALTER COLUMN edition SET NOT NULL;

CREATE INDEX briefs_by_edition ON briefs (lens, edition, revision);

-- The view's columns were fixed when it was created: name it again to show the new column.
CREATE OR REPLACE VIEW latest_briefs AS
SELECT DISTINCT ON (lens, day) *
FROM briefs
ORDER BY lens, day, revision DESC;
