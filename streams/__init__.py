"""Usul's streaming side: settings, the faust app and topology, ingestion, and one pure module per
stage (normalise, classify, cluster, score, dayclose, assemble, render)."""
