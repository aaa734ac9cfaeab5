"""Readers (note exports -> records) and writers (rows -> report files)."""
