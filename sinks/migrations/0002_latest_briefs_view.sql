-- The newest revision of every lens-day, for readers that want "the" brief of a day.

CREATE VIEW latest_briefs AS
SELECT DISTINCT ON (lens, day) *
FROM briefs
ORDER BY lens, day, revision DESC;
