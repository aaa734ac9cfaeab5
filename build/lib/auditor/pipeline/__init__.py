"""The spaCy side of the audit: one builder (``build.build_pipeline``) and its components."""
