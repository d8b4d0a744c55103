"""PySpark batch ETL: raw JSONL lake -> cleaned, sessionized and aggregated Parquet tables."""
