"""Usul's streaming side: settings, the faust topology and the record flow at the top; the pure
stages in `stages/`, brief writing in `brief/`, the web in `web/`, ingestion in `ingest/` and the
operator's tools in `ops/`."""
