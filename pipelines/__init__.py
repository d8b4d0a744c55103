"""Stream (PyFlink) and batch (PySpark) jobs over the event lake."""
