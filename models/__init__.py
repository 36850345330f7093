"""Usul's data contracts: pure pydantic models, the topic catalogue and the codec.

Nothing here imports faust or does I/O, so downstream consumers can depend on it alone.
"""
