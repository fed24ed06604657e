"""The embedded engine: Whoosh for analysis, storage and postings; numpy for counting."""
