-- Usul briefs and their stories. One row per brief revision; one row per story per lens-day,
-- holding the story as the newest revision of its day's brief shows it.

CREATE TABLE briefs (
    lens              text        NOT NULL,
    day               date        NOT NULL,
    revision          integer     NOT NULL CHECK (revision >= 1),
    brief_id          text        NOT NULL,
    content_hash      text        NOT NULL,
    created_at        timestamptz NOT NULL,
    title             text        NOT NULL,
    executive_summary text        NOT NULL,
    items_seen        integer     NOT NULL,
    items_relevant    integer     NOT NULL,
    stories_total     integer     NOT NULL,
    body              jsonb       NOT NULL,
    stored_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (lens, day, revision)
);

CREATE TABLE stories (
    lens        text             NOT NULL,
    day         date             NOT NULL,
    story_id    text             NOT NULL,
    revision    integer          NOT NULL,
    tier        text             NOT NULL,
    rank        integer          NOT NULL,
    headline    text             NOT NULL,
    summary     text             NOT NULL,
    details     text             NOT NULL,
    category    text,
    confidence  text             NOT NULL,
    score       double precision NOT NULL,
    sources     jsonb            NOT NULL,
    updated_at  timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (lens, day, story_id)
);

CREATE INDEX stories_by_day ON stories (lens, day, tier, rank);
