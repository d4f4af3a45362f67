"""The census: audit thousands of repos on Dask and keep the results as a Parquet dataset.

Stages, one module each, imports only downward:
``targets`` (enumerate) -> ``closure`` (the shared upstream table) -> ``plan`` (batches grouped
by base) -> ``tasks`` (what a Dask worker runs) -> ``store`` (Parquet partitions, resume index)
-> ``run`` (the Dask client, progress) -> ``command`` (CLI). ``report`` and ``render`` read the
dataset back with DuckDB. ``schema`` is the one source of truth for the tables' columns.
"""
