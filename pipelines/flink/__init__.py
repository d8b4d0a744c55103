"""PyFlink (Table API / SQL) stream analytics over the event log."""
